"""Microsoft.Authorization at any scope: role assignments (list, get, PUT, DELETE), role definitions (list,
get) and deny assignments (list).

"Role Assignments - List For Scope", $filter: "Use $filter=atScope() to return all role assignments at or
above the scope. Use $filter=principalId eq {id} to return all role assignments at, above or below the scope
for the specified principal." Without a filter ("List Azure role assignments using the REST API"): every
assignment at, above and below the scope. Deny assignments ("List Azure deny assignments"): "(no filter)
Lists all deny assignments at, above, and below the specified scope", "$filter=atScope() Lists deny
assignments for only the specified scope and above." Role definitions: the built-in ones everywhere, a
custom one where one of its assignableScopes is at or above the scope (`atScopeAndBelow()`: below as well).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from simulators.arm import scopes
from simulators.arm.errors import ArmError, bad_request, resource_not_found
from simulators.arm.grants import AUTH, now_iso
from simulators.arm.permissions import authorize
from simulators.arm.protocol import Paging, Request, Response, parse_filter
from simulators.arm.state import ArmState

KINDS = ("roleassignments", "roledefinitions", "denyassignments", "roleeligibilityscheduleinstances")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
READ, WRITE, DELETE = (f"Microsoft.Authorization/roleAssignments/{v}" for v in ("read", "write", "delete"))


def route(
    state: ArmState, paging: Paging, request: Request, scope: str, kind: str, name: str | None
) -> Response:
    check_scope(state, scope)
    method = request.method
    if kind == "roleassignments" and name is None and method == "GET":
        return _list_assignments(state, paging, request, scope, state.role_assignments)
    if kind == "roleassignments" and name is not None:
        handler = {"GET": _get_assignment, "PUT": _put_assignment, "DELETE": _delete_assignment}.get(method)
        if handler is not None:
            return handler(state, request, scope, name)
    if kind == "roledefinitions" and method == "GET":
        return _definitions(state, paging, request, scope, name)
    if kind == "denyassignments" and name is None and method == "GET":
        return _list_denials(state, paging, request, scope)
    if kind == "roleeligibilityscheduleinstances" and name is None and method == "GET":
        # PIM eligibility: the same filters, reach and permission (the comment above _list_assignments)
        return _list_assignments(state, paging, request, scope, state.eligible_assignments)
    raise ArmError(405, "MethodNotAllowed", f"The method '{method}' is not supported on '{request.path}'.")


def check_scope(state: ArmState, scope: str) -> None:
    """404 for a scope that names nothing (a subscription, group or resource the state does not hold)."""
    group = scopes.management_group(scope)
    if group is not None:
        if group not in state.management_groups:
            raise ArmError(404, "ManagementGroupNotFound", f"Management group '{group}' could not be found.")
        return
    parts = scopes.normalize(scope).split("/")
    if len(parts) >= 3 and not any(s.lower() == parts[2].lower() for s in state.subscriptions):
        raise ArmError(404, "SubscriptionNotFound", f"The subscription '{parts[2]}' could not be found.")
    if (
        len(parts) >= 5
        and f"/subscriptions/{parts[2]}/resourcegroups/{parts[4]}".lower() not in state.resource_groups
    ):
        raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{parts[4]}' could not be found.")
    if len(parts) > 5 and scopes.normalize(scope).lower() not in state.resources:
        raise resource_not_found(scope)


class _Related:
    """Whether an assignment's scope is at or above a scope (and, unless `at_or_above_only`, below it). The
    scope's lineage is computed once per list; "below" is a path prefix, except under a management group,
    whose descendants are found through their own lineage."""

    def __init__(self, state: ArmState, scope: str, at_or_above_only: bool) -> None:
        self._state = state
        self._scope = scopes.normalize(scope).lower()
        self._above = state.lineage(scope)
        self._only_above = at_or_above_only
        self._group = scopes.management_group(scope) is not None

    def __call__(self, assigned_at: str) -> bool:
        lowered = scopes.normalize(assigned_at).lower()
        if lowered in self._above:
            return True
        if self._only_above:
            return False
        if self._group or not self._scope:
            return self._scope in self._state.lineage(assigned_at)
        return lowered.startswith(self._scope + "/")


# PIM eligibility of Azure resource roles: "Role Eligibility Schedule Instances - List For Scope"
# (api-version 2020-10-01).
#
# "Use Azure PIM to manage eligible access with the REST API" (Microsoft Learn): "To call the API, you must
# have access to the Microsoft.Authorization/roleAssignments/read operation at the specified scope", and
# "$filter=atScope() List role assignments for only the specified scope, not including the role assignments
# at subscopes"; the SDK's filter text: "Use $filter=atScope() to return all role assignment schedules at or
# above the scope. Use $filter=principalId eq {id} to return all role assignment schedules at, above or
# below the scope for the specified principal." Without a filter, as for role assignments: at, above and
# below. "schedule instances only include assignments that are active at the current time", so the state
# holds the current ones.
#
# What ARM answers for a tenant without Microsoft Entra ID P2 is not documented for this list; the simulator
# does not invent it.


def _list_assignments(
    state: ArmState, paging: Paging, request: Request, scope: str, table: dict[str, dict[str, Any]]
) -> Response:
    """Role assignments, or PIM eligibility instances (the comment above): no filter, at, above and below the
    scope; `atScope()`, at or above; `principalId eq`, that principal's."""
    authorize(READ, scope, state.allowed_actions, state.caller_id)

    def compute(query: dict[str, str]) -> list[dict[str, Any]]:
        wanted = parse_filter(query.get("$filter"))
        if set(wanted) - {"atscope()", "principalid"}:
            raise bad_request("InvalidFilterInQueryString", f"Invalid $filter '{query.get('$filter')}'.")
        principal = None if "principalid" not in wanted else wanted["principalid"].lower()
        related = _Related(state, scope, "atscope()" in wanted)
        return [
            wire
            for _, wire in sorted(table.items())
            if (principal is None or wire["properties"]["principalId"].lower() == principal)
            and related(wire["properties"]["scope"])
        ]

    return paging.respond(request, compute)


