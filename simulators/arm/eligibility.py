"""PIM eligibility of Azure resource roles: "Role Eligibility Schedule Instances - List For Scope"
(api-version 2020-10-01).

"Use Azure PIM to manage eligible access with the REST API" (Microsoft Learn): "To call the API, you must
have access to the Microsoft.Authorization/roleAssignments/read operation at the specified scope", and
"$filter=atScope() List role assignments for only the specified scope, not including the role assignments at
subscopes"; the SDK's filter text: "Use $filter=atScope() to return all role assignment schedules at or above
the scope. Use $filter=principalId eq {id} to return all role assignment schedules at, above or below the
scope for the specified principal." Without a filter, as for role assignments: at, above and below. "schedule
instances only include assignments that are active at the current time", so the state holds the current ones.

What ARM answers for a tenant without Microsoft Entra ID P2 is not documented for this list; the simulator
does not invent it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulators.arm.errors import bad_request
from simulators.arm.permissions import authorize
from simulators.arm.protocol import Paging, Request, Response, parse_filter
from simulators.arm.state import ArmState

READ = "Microsoft.Authorization/roleAssignments/read"


def list_instances(
    state: ArmState, paging: Paging, request: Request, scope: str, related_to: Callable[..., Any]
) -> Response:
    authorize(READ, scope, state.allowed_actions, state.caller_id)

    def compute(query: dict[str, str]) -> list[dict[str, Any]]:
        wanted = parse_filter(query.get("$filter"))
        if set(wanted) - {"atscope()", "principalid"}:
            raise bad_request("InvalidFilterInQueryString", f"Invalid $filter '{query.get('$filter')}'.")
        principal = None if "principalid" not in wanted else wanted["principalid"].lower()
        related = related_to(state, scope, "atscope()" in wanted)
        return [
            wire
            for _, wire in sorted(state.eligible_assignments.items())
            if (principal is None or wire["properties"]["principalId"].lower() == principal)
            and related(wire["properties"]["scope"])
        ]

    return paging.respond(request, compute)
