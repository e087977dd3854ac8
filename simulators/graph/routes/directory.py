"""Read routes: users, groups, service principals, members, transitive members, owners, assignments."""

from __future__ import annotations

from typing import Any

from simulators.graph.errors import GraphError, not_found
from simulators.graph.filters import id_candidates, matches, parse_filter
from simulators.graph.protocol import Context, Request, Response, expand_manager, paged, select_of
from simulators.graph.state import GROUP, SP, USER
from simulators.graph.views import (
    ASSIGNMENT_PROPS,
    CASTS,
    DIRECTORY_OBJECT_PROPS,
    GROUP_PROPS,
    PROPS_BY_TYPE,
    SP_PROPS,
    TYPE_NAMES,
    USER_PROPS,
    assignment_json,
    check_select,
    object_json,
    plain_json,
    user_json,
)

FILTERABLE = {
    "users": frozenset(("id", "displayName", "userPrincipalName", "mail", "accountEnabled", "userType")),
    "groups": frozenset(("id", "displayName", "securityEnabled", "mailEnabled", "onPremisesSyncEnabled")),
    "servicePrincipals": frozenset(("id", "displayName", "appId", "accountEnabled", "servicePrincipalType")),
}
_STORE = {"users": (USER, USER_PROPS), "groups": (GROUP, GROUP_PROPS), "servicePrincipals": (SP, SP_PROPS)}


def _user(ctx: Context, request: Request, uid: str, select: list[str] | None) -> dict[str, Any]:
    out = user_json(ctx.tenant.users[uid], select)
    expand = expand_manager(request)
    manager = ctx.tenant.managers.get(uid)
    if expand is not False and manager is not None:  # Graph omits "manager" when there is none
        out["manager"] = user_json(ctx.tenant.users[manager], expand if isinstance(expand, list) else None)
    return out


def _render(
    ctx: Context, request: Request, kind: str, object_id: str, select: list[str] | None
) -> dict[str, Any]:
    if kind == "users":
        return _user(ctx, request, object_id, select)
    if kind == "groups":
        return plain_json(GROUP, ctx.tenant.groups[object_id], select)
    return plain_json(SP, ctx.tenant.service_principals[object_id], select)


def _store(ctx: Context, kind: str) -> dict[str, dict[str, Any]]:
    return {"users": ctx.tenant.users, "groups": ctx.tenant.groups}.get(kind, ctx.tenant.service_principals)


def list_objects(ctx: Context, request: Request, kind: str) -> Response:
    odata_type, props = _store_info(kind)
    select = select_of(request)
    check_select(select, props, TYPE_NAMES[odata_type])
    store = _store(ctx, kind)
    ids = ctx.tenant.sorted_ids(kind)
    raw = request.query.get("$filter")
    if raw:
        parsed = parse_filter(raw, FILTERABLE[kind])
        wanted = id_candidates(parsed)
        if wanted is not None:
            ids = sorted(wanted & store.keys())
        else:
            ids = [i for i in ids if matches(parsed, store[i].get)]
    return paged(ctx, request, ids, lambda i: _render(ctx, request, kind, i, select), kind)


def _store_info(kind: str) -> tuple[str, frozenset[str]]:
    return _STORE[kind]


def _find(ctx: Context, kind: str, key: str) -> str:
    store = _store(ctx, kind)
    if key in store:
        return key
    if kind == "users":  # /users/{id | userPrincipalName}
        for uid, user in store.items():
            if str(user["userPrincipalName"]).lower() == key.lower():
                return uid
    raise not_found(key)


def get_object(ctx: Context, request: Request, kind: str, key: str) -> Response:
    odata_type, props = _store_info(kind)
    select = select_of(request)
    check_select(select, props, TYPE_NAMES[odata_type])
    object_id = _find(ctx, kind, key)
    body = {"@odata.context": f"{ctx.base_url}/$metadata#{kind}/$entity"}
    return Response(200, body | _render(ctx, request, kind, object_id, select))


def get_manager(ctx: Context, request: Request, key: str) -> Response:
    uid = _find(ctx, "users", key)
    select = select_of(request)
    check_select(select, USER_PROPS, "microsoft.graph.user")
    manager = ctx.tenant.managers.get(uid)
    if manager is None:
        raise not_found("manager")
    return Response(200, {"@odata.context": f"{ctx.base_url}/$metadata#directoryObjects/$entity"}
                    | user_json(ctx.tenant.users[manager], select))  # fmt: skip


