"""Azure revocation primitives: delete a role assignment (azure-mgmt-authorization) and create it again for an
undo; a group membership through Graph, delegated to the Entra connector's primitives. Each is idempotent
(already absent = done, after a read), and verify reads the state back. A dry run reads and never writes.

- "To remove access from an Azure resource, you remove a role assignment" (Remove Azure role assignments);
  "Role Assignments - Delete" (2022-04-01) answers "200 OK: Returns the deleted role assignment" or "204 No
  Content: Role assignment was already deleted or does not exist": both are done. The state read is the
  principal's assignments at the scope ("Use $filter=principalId eq {id} to return all role assignments at,
  above or below the scope for the specified principal"), matched on scope and role: ARM holds one
  assignment per (scope, principal, role) (a second one is refused with 409 "RoleAssignmentExists: The role
  assignment already exists."), so after an undo recreated it under a new name, revoking again finds it.
- The undo creates the assignment again with the same role, scope, principal, principal type and condition
  (and its version) under a NEW GUID name (the deleted name is not reused): whoever reads its id afterwards
  sees a new assignment, created by Recertify's app.
- A membership: the action is Azure's (the outbox row is the Azure store's), its kind and params are Entra's
  (`remove_group_member`, `add_group_member`: group_id, member_id); Graph runs it as the Entra connector does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters  # AUTHORIZATION_API

from connectors.azure.client import AzureClients
from connectors.azure.errors import AzureApiError, azure_call, parsing
from connectors.azure.model import RoleAssignment
from connectors.azure.rbac_read import _assignment
from connectors.azure.revoke_choice import subscription_of
from connectors.entra import revoke as entra
from connectors.entra.client import GraphClient
from reviews.entitlements import RevocationAction, RevocationResult, System
from reviews.errors import NotFound, RevocationRefused

DELETE_ASSIGNMENT, CREATE_ASSIGNMENT = "delete_role_assignment", "create_role_assignment"
MEMBERSHIP_KINDS = (entra.REMOVE_MEMBER, entra.ADD_MEMBER)
# What the write role holds (permissions.py): the reads before and after each write, and the writes.
WRITE_PERMISSIONS = (
    "Microsoft.Authorization/roleAssignments/read",
    "Microsoft.Authorization/roleAssignments/delete",
    "Microsoft.Authorization/roleAssignments/write",
)


@dataclass(frozen=True, slots=True)
class Planned:
    action: RevocationAction
    inverse: RevocationAction


def action(kind: str, description: str, **params: str) -> RevocationAction:
    return RevocationAction(System.AZURE, kind, tuple(sorted(params.items())), description)


def read_assignment(clients: AzureClients, assignment_id: str) -> RoleAssignment:
    """The assignment as ARM holds it now; NotFound when it is gone (the access with it)."""
    scope = assignment_id.lower().split("/providers/microsoft.authorization/")[0]
    where = f"subscription {subscription_of(scope)}"
    try:
        with azure_call(where, f"role assignment {assignment_id}"):
            found = clients.authorization(subscription_of(scope)).role_assignments.get_by_id(assignment_id)
    except AzureApiError as exc:
        if exc.status == 404:
            raise NotFound(f"role assignment {assignment_id} no longer exists: nothing to revoke") from None
        raise
    with parsing(where, f"role assignment {assignment_id}"):
        return _assignment(where, found)


def plan_delete(assignment: RoleAssignment, *, role_name: str, who: str) -> Planned:
    keys = {
        "scope": assignment.scope,
        "role_definition_id": assignment.role_definition_id,
        "principal_id": assignment.principal_id,
        "principal_type": assignment.principal_type.value,
        "condition": assignment.condition or "",
        "condition_version": assignment.condition_version or "",
    }
    condition = " (with its condition)" if assignment.condition else ""
    return Planned(
        action(
            DELETE_ASSIGNMENT,
            f"delete the role assignment {role_name} of {who} at {assignment.scope}",
            assignment_id=assignment.id,
            **keys,
        ),
        action(
            CREATE_ASSIGNMENT,
            f"assign {role_name} to {who} at {assignment.scope} again{condition}",
            assignment_id=assignment.id,  # the deleted one's; the new assignment gets a new name
            **keys,
        ),
    )


def plan_membership(group_id: str, group_name: str, member_id: str, who: str) -> Planned:
    keys = {"group_id": group_id, "member_id": member_id}
    return Planned(
        action(entra.REMOVE_MEMBER, f"remove {who} from group {group_name}", **keys),
        action(entra.ADD_MEMBER, f"add {who} back to group {group_name}", **keys),
    )


# --- role assignments ------------------------------------------------------------------------------------


def _matching(clients: AzureClients, act: RevocationAction) -> list[RoleAssignment]:
    """The principal's assignments of the action's role at exactly its scope (at most one, ARM says)."""
    scope, principal = act.param("scope"), act.param("principal_id")
    where = f"subscription {subscription_of(scope)}"
    operation = f"role assignments of {principal} at {scope}"
    client = clients.authorization(subscription_of(scope))
    with azure_call(where, operation):
        listed = list(client.role_assignments.list_for_scope(scope, filter=f"principalId eq '{principal}'"))
    with parsing(where, operation):
        found = [_assignment(where, a) for a in listed]
    role = _guid(act.param("role_definition_id"))
    return [
        a
        for a in found
        if a.scope.rstrip("/").lower() == scope.rstrip("/").lower()
        and _guid(a.role_definition_id) == role
        and a.principal_id.lower() == principal.lower()
    ]


def _assigned(clients: AzureClients, act: RevocationAction) -> bool:
    matching = _matching(clients, act)
    if act.kind == CREATE_ASSIGNMENT:  # back only with the same condition
        return any((a.condition or "") == act.param("condition") for a in matching)
    return bool(matching)


def _delete(clients: AzureClients, act: RevocationAction) -> None:
    scope = act.param("scope")
    client = clients.authorization(subscription_of(scope))
    for assignment in _matching(clients, act):  # the planned one, or the one an undo created again
        with azure_call(f"subscription {subscription_of(scope)}", f"delete role assignment {assignment.id}"):
            client.role_assignments.delete_by_id(assignment.id)  # 204: already gone, which is done too


def _create(clients: AzureClients, act: RevocationAction) -> None:
    scope = act.param("scope")
    parameters = RoleAssignmentCreateParameters(
        role_definition_id=act.param("role_definition_id"),
        principal_id=act.param("principal_id"),
        principal_type=act.param("principal_type"),
        condition=act.param("condition") or None,
        condition_version=act.param("condition_version") or None,
        description="recreated by Recertify (undo of a revocation)",
    )
    with azure_call(f"subscription {subscription_of(scope)}", f"create role assignment at {scope}"):
        clients.authorization(subscription_of(scope)).role_assignments.create(
            scope, str(uuid.uuid4()), parameters
        )


def apply_assignment(clients: AzureClients, act: RevocationAction, *, dry_run: bool) -> RevocationResult:
    removes = _removes(act)
    if _assigned(clients, act) != removes:
        return RevocationResult.ALREADY_ABSENT
    if dry_run:
        return RevocationResult.DRY_RUN
    try:
        (_delete if removes else _create)(clients, act)
    except AzureApiError as exc:  # 409 RoleAssignmentExists on an undo: done if the read says so
        if exc.status not in (404, 409) or _assigned(clients, act) == removes:
            raise
        return RevocationResult.ALREADY_ABSENT
    return RevocationResult.APPLIED


def verify_assignment(clients: AzureClients, act: RevocationAction) -> bool:
    return _assigned(clients, act) != _removes(act)


def _removes(act: RevocationAction) -> bool:
    if act.kind == DELETE_ASSIGNMENT:
        return True
    if act.kind == CREATE_ASSIGNMENT:
        return False
    raise RevocationRefused(f"not an Azure revocation this version knows: {act.kind}")


def _guid(identifier: str) -> str:
    return identifier.rstrip("/").rsplit("/", 1)[-1].lower()


# --- memberships, through the Entra connector's primitives ----------------------------------------------


def as_entra(act: RevocationAction) -> RevocationAction:
    return RevocationAction(System.ENTRA, act.kind, act.params, act.description)


def apply_membership(
    graph: Callable[[], GraphClient], act: RevocationAction, *, dry_run: bool
) -> RevocationResult:
    with graph() as client:
        return entra.apply(client, as_entra(act), dry_run=dry_run)


def verify_membership(graph: Callable[[], GraphClient], act: RevocationAction) -> bool:
    with graph() as client:
        return entra.verify(client, as_entra(act))
