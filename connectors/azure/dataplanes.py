"""Access that Azure RBAC does not grant: Cosmos DB's data-plane role assignments, Key Vault access policies
(vaults not in RBAC mode) and a SQL server's Microsoft Entra admin. Pure. Deny assignments do not reach these:
they are authorized by the service, not by Azure Resource Manager.
"""

from __future__ import annotations

from collections.abc import Iterator

from connectors.azure.actions import Plane, covers
from connectors.azure.directory import Members
from connectors.azure.grants import Candidate, Grantor, GrantorKind
from connectors.azure.levels import FULL, READ, WRITE
from connectors.azure.model import AzureStore, CosmosFacts, KeyVaultFacts, SqlFacts
from connectors.azure.scopes import Relation, normalize
from reviews.entitlements import AccessLevel, PathStep
from reviews.errors import IncompleteSnapshot

_ITEMS = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers"
COSMOS_READ = (f"{_ITEMS}/items/read", f"{_ITEMS}/executeQuery", f"{_ITEMS}/readChangeFeed")
COSMOS_WRITE = (
    f"{_ITEMS}/items/create",
    f"{_ITEMS}/items/replace",
    f"{_ITEMS}/items/upsert",
    f"{_ITEMS}/items/delete",
    f"{_ITEMS}/executeStoredProcedure",
)
# Key Vault access-policy permissions (compared case-insensitively; "all" is every permission of its list).
_POLICY_READ = {"secrets": {"get", "all"}, "keys": {"decrypt", "unwrapkey", "all"}, "certificates": set()}
_POLICY_WRITE = {
    "secrets": {"set", "delete", "purge", "restore", "recover", "all"},
    "keys": {"create", "import", "update", "delete", "purge", "restore", "recover", "all"},
    "certificates": {"create", "import", "update", "delete", "purge", "restore", "recover", "all"},
}


def candidates(store: AzureStore, members: Members) -> Iterator[Candidate]:
    facts = store.facts
    if isinstance(facts, CosmosFacts):
        yield from _cosmos(store, facts, members)
    elif isinstance(facts, KeyVaultFacts) and not facts.enable_rbac_authorization:
        yield from _access_policies(store, facts, members)
    elif isinstance(facts, SqlFacts) and facts.entra_admin is not None:
        yield from _sql_admin(store, facts, members)


def _last_segment(identifier: str) -> str:
    return identifier.rstrip("/").rsplit("/", 1)[-1].lower()


def _cosmos(store: AzureStore, facts: CosmosFacts, members: Members) -> Iterator[Candidate]:
    """Cosmos DB data-plane RBAC: its own role definitions, assigned at the account, a database or a
    container (the latter two count as the store, marked). It holds whether or not local auth is enabled."""
    definitions = {_last_segment(d.id): d for d in facts.role_definitions}
    account = normalize(store.resource_id)
    for assignment in facts.role_assignments:
        definition = definitions.get(_last_segment(assignment.role_definition_id))
        if definition is None:
            raise IncompleteSnapshot(
                f"Azure: Cosmos DB role assignment {assignment.id} names role definition "
                f"{assignment.role_definition_id}, which {store.name} does not list"
            )
        levels: list[AccessLevel] = []
        if any(covers(definition.permissions, op, Plane.DATA) for op in COSMOS_READ):
            levels.append(READ)
        if any(covers(definition.permissions, op, Plane.DATA) for op in COSMOS_WRITE):
            levels.append(WRITE)
        if not levels:
            continue
        scope = assignment.scope.rstrip("/")
        if not scope.lower().startswith("/subscriptions/"):
            scope = store.resource_id.rstrip("/") + scope
        relation = _cosmos_relation(account, scope, assignment.id)
        where = "" if relation is Relation.STORE else f" on {scope[len(account) + 1 :]} (part of the store)"
        step = PathStep(GrantorKind.COSMOS_ROLE_ASSIGNMENT, assignment.id, f"{definition.name}{where}")
        for holder in members.holders(assignment.principal_id):
            grantor = Grantor(
                GrantorKind.COSMOS_ROLE_ASSIGNMENT, assignment.id, scope, relation, holder.groups
            )
            path = (*members.group_steps(holder.groups), step)
            yield Candidate(holder, tuple(levels), path, False, grantor)


def _cosmos_relation(account: str, scope: str, assignment_id: str) -> Relation:
    normalized = normalize(scope)
    if normalized == account:
        return Relation.STORE
    if normalized.startswith(account + "/"):
        return Relation.BELOW
    raise IncompleteSnapshot(
        f"Azure: Cosmos DB role assignment {assignment_id} has scope {scope} off its account"
    )


def _access_policies(store: AzureStore, facts: KeyVaultFacts, members: Members) -> Iterator[Candidate]:
    """ "When false, the key vault will use the access policies specified in vault properties" (the
    `enableRbacAuthorization` property): each policy gives what its permissions allow."""
    for policy in facts.access_policies:
        granted = {
            "secrets": {p.lower() for p in policy.secrets},
            "keys": {p.lower() for p in policy.keys},
            "certificates": {p.lower() for p in policy.certificates},
        }
        levels: list[AccessLevel] = []
        if any(granted[kind] & wanted for kind, wanted in _POLICY_READ.items()):
            levels.append(READ)
        if any(granted[kind] & wanted for kind, wanted in _POLICY_WRITE.items()):
            levels.append(WRITE)
        if not levels:
            continue
        policy_id = f"{store.resource_id}#accessPolicy/{policy.object_id}"
        summary = ", ".join(f"{kind}: {'/'.join(sorted(perms))}" for kind, perms in granted.items() if perms)
        step = PathStep(GrantorKind.ACCESS_POLICY, policy_id, f"access policy ({summary})")
        for holder in members.holders(policy.object_id):
            grantor = Grantor(
                GrantorKind.ACCESS_POLICY, policy_id, store.resource_id, Relation.STORE, holder.groups
            )
            yield Candidate(
                holder, tuple(levels), (*members.group_steps(holder.groups), step), False, grantor
            )


def _sql_admin(store: AzureStore, facts: SqlFacts, members: Members) -> Iterator[Candidate]:
    """The server's Microsoft Entra admin administers the server and every database on it: full access."""
    admin = facts.entra_admin
    if admin is None:
        return
    server = store.resource_id.rstrip("/")
    relation = Relation.STORE
    marker = "/databases/"
    if marker in server.lower():
        server = server[: server.lower().rindex(marker)]
        relation = Relation.INHERITED
    admin_id = f"{server}#entraAdmin"
    step = PathStep(GrantorKind.SQL_ENTRA_ADMIN, admin_id, f"Entra admin {admin.login} of the SQL server")
    for holder in members.holders(admin.object_id, admin.principal_type):
        grantor = Grantor(GrantorKind.SQL_ENTRA_ADMIN, admin_id, server, relation, holder.groups)
        yield Candidate(holder, FULL, (*members.group_steps(holder.groups), step), False, grantor)