def get_directory_object(ctx: Context, request: Request, object_id: str) -> Response:
    select = select_of(request)
    check_select(select, DIRECTORY_OBJECT_PROPS, "microsoft.graph.directoryObject")
    found = object_json(ctx.tenant, object_id, select)
    if found is None:
        raise not_found(object_id)
    return Response(200, {"@odata.context": f"{ctx.base_url}/$metadata#directoryObjects/$entity"} | found)


def _transitive(ctx: Context, gid: str) -> list[str]:
    """Each transitive member once, loop-safe, the group itself excluded; cached per membership version."""
    key = ("transitive", gid, ctx.tenant.membership_version)
    cached = ctx.cache.get(key)
    if cached is None:
        if len(ctx.cache) > 256:
            ctx.cache.clear()
        cached = ctx.cache[key] = sorted(ctx.tenant.transitive_members(gid))
    return list(cached)


def list_members(
    ctx: Context, request: Request, gid: str, relation: str, cast: str | None = None
) -> Response:
    if gid not in ctx.tenant.groups:
        raise not_found(gid)
    odata_type = None
    if cast is not None:
        odata_type = CASTS.get(cast)
        if odata_type is None:
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{cast}'.")
    if "$filter" in request.query:
        raise GraphError(400, "Request_UnsupportedQuery", "$filter is not supported on this collection here.")
    select = select_of(request)
    check_select(
        select, PROPS_BY_TYPE[odata_type] if odata_type else DIRECTORY_OBJECT_PROPS, cast or "directoryObject"
    )
    if relation == "members":
        ids = ctx.tenant.sorted_ids(f"members:{gid}")
    elif relation == "transitiveMembers":
        ids = _transitive(ctx, gid)
    else:
        ids = sorted(ctx.tenant.owners.get(gid, ()))
    if odata_type is not None:
        ids = [i for i in ids if ctx.tenant.odata_type(i) == odata_type]
    context = "users" if odata_type == USER else "groups" if odata_type == GROUP else "directoryObjects"
    return paged(ctx, request, ids, lambda i: object_json(ctx.tenant, i, select), context)


def list_sp_owners(ctx: Context, request: Request, spid: str) -> Response:
    if spid not in ctx.tenant.service_principals:
        raise not_found(spid)
    select = select_of(request)
    check_select(select, DIRECTORY_OBJECT_PROPS, "directoryObject")
    ids = sorted(ctx.tenant.owners.get(spid, ()))
    return paged(ctx, request, ids, lambda i: object_json(ctx.tenant, i, select), "directoryObjects")


def list_assignments(ctx: Context, request: Request, spid: str) -> Response:
    assignments = ctx.tenant.app_role_assignments.get(spid)
    if assignments is None:
        raise not_found(spid)
    select = select_of(request)
    check_select(select, ASSIGNMENT_PROPS, "microsoft.graph.appRoleAssignment")
    ids = sorted(assignments)
    return paged(ctx, request, ids, lambda i: assignment_json(assignments[i], select), "appRoleAssignments")


def register(ctx: Context) -> None:
    for kind in ("users", "groups", "servicePrincipals"):
        ctx.route("GET", f"/{kind}", lambda c, r, k=kind: list_objects(c, r, k))
        ctx.route("GET", f"/{kind}/{{}}", lambda c, r, key, k=kind: get_object(c, r, k, key))
    ctx.route("GET", "/users/{}/manager", get_manager)
    ctx.route("GET", "/directoryObjects/{}", get_directory_object)
    for relation in ("members", "transitiveMembers", "owners"):
        ctx.route("GET", f"/groups/{{}}/{relation}", lambda c, r, g, rel=relation: list_members(c, r, g, rel))
        ctx.route(
            "GET",
            f"/groups/{{}}/{relation}/{{}}",
            lambda c, r, g, cast, rel=relation: list_members(c, r, g, rel, cast),
        )
    ctx.route("GET", "/servicePrincipals/{}/owners", list_sp_owners)
    ctx.route("GET", "/servicePrincipals/{}/appRoleAssignedTo", list_assignments)
