"""From a grant to the one Graph change that ends it for its principal alone, or a refusal that tells a person
what to change instead. The grant's path decides (access.py builds it):

| path                                 | change                                                             |
|--------------------------------------|--------------------------------------------------------------------|
| group (the store itself), direct     | remove the direct membership, once one GET shows the group is      |
|                                      | not dynamic, synchronized from on-premises, mail-enabled (without  |
|                                      | Unified) or role-assignable (else refused, saying why)             |
| group → group …  (nested)            | refused: names the direct membership to change                     |
| app_role (assigned to the principal) | remove that app role assignment (its id read from Graph)           |
| group → app_role                     | refused: the group's assignment serves every member                |
| owner                                | refused: removing an owner is a person's decision, never automatic |
| eligible_member / eligible_owner     | end that direct PIM eligibility (adminRemove; undo: adminAssign    |
|                                      | with the same end), once one read finds it                         |
| eligible_… → group …                 | refused: the group's eligibility serves every member               |
| app_setting (assignment not required)| refused: every user of the tenant can sign in; a person sets       |
|                                      | Assignment required to Yes on the enterprise app                   |

The choice is pure: refusals that need no read are made before any call. Planning reads and never writes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from connectors.entra.client import GraphClient, GraphNotFound
from connectors.entra.directory import CHANGEABILITY_SELECT, unchangeable
from connectors.entra.eligibility_revoke import plan_remove_eligibility
from connectors.entra.revoke import PlannedRevocation, plan_for_group_grant, plan_remove_assignment
from reviews.entitlements import Grant, PathStep
from reviews.errors import NotFound, RevocationRefused

Plan = Callable[[GraphClient], PlannedRevocation]


def plan_for_grant(grant: Grant) -> Plan:
    """The plan that ends `grant` for its principal (call it with a Graph client), or RevocationRefused."""
    first, last = grant.path[0], grant.path[-1]
    who = grant.principal_provider_id
    if grant.needs_human_review:
        raise RevocationRefused(
            f"{who}'s access to {grant.store_provider_id} needs a person's review: not automatic"
        )
    if first.kind == "app_setting":
        raise RevocationRefused(
            f"every user of the tenant can sign in to {grant.store_name or grant.store_provider_id}: its "
            "Assignment required? setting is No, and that is not a change Recertify makes alone. Fix: "
            "assign the users and groups who need the app, then set Assignment required to Yes on the "
            "enterprise app (Entra admin center → Enterprise applications → the app → Properties)"
        )
    if first.kind in ("eligible_member", "eligible_owner"):
        if len(grant.path) == 1:
            return partial(_eligibility, grant=grant, step=first)
        via = grant.path[1]
        raise RevocationRefused(
            f"{who} is eligible for {first.name} as a member of group {via.name}, whose eligibility serves "
            f"every member: remove {who} from {grant.path[-1].name}, or end {via.name}'s eligibility"
        )
    if first.kind == "owner":
        raise RevocationRefused(
            f"{who} is an owner of {first.name}: removing an owner is a decision for a person, never "
            f"automatic (it could leave {first.name} without an owner); ask an admin to change its owners"
        )
    if last.kind == "app_role" and len(grant.path) == 1:
        return partial(_assignment, grant=grant, role=first)
    if last.kind == "app_role" and len(grant.path) == 2 and first.kind == "group":
        raise RevocationRefused(
            f"{who} has app role {last.name} as a member of group {first.name}, whose assignment serves "
            f"every member: remove {who} from {first.name}, or have the app's owner change the assignment"
        )
    if (
        first.kind == "group"
        and first.id == grant.store_provider_id
        and all(s.kind == "group" for s in grant.path)
    ):
        if len(grant.path) == 1:
            return partial(_membership, grant=grant, group=first)
        plan_for_group_grant(grant, unchangeable=None)  # refuses inherited membership, naming what to change
    raise RevocationRefused(
        f"{who}'s access to {grant.store_provider_id} ({' → '.join(map(str, grant.path))}) is not one "
        "Recertify can end for this principal alone: a person must decide what to change"
    )


def _eligibility(client: GraphClient, *, grant: Grant, step: PathStep) -> PlannedRevocation:
    """One read: the eligibility is still there (NotFound otherwise), and its end date for the undo."""
    action, inverse = plan_remove_eligibility(client, grant=grant, step=step)
    return PlannedRevocation(action, inverse)


def _membership(client: GraphClient, *, grant: Grant, group: PathStep) -> PlannedRevocation:
    return plan_for_group_grant(grant, unchangeable=why_unchangeable(client, group))


def why_unchangeable(client: GraphClient, group: PathStep) -> str | None:
    """One GET: a dynamic, on-premises, mail-enabled or role-assignable group's membership cannot be changed
    through Graph (directory.unchangeable): why, or None. Shared with the Azure connector, whose group paths
    are Entra groups too."""
    try:
        found = client.get(f"/groups/{group.id}", {"$select": CHANGEABILITY_SELECT})
    except GraphNotFound:
        raise NotFound(f"group {group.name} no longer exists: nothing to revoke") from None
    if "groupTypes" not in found:
        raise RevocationRefused(f"Graph did not say whether group {group.name} is dynamic: not changed")
    return unchangeable(found)


def _assignment(client: GraphClient, *, grant: Grant, role: PathStep) -> PlannedRevocation:
    """The assignment of this app role to this principal, read from the app's service principal."""
    sp_id = grant.store_provider_id
    assigned = client.get_counted(f"/servicePrincipals/{sp_id}/appRoleAssignedTo")
    ids = sorted(
        a["id"]
        for a in assigned
        if a["principalId"] == grant.principal_provider_id and a["appRoleId"] == role.id
    )
    if not ids:
        raise NotFound(
            f"{grant.principal_provider_id} no longer holds app role {role.name}: nothing to revoke"
        )
    return plan_remove_assignment(
        sp_id,
        ids[0],
        grant.principal_provider_id,
        role.id,
        names=(role.name, grant.principal_name, grant.store_name),
    )
