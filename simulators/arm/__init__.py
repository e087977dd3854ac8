"""A local HTTPS simulator of Azure Resource Manager (the subset Recertify's Azure connector reads and
writes).

    state = ArmState()
    state.add_subscription(SUB, "Department"); state.add_storage_account(SUB, "rg", "pdstore", tags={...})
    with ArmSimulator(state) as sim:
        client = ResourceManagementClient(credential, SUB, base_url=sim.url, connection_verify=sim.ca_bundle)

Served (each from its Microsoft Learn REST reference; any well-formed api-version is accepted, a missing
one answers 400 `MissingApiVersionParameter`):
- `GET /subscriptions` (+ get one); resource groups; `GET /subscriptions/{s}[/resourceGroups/{rg}]/resources`
  with `$filter=tagName eq 'X' [and tagValue eq 'Y']` or `resourceType eq 'T'` and `$top` (resources.py:
  filtered by tag, the tags are left out, as documented); `GET {resourceId}` (the whole resource with its
  properties) and `GET {resourceId}/{childType}` (its children: `sqlRoleAssignments`, `administrators`,
  `databases`…).
- Stores (stores.py): storage accounts, blob containers, Cosmos DB accounts with their SQL role definitions
  and assignments, Key Vaults, SQL servers with their Entra admin, SQL databases.
- `{scope}/providers/Microsoft.Authorization/`: `roleAssignments` (list with no filter, `atScope()`,
  `principalId eq`; get, PUT with `condition`/`conditionVersion`, DELETE), `roleDefinitions` (30 built-in
  ones seeded from Microsoft's "Azure built-in roles" pages in builtin_roles.json, and custom; list, get) and
  `denyAssignments` (list), at the root, a management group, a subscription, a group, a resource or a child.
- Protocol: HTTPS only (tls.py says why), bearer token (401 `AuthenticationFailed` without one, 401
  `InvalidAuthenticationToken` for a wrong one), errors as `{"error": {"code", "message"}}`, paging with an
  absolute `nextLink` (`state.page_size`), 429 + `Retry-After` and `x-ms-ratelimit-remaining-*` (faults.py),
  403 `AuthorizationFailed` for an action the caller lacks (`state.allowed_actions`, permissions.py).

Deliberate simplifications: the caller's permissions are not scope-aware; a PUT names no principal the
directory must know; a role assignment PUT without `principalType` stores "User"; a list pages over the
snapshot its first page took. Not served: management group reads, custom role PUT (state only), PIM
eligibility (`roleEligibilityScheduleInstances`), single deny assignment get, ETags.
"""

from simulators.arm.faults import Faults
from simulators.arm.roles import builtin_role_id, builtin_roles
from simulators.arm.server import ArmSimulator, RecordedRequest
from simulators.arm.state import ArmState
from simulators.arm.stores import COSMOS_DATA_CONTRIBUTOR, COSMOS_DATA_READER

__all__ = [
    "COSMOS_DATA_CONTRIBUTOR",
    "COSMOS_DATA_READER",
    "ArmSimulator",
    "ArmState",
    "Faults",
    "RecordedRequest",
    "builtin_role_id",
    "builtin_roles",
]
