"""A local HTTP simulator of Microsoft Graph v1.0 (the Entra ID subset Recertify reads and writes).

    tenant, names = generate_tenant(TenantShape(users=1_000, seed=7))   # or build a Tenant() by hand
    with GraphSimulator(tenant, token="test-token") as sim:
        ...  # point GraphServiceClient (request_adapter.base_url) at sim.url

Faithful to the documented protocol: absolute `@odata.nextLink`s with opaque signed skiptokens, `$top`
1–999 (the page is min($top, page_size)), `$select` (users default to Graph's basic profile only),
`$filter` (eq/ne/in/startswith, and/or), type casts (`microsoft.graph.user` and the SDK's `graph.user`),
`transitiveMembers` (each member once, loop-safe, the group itself excluded), `$batch` (per-item 429),
`DELETE …/members/{id}/$ref` (and 400 without `$ref`), 401 without the bearer token, errors as
`{"error": {"code", "message", "innerError"}}`, and `request-id`/`client-request-id` on every response.

Delta (`/users/delta`, `/groups/delta`, also `delta()` and `microsoft.graph.delta`):
- `$select` on the first call is carried in every token; `$deltatoken=latest` starts from now.
- Managers: put `manager` in `$select` (the documented way; `$expand` on delta is ignored by Graph, so
  the simulator refuses it with 400 rather than silently dropping managers). Users then carry
  `manager@delta: [{"@odata.type": "#microsoft.graph.user", "id": …}]`: in a full round for every user who
  has a manager; in an incremental round only when the manager changed, a removed manager as
  `[{…, "id": <old>, "@removed": {"reason": "deleted"}}]`. No `manager@delta` = none (full) / unchanged.
- Groups with `members` in `$select` carry `members@delta`, removals with
  `"@removed": {"reason": "deleted"}`. A group appearance holds at most `delta_member_chunk` members; a
  bigger group ends the page and appears again, properties and all, on the next page with more members.
- Deleted objects: `{"id": …, "@removed": {"reason": …}}`: users "changed" (soft delete; "deleted" with
  `delete_user(permanent=True)`), security groups "deleted", Microsoft 365 groups "changed".
- A deltaLink returns the net changes since it was issued, then a new deltaLink. A delta token older than
  `sim.delta_lifetime` (seven days on the tenant's clock, as Graph's directory delta links), any token after
  `expire_delta_links()`, and a token not issued by this simulator answer 400 `syncStateNotFound` ("The sync
  state generation is not found…"), as Graph does; after `expire_delta_links(reset=True)`, 410 Gone with a
  `Location` header holding the initial query with an empty `$deltatoken` (Graph's synchronization reset).

Licence and permissions: `sim.premium = False` is a tenant without Microsoft Entra ID P1/P2 (selecting
`signInActivity` answers 403 `Authentication_RequestFromNonPremiumTenantOrB2CTenant`); `sim.permissions`
(None: every permission Recertify asks for) without `AuditLog.Read.All` answers that read 403
`Authorization_RequestDenied`. Member changes on mail-enabled security groups and distribution lists
(`mailEnabled` without "Unified": read-only through Graph) and on role-assignable groups (unless
`sim.permissions` holds `RoleManagement.ReadWrite.Directory`) answer 403 `Authorization_RequestDenied`.
Query strings and `$batch` urls are parsed as a server parses a URL (`&` splits, `#` starts a fragment, `+`
is a space, a bare `%` is refused), so a client must percent-encode values.

Also: `$expand=manager` on /users and /users/{id}, `GET /directoryObjects/{id}`, `PATCH /users/{id}`
(accountEnabled, displayName, mail). Deliberate deviations, each making a client bug visible instead of
silent: `$expand` or `$filter` on delta → 400 (Graph ignores them); `DELETE …/members/{id}` without
`$ref` → 400 (Graph deletes the object); `$batch` answers in reverse order (Graph promises no order).

Application permissions: `GraphSimulator(granted_roles=[...])` grants the app only those (None: every
request allowed); any other request answers 403 `Authorization_RequestDenied` "Insufficient privileges to
complete the operation.", as Graph does, and `premium=False` is a tenant without Entra ID P1, whose
sign-in activity answers 403 `Authentication_RequestFromNonPremiumTenantOrB2CTenant` (see `permissions.py`).

Faults: see `faults.py`. Records: `sim.requests` (see `records.py`), `sim.request_count(...)`.
"""

from simulators.graph.faults import Faults
from simulators.graph.generate import TenantNames, TenantShape, generate_tenant
from simulators.graph.records import RecordedRequest
from simulators.graph.server import GraphSimulator
from simulators.graph.tenant import Tenant

__all__ = [
    "Faults",
    "GraphSimulator",
    "RecordedRequest",
    "Tenant",
    "TenantNames",
    "TenantShape",
    "generate_tenant",
]
