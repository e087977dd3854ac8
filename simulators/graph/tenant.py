"""The simulated Entra tenant: the mutators tests and the generator use (state and read-backs: state.py)."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any

from simulators.graph.state import DEFAULT_APP_ROLE, GROUP, SP, USER, TenantState, iso


class Tenant(TenantState):
    """One Entra tenant. Ids are GUID strings (seeded by `seed`); every change is logged for delta."""

    # ---- users ------------------------------------------------------------------------------------
    def add_user(
        self,
        display_name: str,
        user_principal_name: str,
        *,
        mail: str | None = None,
        enabled: bool = True,
        guest: bool = False,
        created: datetime | None = None,
        last_sign_in: datetime | None = None,
        last_non_interactive_sign_in: datetime | None = None,
        manager_id: str | None = None,
        on_premises: bool = False,
    ) -> str:
        with self.lock:
            uid = self.new_id()
            self.users[uid] = {
                "id": uid,
                "displayName": display_name,
                "userPrincipalName": user_principal_name,
                "mail": mail,
                "accountEnabled": enabled,
                "userType": "Guest" if guest else "Member",
                "createdDateTime": iso(created or self._clock()),
                "onPremisesSyncEnabled": True if on_premises else None,  # Graph: null for cloud-only
                "_signIn": iso(last_sign_in) if last_sign_in else None,
                "_nonInteractive": iso(last_non_interactive_sign_in)
                if last_non_interactive_sign_in
                else None,
            }
            self._changed("users")
            self.log.append(("u", uid, None))
            if manager_id is not None:
                self.set_manager(uid, manager_id)
            return uid

    _USER_FIELDS = {
        "display_name": "displayName",
        "user_principal_name": "userPrincipalName",
        "mail": "mail",
        "enabled": "accountEnabled",
        "created": "createdDateTime",
        "last_sign_in": "_signIn",
        "last_non_interactive_sign_in": "_nonInteractive",
    }

    def update_user(self, uid: str, **fields: Any) -> None:
        """Change a user: the keyword names of `add_user` (manager_id=None removes the manager)."""
        with self.lock:
            user = self._require(self.users, uid, "user")
            for name, value in fields.items():
                if name == "manager_id":
                    self.set_manager(uid, value)
                elif name == "guest":
                    user["userType"] = "Guest" if value else "Member"
                elif name == "on_premises":
                    user["onPremisesSyncEnabled"] = True if value else None
                elif name in self._USER_FIELDS:
                    user[self._USER_FIELDS[name]] = iso(value) if isinstance(value, datetime) else value
                else:
                    raise TypeError(f"update_user() got an unexpected field {name!r}")
            self.log.append(("u", uid, None))

    def set_manager(self, uid: str, manager_id: str | None) -> None:
        with self.lock:
            self._require(self.users, uid, "user")
            if manager_id is not None:
                self._require(self.users, manager_id, "manager")
            old = self.managers.get(uid)
            if old == manager_id:
                return
            if manager_id is None:
                del self.managers[uid]
            else:
                self.managers[uid] = manager_id
            self.log.append(("mg", uid, old))

    def delete_user(self, uid: str, *, permanent: bool = False) -> None:
        """Delete a user. Entra soft-deletes users (delta reason "changed"); `permanent` → "deleted"."""
        with self.lock:
            self._require(self.users, uid, "user")
            self._forget_links(uid)
            for report in [r for r, m in self.managers.items() if m == uid]:
                self.set_manager(report, None)
            self.managers.pop(uid, None)
            del self.users[uid]
            self._changed("users")
            self.tombstones[uid] = (USER, "deleted" if permanent else "changed")
            self.log.append(("ud", uid, None))

    def revoke_sign_in_sessions(self, uid: str) -> None:
        with self.lock:
            self._require(self.users, uid, "user")
            self.revoked_sessions.append(uid)

    # ---- groups -----------------------------------------------------------------------------------
    def add_group(
        self,
        display_name: str,
        *,
        dynamic: bool = False,
        on_premises: bool = False,
        security: bool = True,
        membership_rule: str | None = None,
        mail_enabled: bool | None = None,
        role_assignable: bool = False,
    ) -> str:
        """A security group, or (security=False) a Microsoft 365 group; dynamic ones carry a rule.
        `mail_enabled=True` on a security group: a mail-enabled security group (a distribution list:
        `add_distribution_list`). `role_assignable`: `isAssignableToRole` (Entra roles may be assigned)."""
        with self.lock:
            gid = self.new_id()
            types = ([] if security else ["Unified"]) + (["DynamicMembership"] if dynamic else [])
            rule = (membership_rule or '(user.department -eq "Sales")') if dynamic else None
            self.groups[gid] = {
                "id": gid,
                "displayName": display_name,
                "description": None,
                "groupTypes": types,
                "membershipRule": rule,
                "membershipRuleProcessingState": "On" if dynamic else None,
                "onPremisesSyncEnabled": True if on_premises else None,
                "securityEnabled": security,
                "mailEnabled": (not security) if mail_enabled is None else mail_enabled,
                "isAssignableToRole": role_assignable,
                "createdDateTime": iso(self._clock()),
            }
            self.members[gid] = set()
            self._changed("groups")
            self.log.append(("g", gid, None))
            return gid

    def add_distribution_list(self, display_name: str) -> str:
        """A distribution group: `groupTypes` [], `mailEnabled` true, `securityEnabled` false (read-only
        through Microsoft Graph)."""
        with self.lock:
            gid = self.add_group(display_name, mail_enabled=True)
            self.groups[gid]["securityEnabled"] = False
            return gid

    def update_group(self, gid: str, *, display_name: str) -> None:
        with self.lock:
            self._require(self.groups, gid, "group")["displayName"] = display_name
            self.log.append(("g", gid, None))

    def delete_group(self, gid: str) -> None:
        """Security groups are deleted for good ("deleted"); Microsoft 365 groups soft-deleted ("changed")."""
        with self.lock:
            group = self._require(self.groups, gid, "group")
            self._forget_links(gid)
            self.members.pop(gid, None)
            self.owners.pop(gid, None)
            del self.groups[gid]
            self._changed("groups")
            self._changed(f"members:{gid}")
            self.membership_version += 1
            self.tombstones[gid] = (GROUP, "changed" if "Unified" in group["groupTypes"] else "deleted")
            self.log.append(("gd", gid, None))

    def add_member(self, group_id: str, member_id: str) -> bool:
        """Add a direct member (user, group, service principal or unknown object); False if already one."""
        with self.lock:
            self._require(self.groups, group_id, "group")
            members = self.members[group_id]
            if self.odata_type(member_id) is None:
                raise KeyError(f"no directory object {member_id}")
            if member_id in members:
                return False
            members.add(member_id)
            self._membership_changed(group_id, "m+", member_id)
            return True

    def remove_member(self, group_id: str, member_id: str) -> bool:
        with self.lock:
            members = self.members.get(group_id, set())
            if member_id not in members:
                return False
            members.discard(member_id)
            self._membership_changed(group_id, "m-", member_id)
            return True

    def add_owner(self, object_id: str, owner_id: str) -> None:
        with self.lock:
            if object_id not in self.groups and object_id not in self.service_principals:
                raise KeyError(f"no group or service principal {object_id}")
            if owner_id not in self.users and owner_id not in self.service_principals:
                raise KeyError(f"no user or service principal {owner_id}")
            self.owners.setdefault(object_id, set()).add(owner_id)

    def remove_owner(self, object_id: str, owner_id: str) -> None:
        with self.lock:
            self.owners.get(object_id, set()).discard(owner_id)

    # ---- service principals, app roles, unknown objects ------------------------------------------
    def add_service_principal(
        self,
        display_name: str,
        *,
        app_id: str | None = None,
        app_roles: list[tuple[str, str]] | None = None,
        assignment_required: bool = True,
    ) -> str:
        """app_roles: (role id, value) pairs; default one "Reader" role with a fresh id.

        `assignment_required` is `appRoleAssignmentRequired`. Graph's default is false ("The default value
        is false", servicePrincipal resource type); this helper defaults to true so that a test's app is
        reached only through the assignments it makes, and a test of a tenant-wide app says so."""
        with self.lock:
            spid = self.new_id()
            roles = app_roles if app_roles is not None else [(self.new_id(), "Reader")]
            self.service_principals[spid] = {
                "id": spid,
                "appId": app_id or self.new_id(),
                "displayName": display_name,
                "accountEnabled": True,
                "servicePrincipalType": "Application",
                "appRoleAssignmentRequired": assignment_required,
                "appRoles": [
                    {
                        "id": role_id,
                        "value": value,
                        "displayName": value,
                        "description": value,
                        "allowedMemberTypes": ["User"],
                        "isEnabled": True,
                        "origin": "Application",
                    }
                    for role_id, value in roles
                ],
            }
            self.app_role_assignments[spid] = {}
            self._changed("servicePrincipals")
            return spid

    def set_assignment_required(self, sp_id: str, required: bool) -> None:
        """The enterprise app's "Assignment required?" (`appRoleAssignmentRequired`)."""
        with self.lock:
            self._require(self.service_principals, sp_id, "service principal")[
                "appRoleAssignmentRequired"
            ] = required

    def assign_app_role(self, sp_id: str, principal_id: str, app_role_id: str) -> str:
        with self.lock:
            sp = self._require(self.service_principals, sp_id, "service principal")
            if app_role_id != DEFAULT_APP_ROLE and app_role_id not in {r["id"] for r in sp["appRoles"]}:
                raise ValueError(f"service principal {sp_id} has no app role {app_role_id}")
            kind = {USER: "User", GROUP: "Group", SP: "ServicePrincipal"}.get(
                self.odata_type(principal_id) or ""
            )
            if kind is None:
                raise KeyError(f"no user, group or service principal {principal_id}")
            principal = (self.users.get(principal_id) or self.groups.get(principal_id)) or (
                self.service_principals[principal_id]
            )
            # Real assignment ids are 43-character url-safe strings, not GUIDs: keep clients honest.
            aid = uuid.UUID(int=self._rng.getrandbits(128)).bytes + self._rng.randbytes(16)
            assignment_id = base64.urlsafe_b64encode(aid).decode().rstrip("=")
            self.app_role_assignments[sp_id][assignment_id] = {
                "id": assignment_id,
                "deletedDateTime": None,
                "appRoleId": app_role_id,
                "createdDateTime": iso(self._clock()),
                "principalDisplayName": principal["displayName"],
                "principalId": principal_id,
                "principalType": kind,
                "resourceDisplayName": sp["displayName"],
                "resourceId": sp_id,
            }
            return assignment_id

    def unassign_app_role(self, sp_id: str, assignment_id: str) -> bool:
        with self.lock:
            return self.app_role_assignments.get(sp_id, {}).pop(assignment_id, None) is not None

    def add_unknown_object(self, odata_type: str = "#microsoft.graph.somethingNew") -> str:
        with self.lock:
            oid = self.new_id()
            self.others[oid] = {"@odata.type": odata_type, "id": oid}
            return oid
