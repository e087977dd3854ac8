"""What a person must change to end an Azure grant, read from the grant's path. Pure.

"Access to Azure resources is granted by creating a role assignment, and access is revoked by removing a role
assignment" (Microsoft Learn, Understand Azure role assignments). The path names the assignment (its ARM id
holds its scope) and the groups it reaches the principal through, innermost first (evaluate.py):

| path                               | the fix a person applies                                         |
|------------------------------------|------------------------------------------------------------------|
| role_assignment (to the principal) | delete it: `az role assignment delete --ids <its id>`; at a       |
|                                    | subscription or management group it serves far more than this    |
|                                    | store, which the refusal says                                    |
| group … → any grantor              | remove the principal from the group it is directly in (Entra), or |
|                                    | end the group's grant, which serves every member                 |
| eligible_assignment (PIM)          | remove the eligibility in PIM, or PUT a                          |
|                                    | roleEligibilityScheduleRequest with requestType AdminRemove       |
| cosmos_role_assignment             | `az cosmosdb sql role assignment delete`                         |
| access_policy                      | `az keyvault delete-policy --object-id`                          |
| sql_entra_admin                    | set another Entra admin on the server (`az sql server ad-admin`)  |
"""

from __future__ import annotations

from connectors.azure.directory import GROUP_STEP
from connectors.azure.evaluate import ROUTE_STEP
from connectors.azure.grants import GrantorKind
from reviews.entitlements import Grant, PathStep

_ASSIGNMENTS = "/providers/microsoft.authorization/roleassignments/"
_ELIGIBLE = "/providers/microsoft.authorization/roleeligibilityscheduleinstances/"


def manual_fix(grant: Grant) -> str:
    """The sentence a person acts on: which assignment to delete at which scope, or which membership."""
    who = grant.principal_name or grant.principal_provider_id
    store = grant.store_name or grant.store_provider_id
    steps = [step for step in grant.path if step.kind != ROUTE_STEP]
    groups = [step for step in steps if step.kind == GROUP_STEP]
    grantor = next((step for step in steps if step.kind != GROUP_STEP), None)
    if grantor is None:
        return f"{who}'s {grant.access} access to {store} has no grantor in its path: review it by hand"
    what = _grantor_fix(grantor, grant.store_provider_id)
    if groups:
        inner, outer = groups[0], groups[-1]
        return (
            f"{who} reaches {store} as a member of group {inner.name} ({inner.id})"
            + (f", nested in {outer.name} ({outer.id})" if outer is not inner else "")
            + f", through {grantor.name}. Fix: remove {who} from group {inner.name} in Entra ID; or, if no "
            f"member of {outer.name} should have it, {what}"
        )
    conditional = " (its condition decides each request)" if grant.conditional else ""
    return f"{who} holds {grant.access} on {store} through {grantor.name}{conditional}. Fix: {what}"


def _grantor_fix(step: PathStep, store_id: str) -> str:
    if step.kind == GrantorKind.ROLE_ASSIGNMENT:
        scope = _scope(step.id)
        wide = ""
        if "/resourcegroups/" not in scope.lower():  # a subscription, a management group or the root
            wide = (
                f" (it is made at {scope} and serves every resource below it: give back narrower "
                "assignments to those who still need them)"
            )
        return f"delete the role assignment at {scope}: az role assignment delete --ids {step.id}{wide}"
    if step.kind == GrantorKind.ELIGIBLE_ASSIGNMENT:
        return _eligible_fix(step)
    parts = _resource(store_id)
    if step.kind == GrantorKind.COSMOS_ROLE_ASSIGNMENT:
        return (
            f"delete the Cosmos DB data-plane role assignment: az cosmosdb sql role assignment delete "
            f"--account-name {parts['name']} --resource-group {parts['group']} "
            f"--role-assignment-id {step.id.rstrip('/').rsplit('/', 1)[-1]}"
        )
    if step.kind == GrantorKind.ACCESS_POLICY:
        object_id = step.id.rstrip("/").rsplit("/", 1)[-1]
        return (
            f"delete the vault's access policy: az keyvault delete-policy --name {parts['name']} "
            f"--resource-group {parts['group']} --object-id {object_id}"
        )
    if step.kind == GrantorKind.SQL_ENTRA_ADMIN:
        return (
            f"make someone else the SQL server's Microsoft Entra admin: az sql server ad-admin update "
            f"--resource-group {parts['group']} --server-name {parts['server']} …"
        )
    return f"end {step.name} ({step.id})"


def _eligible_fix(step: PathStep) -> str:
    """ "adminRemove: For administrators to remove eligible roles from principals" (Microsoft Learn, PIM
    schedule requests); ARM takes it as requestType AdminRemove (api-version 2020-10-01)."""
    cut = step.id.lower().rfind(_ELIGIBLE)
    scope = (step.id[:cut] or "/") if cut >= 0 else step.id
    return (
        f"remove the eligible assignment ({step.name}) in PIM: Azure portal → Privileged Identity Management "
        "→ Azure resources → the resource → Assignments → Eligible assignments → Remove; or "
        f"az rest --method put --url '{scope}/providers/Microsoft.Authorization/"
        "roleEligibilityScheduleRequests/<new guid>?api-version=2020-10-01' --body "
        '\'{"properties": {"requestType": "AdminRemove", "principalId": "<principal>", '
        '"roleDefinitionId": "<role definition id>"}}\''
    )


def _scope(assignment_id: str) -> str:
    """The scope an assignment is made at: its ARM id before /providers/Microsoft.Authorization/…"""
    cut = assignment_id.lower().rfind(_ASSIGNMENTS)
    return (assignment_id[:cut] or "/") if cut >= 0 else assignment_id


def _resource(store_id: str) -> dict[str, str]:
    """Resource group, name and (for SQL) server of an ARM resource id."""
    segments = store_id.strip("/").split("/")
    lowered = [s.lower() for s in segments]
    group = segments[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered else "?"
    server = segments[lowered.index("servers") + 1] if "servers" in lowered else "?"
    name = segments[lowered.index("providers") + 3] if "providers" in lowered else segments[-1]
    return {"group": group, "name": name, "server": server}
