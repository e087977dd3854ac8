"""A mirror of the directory, built from delta pages and kept between syncs.

Delta queries return only what changed; to answer "who is in this group, through which nested group" after
a delta we need the rest of the picture. The mirror is that picture: users, groups and their direct
members, exactly as Graph last described them. A full sync builds it from empty; an incremental sync applies
the changes to the stored one. Both must end in the same mirror (tested).

Members whose `@odata.type` we do not know are quarantined: counted and reported, never silently dropped,
never treated as principals.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from typing import Any

KNOWN_MEMBER_TYPES = {
    "#microsoft.graph.user": "user",
    "#microsoft.graph.group": "group",
    "#microsoft.graph.servicePrincipal": "servicePrincipal",
    "#microsoft.graph.device": "device",  # devices can be members; they hold no personal-data access
    "#microsoft.graph.orgContact": "orgContact",  # contacts cannot sign in
}
USER_FIELDS = (
    "displayName",
    "userPrincipalName",
    "mail",
    "accountEnabled",
    "userType",
    "createdDateTime",
    "onPremisesSyncEnabled",
    "managerId",
)
GROUP_FIELDS = (
    "displayName",
    "groupTypes",
    "membershipRule",
    "onPremisesSyncEnabled",
    "mailEnabled",
    "securityEnabled",
    "isAssignableToRole",
)
# The fields `unchangeable` reads, for the one GET that plans a membership removal.
CHANGEABILITY_SELECT = "id,displayName,groupTypes,onPremisesSyncEnabled,mailEnabled,isAssignableToRole"
FORMAT = 3  # 3: groups carry mailEnabled, securityEnabled, isAssignableToRole (an older mirror: full sync)


def unchangeable(group: dict[str, Any]) -> str | None:
    """Why a group's membership cannot be changed through Graph, or None when it can.

    - `groupTypes` DynamicMembership: members come from a rule.
    - `onPremisesSyncEnabled`: mastered in Active Directory.
    - `mailEnabled` without "Unified" (a mail-enabled security group or a distribution list): "Working with
      groups in Microsoft Graph": "Mail-enabled and distribution groups are read-only through Microsoft
      Graph" (member changes answer 403 Authorization_RequestDenied).
    - `isAssignableToRole`: "To add members to a role-assignable group, the app must also be assigned the
      RoleManagement.ReadWrite.Directory permission" (Add members), which Recertify does not ask for: it
      would let the bot change who holds every Entra admin role.
    """
    types = group.get("groupTypes") or ()
    if "DynamicMembership" in types:
        return "dynamic membership (rule-based): change the rule or the attributes it reads"
    if group.get("onPremisesSyncEnabled"):
        return "synchronized from on-premises Active Directory: change it there"
    if group.get("mailEnabled") and "Unified" not in types:
        return (
            "a mail-enabled security group or distribution list, read-only through Microsoft Graph: "
            "change its members in Exchange Online"
        )
    if group.get("isAssignableToRole"):
        return (
            "role-assignable (Entra roles can be assigned to it): member changes need "
            "RoleManagement.ReadWrite.Directory, which Recertify does not hold; a Privileged Role "
            "Administrator changes it"
        )
    return None


@dataclass
class Directory:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> USER_FIELDS
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> GROUP_FIELDS
    members: dict[str, set[str]] = field(default_factory=dict)  # group id -> direct member ids
    kinds: dict[str, str] = field(default_factory=dict)  # member id -> user | group | servicePrincipal | …
    quarantined: dict[str, str] = field(default_factory=dict)  # member id -> the @odata.type we do not know
    delta_links: dict[str, str] = field(default_factory=dict)  # "users" | "groups" -> the last deltaLink
    # Sign-in activity has no delta query: kept here with when it was read, and refreshed on a schedule.
    sign_ins: dict[str, str | None] | None = None  # user id -> ISO time of the last sign-in (None: never)
    sign_ins_read_at: str | None = None

    # --- applying delta pages -------------------------------------------------------------------------

    def apply_user(self, item: dict[str, Any]) -> None:
        if "@removed" in item:
            self.users.pop(item["id"], None)
            return
        record = self.users.setdefault(item["id"], dict.fromkeys(USER_FIELDS))
        for name in USER_FIELDS:
            if name in item:  # a delta carries only what changed; absent means unchanged
                record[name] = item[name]
        for change in item.get("manager@delta", ()):  # a tracked navigation property: its changes only
            record["managerId"] = None if "@removed" in change else change["id"]
        self.kinds[item["id"]] = "user"

    def apply_group(self, item: dict[str, Any]) -> None:
        group_id = item["id"]
        if "@removed" in item:
            self.groups.pop(group_id, None)
            self.members.pop(group_id, None)
            return
        record = self.groups.setdefault(group_id, dict.fromkeys(GROUP_FIELDS))
        for name in GROUP_FIELDS:
            if name in item:
                record[name] = item[name]
        self.kinds[group_id] = "group"
        members = self.members.setdefault(group_id, set())
        for member in item.get("members@delta", ()):
            member_id = member["id"]
            if "@removed" in member:
                members.discard(member_id)
                continue
            kind = KNOWN_MEMBER_TYPES.get(member.get("@odata.type", ""))
            if kind is None:
                self.quarantined[member_id] = str(member.get("@odata.type"))
                continue
            self.kinds.setdefault(member_id, kind)
            members.add(member_id)

    # --- queries --------------------------------------------------------------------------------------

    def kind(self, object_id: str) -> str | None:
        return self.kinds.get(object_id)

    def changeable(self, group_id: str) -> str | None:
        """Why this group's membership cannot be changed through Graph, or None when it can."""
        return unchangeable(self.groups.get(group_id, {}))

    # --- storage (an opaque blob for reviews.ports.StateStore) ---------------------------------------

    def dump(self) -> bytes:
        """Compact: member ids are written as indexes into one id table (a million memberships stay small)."""
        ids = sorted(set(self.kinds) | set(self.users) | set(self.groups))
        index = {object_id: i for i, object_id in enumerate(ids)}
        body = {
            "format": FORMAT,
            "ids": ids,
            "kinds": [self.kinds.get(i, "") for i in ids],
            "users": [[index[u], *(r.get(f) for f in USER_FIELDS)] for u, r in self.users.items()],
            "groups": [[index[g], *(r.get(f) for f in GROUP_FIELDS)] for g, r in self.groups.items()],
            "members": {str(index[g]): sorted(index[m] for m in ms) for g, ms in self.members.items()},
            "quarantined": self.quarantined,
            "delta_links": self.delta_links,
            "sign_ins": None
            if self.sign_ins is None
            else {str(index[u]): t for u, t in self.sign_ins.items() if u in index},
            "sign_ins_read_at": self.sign_ins_read_at,
        }
        return zlib.compress(json.dumps(body, separators=(",", ":")).encode("utf-8"), 1)

    @classmethod
    def load(cls, blob: bytes) -> Directory:
        body = json.loads(zlib.decompress(blob))
        if body.get("format") != FORMAT:
            raise ValueError(f"stored directory mirror has format {body.get('format')}, expected {FORMAT}")
        ids: list[str] = body["ids"]
        directory = cls(quarantined=body["quarantined"], delta_links=body["delta_links"])
        directory.kinds = {
            object_id: kind for object_id, kind in zip(ids, body["kinds"], strict=True) if kind
        }
        directory.users = {ids[row[0]]: dict(zip(USER_FIELDS, row[1:], strict=True)) for row in body["users"]}
        directory.groups = {
            ids[row[0]]: dict(zip(GROUP_FIELDS, row[1:], strict=True)) for row in body["groups"]
        }
        directory.members = {ids[int(g)]: {ids[m] for m in ms} for g, ms in body["members"].items()}
        if body["sign_ins"] is not None:
            directory.sign_ins = {ids[int(u)]: t for u, t in body["sign_ins"].items()}
        directory.sign_ins_read_at = body["sign_ins_read_at"]
        return directory

    def fingerprint(self) -> tuple[Any, ...]:
        """Everything that determines access, for comparing an incremental mirror with a full one."""
        return (
            sorted((u, sorted(r.items())) for u, r in self.users.items()),
            sorted((g, sorted((k, str(v)) for k, v in r.items())) for g, r in self.groups.items()),
            sorted((g, sorted(ms)) for g, ms in self.members.items()),
            sorted(self.quarantined.items()),
        )
