"""The Entra objects an Azure read names, from Microsoft Graph: the evaluator's `Directory` and who each
principal is.

Every object named by a role assignment, a deny assignment, a Key Vault access policy, a SQL server's Entra
admin or a Cosmos DB data-plane assignment is looked up (`GET /directoryObjects/{id}`, in `$batch`; users
again as users, for userType and accountEnabled, which the base type does not carry); every
group among them is read with its direct members (`/groups/{id}/members`, counted: a lost page must not read
as people without access), and the groups found among those members in turn, each group once (a loop in
nesting is walked once). The evaluator then expands the groups transitively ("Role assignments are
transitive for groups", What is Azure RBAC?).

An object Graph answers 404 for was deleted: an assignment to it "shows as Identity not found" and reaches
no one. It is returned in `deleted`, and the connector drops what names it with a note.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.azure.model import (
    EVERYONE,
    AzureInventory,
    CosmosFacts,
    Directory,
    EntraGroup,
    KeyVaultFacts,
    PrincipalType,
    SqlFacts,
)
from connectors.entra.client import BatchItem, complete
from reviews.errors import SourceUnavailable

SOURCE = "azure"
_MEMBER_FIELDS = "id,displayName,userPrincipalName,mail,userType,accountEnabled"
_TYPES = {
    "#microsoft.graph.user": PrincipalType.USER,
    "#microsoft.graph.servicePrincipal": PrincipalType.SERVICE_PRINCIPAL,
    "#microsoft.graph.group": PrincipalType.GROUP,
    "#microsoft.graph.device": PrincipalType.DEVICE,
}


class Graph(Protocol):
    """What this read needs of connectors.entra.client.GraphClient."""

    def batch_get(self, paths: Sequence[str]) -> list[BatchItem]: ...

    def get_all(self, path: str, params: Mapping[str, str] | None = None) -> list[dict[str, Any]]: ...

    def get_counted(self, path: str, params: Mapping[str, str] | None = None) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class EntraObject:
    """Who a principal is, as Graph describes it (users carry mail, UPN, userType, accountEnabled)."""

    id: str
    type: PrincipalType
    name: str
    mail: str | None = None
    user_principal_name: str | None = None
    guest: bool = False
    enabled: bool | None = None


@dataclass(frozen=True, slots=True)
class DirectoryRead:
    directory: Directory
    objects: dict[str, EntraObject]  # lower-case object id -> what it is (groups included)
    deleted: frozenset[str] = field(default_factory=frozenset)  # lower-case ids Graph no longer has


def named_objects(inventory: AzureInventory) -> set[str]:
    """Every object id the inventory grants something to or excepts (not the deny's "All Principals")."""
    ids = {a.principal_id for a in (*inventory.role_assignments, *inventory.eligible_assignments)}
    for deny in inventory.deny_assignments:
        ids.update(deny.principals, deny.exclude_principals)
    for store in inventory.stores:
        facts = store.facts
        if isinstance(facts, KeyVaultFacts):
            ids.update(policy.object_id for policy in facts.access_policies)
        elif isinstance(facts, CosmosFacts):
            ids.update(assignment.principal_id for assignment in facts.role_assignments)
        elif isinstance(facts, SqlFacts) and facts.entra_admin is not None:
            ids.add(facts.entra_admin.object_id)
    ids.discard(EVERYONE)
    return ids


def read_directory(graph: Graph, object_ids: Iterable[str]) -> DirectoryRead:
    """The named objects and the groups under them, whole, or SourceUnavailable."""
    wanted = sorted({i.lower(): i for i in object_ids}.values(), key=str.lower)
    objects: dict[str, EntraObject] = {}
    deleted: set[str] = set()
    paths = [f"directoryObjects/{object_id}" for object_id in wanted]
    for object_id, item in zip(wanted, graph.batch_get(paths), strict=True):
        if item.status == 404:
            deleted.add(object_id.lower())
            continue
        if item.status != 200 or not isinstance(item.body, dict):
            raise SourceUnavailable(
                SOURCE, f"GET directoryObjects/{object_id}: {item.status}", retryable=False
            )
        objects[object_id.lower()] = _object(item.body)
    _describe_users(graph, objects, deleted)
    groups = _walk(graph, [o.id for o in objects.values() if o.type is PrincipalType.GROUP], objects)
    types: dict[str, PrincipalType] = {
        o.id: o.type for o in objects.values() if o.type is not PrincipalType.GROUP
    }
    return DirectoryRead(Directory(groups, types), objects, frozenset(deleted))


def _describe_users(graph: Graph, objects: dict[str, EntraObject], deleted: set[str]) -> None:
    """The users named directly, with what `directoryObjects` leaves out (userType, accountEnabled)."""
    users = sorted(o.id for o in objects.values() if o.type is PrincipalType.USER)
    paths = [f"users/{user}?$select={_MEMBER_FIELDS}" for user in users]
    for user, item in zip(users, graph.batch_get(paths), strict=True):
        if item.status == 404:  # deleted between the two reads
            deleted.add(user.lower())
            del objects[user.lower()]
            continue
        if item.status != 200 or not isinstance(item.body, dict):
            raise SourceUnavailable(SOURCE, f"GET users/{user}: {item.status}", retryable=False)
        objects[user.lower()] = _object({"@odata.type": "#microsoft.graph.user", **item.body})


def _walk(graph: Graph, roots: list[str], objects: dict[str, EntraObject]) -> dict[str, EntraGroup]:
    """Each group reached from `roots` with its direct members, breadth first, each group read once."""
    groups: dict[str, EntraGroup] = {}
    seen = {g.lower() for g in roots}
    level = sorted(roots, key=str.lower)
    while level:
        found: list[str] = []
        for group_id, listed in zip(level, _members(graph, level), strict=True):
            # A contact (orgContact) in a mail-enabled group cannot sign in: it holds nothing.
            members = [m for m in listed if m.get("@odata.type") in _TYPES]
            for member in members:
                entra = objects.setdefault(str(member["id"]).lower(), _object(member))
                if entra.type is PrincipalType.GROUP and entra.id.lower() not in seen:
                    seen.add(entra.id.lower())
                    found.append(entra.id)
            name = objects[group_id.lower()].name
            groups[group_id] = EntraGroup(group_id, name, tuple(str(m["id"]) for m in members))
        level = found
    return groups


def _members(graph: Graph, group_ids: list[str]) -> list[list[dict[str, Any]]]:
    """Each group's direct members, counted (`$count=true`): short once, read again alone
    (GraphClient.get_counted, which fails the sync if it is short again)."""
    query = {"$select": _MEMBER_FIELDS}
    asked = [f"groups/{g}/members?$select={_MEMBER_FIELDS}&$count=true" for g in group_ids]
    results = []
    for group_id, item in zip(group_ids, graph.batch_get(asked), strict=True):
        path = f"groups/{group_id}/members"
        if item.status != 200 or not isinstance(item.body, dict) or "value" not in item.body:
            raise SourceUnavailable(
                SOURCE, f"GET {path} answered {item.status} inside $batch", retryable=False
            )
        values = list(item.body["value"])
        if "@odata.nextLink" in item.body:
            values += graph.get_all(item.body["@odata.nextLink"])
        if not complete(path, values, item.body.get("@odata.count"), final=False):
            values = graph.get_counted(path, query)
        results.append(values)
    return results


def _object(body: dict[str, Any]) -> EntraObject:
    """An object as Graph returns it; a grant named to any other type (a contact) fails the read."""
    odata = body.get("@odata.type")
    kind = _TYPES.get(str(odata))
    if kind is None:
        raise SourceUnavailable(
            SOURCE,
            f"directory object {body.get('id')} is a {odata}, not a user, group or principal",
            retryable=False,
        )
    return EntraObject(
        id=str(body["id"]),
        type=kind,
        name=str(body.get("displayName") or body["id"]),
        mail=body.get("mail"),
        user_principal_name=body.get("userPrincipalName"),
        guest=body.get("userType") == "Guest",
        enabled=body.get("accountEnabled"),
    )