def _find(state: ArmState, scope: str, name: str) -> dict[str, Any] | None:
    wire = state.role_assignments.get(name.lower())
    if (
        wire is None
        or scopes.normalize(wire["properties"]["scope"]).lower() != scopes.normalize(scope).lower()
    ):
        return None
    return wire


def _get_assignment(state: ArmState, request: Request, scope: str, name: str) -> Response:
    authorize(READ, scope, state.allowed_actions, state.caller_id)
    wire = _find(state, scope, name)
    if wire is None:
        raise ArmError(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")
    return Response(200, copy.deepcopy(wire))


def _put_assignment(state: ArmState, request: Request, scope: str, name: str) -> Response:
    authorize(WRITE, scope, state.allowed_actions, state.caller_id)
    if not GUID.match(name):
        raise bad_request(
            "InvalidRoleAssignmentId",
            f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
        )
    body = request.body if isinstance(request.body, dict) else {}
    props = body.get("properties")
    if not isinstance(props, dict) or not props.get("roleDefinitionId") or not props.get("principalId"):
        raise bad_request(
            "InvalidRequestContent", "properties.roleDefinitionId and properties.principalId are required."
        )
    guid = str(props["roleDefinitionId"]).rstrip("/").split("/")[-1]
    if guid.lower() not in state.role_definitions:
        raise bad_request(
            "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{guid}' does not exist."
        )
    condition, version = props.get("condition"), props.get("conditionVersion")
    if condition is not None and version not in (None, "2.0"):
        raise bad_request("InvalidConditionVersion", "The only accepted value of conditionVersion is '2.0'.")
    principal = str(props["principalId"])
    existing = state.role_assignments.get(name.lower())
    if existing is not None:
        old = existing["properties"]
        same_target = old["principalId"].lower() == principal.lower() and old[
            "roleDefinitionId"
        ].lower().endswith(guid.lower())
        if not same_target or scopes.normalize(old["scope"]).lower() != scopes.normalize(scope).lower():
            raise bad_request(
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            )
        old.update(condition=condition, conditionVersion=version or ("2.0" if condition else None))
        old.update(description=props.get("description"), updatedOn=now_iso())
        return Response(200, copy.deepcopy(existing))
    for other in state.role_assignments.values():
        p = other["properties"]
        if (
            p["principalId"].lower() == principal.lower()
            and p["roleDefinitionId"].lower().endswith(guid.lower())
            and scopes.normalize(p["scope"]).lower() == scopes.normalize(scope).lower()
        ):
            raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
    wire = state.add_role_assignment(
        scope,
        guid,
        principal,
        principal_type=str(props.get("principalType") or "User"),
        condition=condition,
        condition_version=version,
        name=name,
    )
    wire["properties"]["description"] = props.get("description")
    return Response(201, copy.deepcopy(wire))


def _delete_assignment(state: ArmState, request: Request, scope: str, name: str) -> Response:
    authorize(DELETE, scope, state.allowed_actions, state.caller_id)
    wire = _find(state, scope, name)
    if wire is None:
        return Response(204)
    del state.role_assignments[name.lower()]
    return Response(200, copy.deepcopy(wire))


def _role_wire(role: dict[str, Any], scope: str) -> dict[str, Any]:
    subscription = scopes.subscription_of(scope)
    prefix = f"/subscriptions/{subscription}" if subscription else scopes.normalize(scope)
    return {
        "id": f"{prefix}{AUTH}/roleDefinitions/{role['name']}",
        "name": role["name"],
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": role["roleName"],
            "type": role["roleType"],
            "description": role["description"],
            "assignableScopes": list(role["assignableScopes"]),
            "permissions": copy.deepcopy(role["permissions"]),
            "createdOn": None,
            "updatedOn": None,
            "createdBy": None,
            "updatedBy": None,
        },
    }


