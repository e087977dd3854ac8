"""Reading Azure RBAC for one subscription: role assignments, role definitions and deny assignments.

"Role Assignments - List For Subscription" (no filter) returns the assignments at, above and below the
subscription ($filter: "Use $filter=atScope() to return all role assignments at or above the scope"; without
it, below as well: "List Azure role assignments using the REST API"), so assignments made at a management
group or the root come back with the subscription's own. Deny assignments likewise ("(no filter) Lists all
deny assignments at, above, and below the specified scope"). Role definitions: "Get all role definitions that
are applicable at scope and above", with "atScopeAndBelow filter to search below the given scope as well",
so a custom role assignable only to one resource group is read too. PIM eligibilities: "Role Eligibility
Schedule Instances - List For Scope" (api-version 2020-10-01; "$filter=atScope() List role assignments for
only the specified scope, not including the role assignments at subscopes", so no filter: at, above and
below, as for role assignments); "To call the API, you must have access to the
Microsoft.Authorization/roleAssignments/read operation at the specified scope" ("Use Azure PIM to manage
eligible access with the REST API"), so it adds no action to the read role. Every page is read (the SDK's
pagers follow nextLink).

Management groups: the evaluator needs, per subscription, the management groups above it that hold an
assignment (scopes.py turns each into a scope above the store). An assignment at a management group listed
for a subscription is above it, so those groups are derived from the lists themselves; a group above the
subscription that holds no assignment changes nothing. Their order is not known this way (scopes.py uses
them as a set).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from connectors.azure.client import AzureClients
from connectors.azure.errors import azure_call, malformed, parsing
from connectors.azure.model import DenyAssignment, Permission, PrincipalType, RoleAssignment, RoleDefinition
from connectors.azure.scopes import MANAGEMENT_GROUP_PREFIX, normalize

READ_PERMISSIONS = (
    "Microsoft.Authorization/roleAssignments/read",
    "Microsoft.Authorization/roleDefinitions/read",
    "Microsoft.Authorization/denyAssignments/read",
)
_PRINCIPAL_TYPES = {kind.value.lower(): kind for kind in PrincipalType}


@dataclass(frozen=True, slots=True)
class SubscriptionRbac:
    role_assignments: tuple[RoleAssignment, ...]
    role_definitions: tuple[RoleDefinition, ...]
    deny_assignments: tuple[DenyAssignment, ...]
    eligible_assignments: tuple[RoleAssignment, ...]  # PIM, each eligible=True
    management_groups: tuple[str, ...]  # names of the groups above it that hold an assignment


def read_rbac(clients: AzureClients, subscription: str, *, pim_eligible: bool = True) -> SubscriptionRbac:
    where = f"subscription {subscription}"
    scope = f"/subscriptions/{subscription}"
    client = clients.authorization(subscription)
    with azure_call(where, "role assignments"):
        assignments = list(client.role_assignments.list_for_subscription())
    with azure_call(where, "role definitions"):
        definitions = list(client.role_definitions.list(scope, filter="atScopeAndBelow()"))
    with azure_call(where, "deny assignments"):
        denials = list(client.deny_assignments.list())
    instances = []
    if pim_eligible:  # else `[azure] pim_eligible = false`: the snapshot says so (live.py)
        with azure_call(where, "PIM eligible assignments"):
            pim = clients.pim(subscription).role_eligibility_schedule_instances
            instances = list(pim.list_for_scope(scope))
    with parsing(where, "role assignments"):
        role_assignments = tuple(_assignment(where, a) for a in assignments)
    with parsing(where, "role definitions"):
        role_definitions = tuple(role_definition(d) for d in definitions)
    with parsing(where, "deny assignments"):
        deny_assignments = tuple(_deny(d) for d in denials)
    with parsing(where, "PIM eligible assignments"):
        eligible = tuple(replace(_assignment(where, i), eligible=True) for i in instances)
    held = [a.scope for a in (*role_assignments, *eligible)]
    groups = _management_groups(held + [d.scope for d in deny_assignments])
    return SubscriptionRbac(role_assignments, role_definitions, deny_assignments, eligible, groups)


def read_role_definition(clients: AzureClients, subscription: str, role_definition_id: str) -> RoleDefinition:
    """One role definition by its id (one an assignment names that no list returned); a 404 raises."""
    where = f"subscription {subscription}"
    with azure_call(where, f"role definition {role_definition_id}"):
        found = clients.authorization(subscription).role_definitions.get_by_id(role_definition_id)
    with parsing(where, f"role definition {role_definition_id}"):
        return role_definition(found)


def role_definition(definition: Any) -> RoleDefinition:
    return RoleDefinition(
        id=_required(definition.id, "id", definition.name),
        name=_required(definition.role_name, "roleName", definition.id),
        permissions=_permissions(definition.permissions),
    )


def _permissions(blocks: Any) -> tuple[Permission, ...]:
    """A role definition's or deny assignment's permission blocks, each kept apart (the evaluator subtracts
    NotActions within a block)."""
    return tuple(
        Permission(
            actions=tuple(p.actions or ()),
            not_actions=tuple(p.not_actions or ()),
            data_actions=tuple(p.data_actions or ()),
            not_data_actions=tuple(p.not_data_actions or ()),
        )
        for p in blocks or ()
    )


def _assignment(where: str, assignment: Any) -> RoleAssignment:
    kind = _PRINCIPAL_TYPES.get(str(assignment.principal_type or "").lower())
    if kind is None:
        raise malformed(
            where, f"role assignment {assignment.id}", f"unknown principalType {assignment.principal_type!r}"
        )
    return RoleAssignment(
        id=_required(assignment.id, "id", assignment.name),
        scope=_required(assignment.scope, "scope", assignment.id),
        role_definition_id=_required(assignment.role_definition_id, "roleDefinitionId", assignment.id),
        principal_id=_required(assignment.principal_id, "principalId", assignment.id),
        principal_type=kind,
        condition=assignment.condition or None,
        condition_version=assignment.condition_version or None,
    )


def _deny(deny: Any) -> DenyAssignment:
    return DenyAssignment(
        id=_required(deny.id, "id", deny.name),
        scope=_required(deny.scope, "scope", deny.id),
        permissions=_permissions(deny.permissions),
        principals=tuple(_required(p.id, "principals.id", deny.id) for p in deny.principals or ()),
        exclude_principals=tuple(
            _required(p.id, "excludePrincipals.id", deny.id) for p in deny.exclude_principals or ()
        ),
        does_not_apply_to_child_scopes=bool(deny.do_not_apply_to_child_scopes),
        name=str(deny.deny_assignment_name or deny.name or ""),
        condition=deny.condition or None,
    )


def _management_groups(scopes: Iterable[str]) -> tuple[str, ...]:
    found: dict[str, str] = {}
    for scope in scopes:
        normalized = normalize(scope)
        if normalized.startswith(MANAGEMENT_GROUP_PREFIX):
            name = scope.rstrip("/").rsplit("/", 1)[-1]
            found.setdefault(name.lower(), name)
    return tuple(sorted(found.values(), key=str.lower))


def _required(value: object, name: str, owner: object) -> str:
    if not value:
        raise KeyError(f"{name} of {owner}")
    return str(value)
