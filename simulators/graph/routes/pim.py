"""PIM for Groups routes: list eligibility schedules, and create eligibility schedule requests.

As documented (Graph v1.0, "List eligibilitySchedules"): "This method requires the `$filter` (`eq`) query
parameter to scope the request to a **principalId** or a **groupId**"; the answer is paged like any
collection. "Create eligibilityScheduleRequest" answers 201 with the request; `adminRemove` ends the
eligibility, `adminAssign` creates one. Refusals whose wording Microsoft does not document are modelled on
what clients in the wild report: a tenant without Entra ID P2 / ID Governance answers 400
`AadPremiumLicenseRequired`; removing an eligibility that does not exist answers 400
`RoleAssignmentDoesNotExist`, assigning one that exists 400 `RoleAssignmentExists`; a missing permission
403 `Authorization_RequestDenied`.
"""

from __future__ import annotations

from typing import Any

from simulators.graph.errors import GraphError, not_found
from simulators.graph.filters import parse_filter
from simulators.graph.protocol import Context, Request, Response, paged

BASE = "/identityGovernance/privilegedAccess/group"
FILTERABLE = frozenset(("groupId", "principalId", "accessId", "memberType", "status"))
_ACTIONS = {"adminassign": "adminAssign", "adminremove": "adminRemove"}


def _licensed(ctx: Context) -> None:
    """PIM needs a licence (the app's permissions are checked before any route: permissions.authorize)."""
    if not ctx.tenant.pim.licensed:
        raise GraphError(
            400,
            "AadPremiumLicenseRequired",
            "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.",
        )


def list_eligibility(ctx: Context, request: Request) -> Response:
    _licensed(ctx)
    raw = request.query.get("$filter") or request.query.get("filter")
    parsed = parse_filter(raw, FILTERABLE) if raw else []
    scoped = parsed and all(
        any(c.prop in ("groupId", "principalId") and c.op == "eq" for c in group) for group in parsed
    )
    if not scoped:
        raise GraphError(
            400,
            "BadRequest",
            "The $filter (eq) query parameter must scope the request to a principalId or a groupId.",
        )
    schedules = ctx.tenant.pim.schedules
    ids = sorted(i for i, s in schedules.items() if any(all(c.test(s.get) for c in g) for g in parsed))
    return paged(
        ctx,
        request,
        ids,
        lambda i: dict(schedules[i]),
        "identityGovernance/privilegedAccess/group/eligibilitySchedules",
    )


def _field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise GraphError(
            400, "InvalidRoleAssignmentRequest", f"The request is missing the required property '{name}'."
        )
    return value


def _object(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    return value if isinstance(value, dict) else {}


def create_request(ctx: Context, request: Request) -> Response:
    _licensed(ctx)
    body = request.body if isinstance(request.body, dict) else {}
    action = _ACTIONS.get(_field(body, "action").lower())
    if action is None:
        raise GraphError(
            400, "InvalidRoleAssignmentRequest", "This simulator supports adminAssign and adminRemove."
        )
    group, principal, access = _field(body, "groupId"), _field(body, "principalId"), _field(body, "accessId")
    if access not in ("member", "owner"):
        raise GraphError(400, "InvalidRoleAssignmentRequest", f"Invalid accessId '{access}'.")
    if group not in ctx.tenant.groups:
        raise not_found(group)
    pim = ctx.tenant.pim
    existing = pim.find(group, principal, access)
    schedule = _object(body, "scheduleInfo")
    if action == "adminRemove":
        if not existing:
            raise GraphError(400, "RoleAssignmentDoesNotExist", "The Role assignment does not exist.")
        for sid in existing:
            pim.remove(sid)
        status, target = "Revoked", existing[0]
    else:
        if existing:
            raise GraphError(400, "RoleAssignmentExists", "The Role assignment already exists.")
        if not ctx.tenant.exists(principal):
            raise not_found(principal)
        expiration = _object(schedule, "expiration")
        kind = str(expiration.get("type") or "").lower()
        if kind not in ("noexpiration", "afterdatetime"):
            raise GraphError(400, "InvalidRoleAssignmentRequest", "scheduleInfo.expiration.type is required.")
        end = expiration.get("endDateTime") if kind == "afterdatetime" else None
        if kind == "afterdatetime" and not isinstance(end, str):
            raise GraphError(400, "InvalidRoleAssignmentRequest", "afterDateTime needs an endDateTime.")
        target = pim.add_eligibility(group, principal, access=access, end=end)
        status = "Provisioned"
    answer = {
        "@odata.context": f"{ctx.base_url}/$metadata#identityGovernance/privilegedAccess/group/"
        "eligibilityScheduleRequests/$entity",
        "id": ctx.tenant.new_id(),
        "status": status,
        "action": action,
        "principalId": principal,
        "accessId": access,
        "groupId": group,
        "targetScheduleId": target,
        "justification": body.get("justification"),
        "scheduleInfo": schedule,
    }
    return Response(201, answer)


def register(ctx: Context) -> None:
    ctx.route("GET", f"{BASE}/eligibilitySchedules", list_eligibility)
    ctx.route("POST", f"{BASE}/eligibilityScheduleRequests", create_request)
