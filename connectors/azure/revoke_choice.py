"""Which change ends an Azure grant for its principal alone, read from the grant's path, or a refusal that
names the manual fix (planning.py) and why it is left to a person. Pure: no SDK, no I/O.

"To remove access from an Azure resource, you remove a role assignment" (Microsoft Learn, Remove Azure role
assignments). The path (evaluate.py) is: groups, innermost first → the grantor → a route step for a
control-plane route to the data.

| path                                             | change                                                |
|--------------------------------------------------|-------------------------------------------------------|
| role_assignment to the principal, at the store,  | delete that assignment (undo: create it again with    |
| below it, or at its resource group              | the same role, scope, principal type and condition)   |
| group … → any grantor                            | remove the principal's direct membership of the       |
|                                                  | innermost group, through Graph (as Entra does)        |
| role_assignment at a parent resource, the        | refused: it serves every resource below its scope     |
| subscription, a management group or the root     |                                                       |
| a key route (listKeys, read-only keys)           | refused: keys already listed keep working until they  |
|                                                  | are rotated, which a person decides                   |
| cosmos_role_assignment, access_policy,           | refused with the command a person runs                |
| sql_entra_admin (to the principal itself)        |                                                       |
| eligible_assignment (PIM), direct or via a group | refused: removed in PIM by a person (planning.py)     |
| anything else (a grant needing human review)     | refused                                               |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from connectors.azure.directory import GROUP_STEP
from connectors.azure.evaluate import ROUTE_STEP
from connectors.azure.grants import GrantorKind
from connectors.azure.planning import manual_fix
from reviews.entitlements import Grant, PathStep
from reviews.errors import RevocationRefused

_ASSIGNMENTS = "/providers/microsoft.authorization/roleassignments/"
_KEY_ROUTES = ("#account_keys", "#readonly_keys")


@dataclass(frozen=True, slots=True)
class DeleteAssignment:
    """Delete the role assignment `assignment_id` (its scope is the store, below it, or its resource group);
    `group_scope`: made at the resource group, so it serves every resource in it."""

    assignment_id: str
    scope: str
    group_scope: bool


@dataclass(frozen=True, slots=True)
class RemoveMembership:
    """Remove the principal's direct membership of `group` (the innermost group of the path)."""

    group: PathStep


Choice = DeleteAssignment | RemoveMembership


def choose(grant: Grant) -> Choice:
    """The change that ends `grant` for its principal, or RevocationRefused with the manual fix and why."""
    if grant.needs_human_review:
        refuse(grant, "the grant needs a person's review")
    routes = [step for step in grant.path if step.kind == ROUTE_STEP]
    if any(step.id.lower().endswith(_KEY_ROUTES) for step in routes):
        refuse(
            grant,
            "the access comes through account keys: keys already listed keep working after the role is "
            "taken away, until a person rotates them",
        )
    if any(step.kind == GrantorKind.ELIGIBLE_ASSIGNMENT for step in grant.path):
        refuse(grant, "the access comes through a PIM-eligible assignment, which PIM manages")
    steps = [step for step in grant.path if step.kind != ROUTE_STEP]
    groups = [step for step in steps if step.kind == GROUP_STEP]
    grantors = [step for step in steps if step.kind != GROUP_STEP]
    known = {kind.value for kind in GrantorKind}
    if len(grantors) != 1 or grantors[0].kind not in known or steps[: len(groups)] != groups:
        refuse(grant, "its path is not one Recertify knows how to end (a PIM eligibility, an unknown step)")
    if groups:
        return RemoveMembership(groups[0])
    grantor = grantors[0]
    if grantor.kind != GrantorKind.ROLE_ASSIGNMENT:
        refuse(grant, f"a {grantor.kind.replace('_', ' ')} is the store's own setting, changed by a person")
    scope = assignment_scope(grantor.id)
    store = grant.store_provider_id.rstrip("/").lower()
    lowered = scope.rstrip("/").lower()
    if lowered == store or lowered.startswith(store + "/"):
        return DeleteAssignment(grantor.id, scope, group_scope=False)
    if lowered == resource_group_of(store):
        return DeleteAssignment(grantor.id, scope, group_scope=True)
    refuse(
        grant,
        f"the role assignment is inherited from {scope}, above the store's resource group: deleting it "
        "would take the role away on everything below that scope",
    )


def refuse(grant: Grant, reason: str) -> NoReturn:
    raise RevocationRefused(f"Not changed automatically: {reason}. {manual_fix(grant)}")


def assignment_scope(assignment_id: str) -> str:
    """The scope an assignment is made at: its ARM id before /providers/Microsoft.Authorization/…"""
    cut = assignment_id.lower().rfind(_ASSIGNMENTS)
    if cut < 0:
        raise RevocationRefused(f"{assignment_id} is not a role assignment id")
    return assignment_id[:cut] or "/"


def resource_group_of(resource_id: str) -> str:
    """/subscriptions/{s}/resourcegroups/{g} of a resource id, lower-cased ('' outside a resource group)."""
    parts = resource_id.strip("/").lower().split("/")
    if len(parts) < 4 or parts[0] != "subscriptions" or parts[2] != "resourcegroups":
        return ""
    return "/" + "/".join(parts[:4])


def subscription_of(scope: str) -> str:
    parts = scope.strip("/").split("/")
    if len(parts) < 2 or parts[0].lower() != "subscriptions":
        raise RevocationRefused(f"{scope} is not in a subscription")
    return parts[1]