def _definitions(state: ArmState, paging: Paging, request: Request, scope: str, name: str | None) -> Response:
    authorize("Microsoft.Authorization/roleDefinitions/read", scope, state.allowed_actions, state.caller_id)
    if name is not None:
        role = state.role_definitions.get(name.lower())
        if role is None:
            raise ArmError(
                404,
                "RoleDefinitionDoesNotExist",
                f"The specified role definition with ID '{name}' does not exist.",
            )
        return Response(200, _role_wire(role, scope))

    def compute(query: dict[str, str]) -> list[dict[str, Any]]:
        wanted = parse_filter(query.get("$filter"))
        if set(wanted) - {"rolename", "type", "atscopeandbelow()"}:
            raise bad_request("InvalidFilterInQueryString", f"Invalid $filter '{query.get('$filter')}'.")
        related = _Related(state, scope, "atscopeandbelow()" not in wanted)
        items = []
        for _, role in sorted(state.role_definitions.items()):
            if "rolename" in wanted and role["roleName"].lower() != wanted["rolename"].lower():
                continue
            if "type" in wanted and role["roleType"].lower() != wanted["type"].lower():
                continue
            if role["roleType"] == "CustomRole" and not any(related(s) for s in role["assignableScopes"]):
                continue
            items.append(_role_wire(role, scope))
        return items

    return paging.respond(request, compute)


def _list_denials(state: ArmState, paging: Paging, request: Request, scope: str) -> Response:
    authorize("Microsoft.Authorization/denyAssignments/read", scope, state.allowed_actions, state.caller_id)

    def compute(query: dict[str, str]) -> list[dict[str, Any]]:
        wanted = parse_filter(query.get("$filter"))
        if set(wanted) - {"atscope()", "denyassignmentname"}:
            raise bad_request("InvalidFilterInQueryString", f"Invalid $filter '{query.get('$filter')}'.")
        named = wanted.get("denyassignmentname")
        related = _Related(state, scope, "atscope()" in wanted)
        items = [
            wire
            for _, wire in sorted(state.deny_assignments.items())
            if (named is None or wire["properties"]["denyAssignmentName"] == named)
            and related(wire["properties"]["scope"])
        ]
        return items

    return paging.respond(request, compute)
