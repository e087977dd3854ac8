"""`/users/delta` and `/groups/delta`: full rounds, incremental rounds, big groups split across pages.

A round starts without a token (full: every current object) or from a deltaLink (incremental: what the
change log holds between the link's watermark and the log's end when the round began). `$select` and the
tracked navigation property (users: `manager`, reported as `manager@delta`; groups: `members`, reported
as `members@delta`; both only when named in `$select`, as Graph documents) are fixed on the first call and
carried in the tokens. `$expand` is refused with 400: Graph ignores it on delta (a Graph engineer: "the
$expand operator has always been ignored with /delta"), and a client relying on it would silently lose
every manager.
A group appearance carries at most `delta_member_chunk` members; a bigger group ends the page and appears
again on the next one with the following members, as Graph does with large groups.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

from simulators.graph.changes import GroupChanges, MemberChanges, UserChanges, group_changes, user_changes
from simulators.graph.errors import GraphError
from simulators.graph.protocol import Context, Request, Response, page_size, select_of
from simulators.graph.state import GROUP, USER
from simulators.graph.views import GROUP_PROPS, USER_PROPS, check_select, plain_json, user_json

_NAV = {"users": "manager", "groups": "members"}
_ALLOWED = {"users": (USER_PROPS - {"signInActivity"}) | {"manager"}, "groups": GROUP_PROPS | {"members"}}


# Graph (blog "Duration of change tracking tokens for identity and education resources"): a delta link used
# "more than seven days after the initial query" answers "a BadRequest response with the error code
# “syncStateNotFound” and the following error message: “The sync state generation is not found. The delta
# token is expired and data must be synchronized again.”"
EXPIRED_MESSAGE = (
    "The sync state generation is not found. The delta token is expired and data must be synchronized again."
)


def _expired() -> GraphError:
    return GraphError(400, "syncStateNotFound", EXPIRED_MESSAGE)


def _reset(ctx: Context, kind: str, state: dict[str, Any]) -> GraphError:
    """Graph (Use delta query, "Synchronization reset"): "Delta query can return a response code of `410 Gone`
    and a **Location** header containing a request URL with an empty `$deltatoken` (same as the initial
    query)"; the application "must restart with a full synchronization of the target tenant"."""
    select = [*(state.get("s") or ()), *([_NAV[kind]] if state.get("m") else [])]
    params = ({"$select": ",".join(select)} if state.get("s") is not None else {}) | {"$deltatoken": ""}
    return GraphError(
        410,
        "resyncRequired",
        "The delta token is no longer valid: restart with a full synchronization.",
        headers={"Location": ctx.link(f"/{kind}/delta", params)},
    )


def _stale(ctx: Context, kind: str, state: dict[str, Any]) -> GraphError | None:
    """Why a token from a valid round may no longer be used: a reset since it was issued, or its age."""
    if state.get("e") != ctx.delta_epoch:
        return _reset(ctx, kind, state) if ctx.delta_stale_status == 410 else _expired()
    issued = state.get("i")
    if not isinstance(issued, (int, float)) or ctx.tenant.now().timestamp() - issued > ctx.delta_lifetime_s:
        return _expired()
    return None


def _first_call(ctx: Context, request: Request, kind: str) -> dict[str, Any]:
    select = select_of(request)
    if kind == "users" and select and "signInActivity" in select:
        raise GraphError(
            400, "Request_UnsupportedQuery", "signInActivity is not supported with delta queries."
        )
    check_select(select, frozenset(_ALLOWED[kind]), f"microsoft.graph.{kind[:-1]}")
    nav = _NAV[kind]
    if "$filter" in request.query:  # never silently track more than was asked for
        raise GraphError(
            400, "Request_UnsupportedQuery", "$filter is not supported by this simulator's delta."
        )
    if "$expand" in request.query:  # Graph silently ignores it here: refuse, so the loss is visible
        raise GraphError(
            400,
            "Request_UnsupportedQuery",
            f"$expand is not honoured by delta queries (Graph ignores it). Put '{nav}' in $select "
            f"to track it: changes then come as '{nav}@delta'.",
        )
    track = select is not None and nav in select
    props = None if select is None else [name for name in select if name != nav]
    size = page_size(ctx, request, ctx.delta_page_size)
    return {"k": kind, "e": ctx.delta_epoch, "s": props, "m": track, "t": size, "i": _now(ctx)}


def _now(ctx: Context) -> int:
    return int(ctx.tenant.now().timestamp())


def delta(ctx: Context, request: Request, kind: str) -> Response:
    log_end = len(ctx.tenant.log)
    skip, deltatoken = request.query.get("$skiptoken"), request.query.get("$deltatoken")
    if deltatoken == "":  # the reset's Location: "an empty `$deltatoken` (same as the initial query)"
        deltatoken = None
    if skip is None and deltatoken is None:
        state = _first_call(ctx, request, kind) | {"from": None, "to": log_end, "c": None}
    elif skip is None and deltatoken == "latest":  # start tracking from now, without the current state
        state = _first_call(ctx, request, kind)
        return _respond(ctx, kind, [], None, state | {"to": log_end})
    else:
        state = ctx.signer.load(skip or deltatoken or "") or {}
        if state.get("k") != kind or ("w" in state) == (skip is not None):
            raise _expired()  # not a token this tenant issued for this query: Graph knows no sync state
        stale = _stale(ctx, kind, state)
        if stale is not None:
            raise stale
        if deltatoken is not None:  # a deltaLink starts an incremental round up to the log's current end
            state = {k: state[k] for k in ("k", "e", "s", "m", "t")} | {
                "i": _now(ctx),
                "from": state["w"],
                "to": log_end,
                "c": None,
            }
    page = _users_page if kind == "users" else _groups_page
    value, cursor = page(ctx, state)
    return _respond(ctx, kind, value, cursor, state)


def _respond(
    ctx: Context, kind: str, value: list[dict[str, Any]], cursor: Any, state: dict[str, Any]
) -> Response:
    body: dict[str, Any] = {"@odata.context": f"{ctx.base_url}/$metadata#{kind}"}
    if cursor is not None:
        body["@odata.nextLink"] = ctx.link(
            f"/{kind}/delta", {"$skiptoken": ctx.signer.dump(state | {"c": cursor})}
        )
    else:
        final = {k: state[k] for k in ("k", "e", "s", "m", "t")} | {"w": state["to"], "i": _now(ctx)}
        body["@odata.deltaLink"] = ctx.link(f"/{kind}/delta", {"$deltatoken": ctx.signer.dump(final)})
    body["value"] = value
    return Response(200, body)


def _cached(ctx: Context, key: tuple[Any, ...], build: Any) -> Any:
    if key not in ctx.cache:
        if len(ctx.cache) > 256:
            ctx.cache.clear()
        ctx.cache[key] = build()
    return ctx.cache[key]


def _removed(ctx: Context, object_id: str) -> dict[str, Any]:
    reason = ctx.tenant.tombstones.get(object_id, ("", "changed"))[1]
    return {"id": object_id, "@removed": {"reason": reason}}


def _users_page(ctx: Context, state: dict[str, Any]) -> tuple[list[dict[str, Any]], Any]:
    tenant, size = ctx.tenant, state["t"]
    changes: UserChanges | None = None
    if state["from"] is None:
        ids = tenant.sorted_ids("users")
    else:
        key = ("users", state["from"], state["to"], state["m"])
        changes = _cached(
            ctx, key, lambda: user_changes(tenant.log, state["from"], state["to"], track_manager=state["m"])
        )
        ids = changes.ids
    i = 0 if state["c"] is None else bisect_right(ids, state["c"])
    value = []
    for uid in ids[i : i + size]:
        user = tenant.users.get(uid)
        if user is None:
            value.append(_removed(ctx, uid))
            continue
        item = user_json(user, state["s"])
        manager = tenant.managers.get(uid)
        if state["m"] and changes is None and manager is not None:
            item["manager@delta"] = [{"@odata.type": USER, "id": manager}]
        elif state["m"] and changes is not None and uid in changes.manager_before:
            before = changes.manager_before[uid]
            if manager is not None and manager != before:
                item["manager@delta"] = [{"@odata.type": USER, "id": manager}]
            elif manager is None and before is not None:
                item["manager@delta"] = [
                    {"@odata.type": USER, "id": before, "@removed": {"reason": "deleted"}}
                ]
        value.append(item)
    more = i + size < len(ids)
    return value, (ids[i + size - 1] if more else None)


def _member_ref(ctx: Context, member: str, removed: bool) -> dict[str, Any]:
    odata_type = (
        ctx.tenant.odata_type(member)
        or ctx.tenant.tombstones.get(member, ("#microsoft.graph.directoryObject",))[0]
    )
    ref: dict[str, Any] = {"@odata.type": odata_type, "id": member}
    if removed:
        ref["@removed"] = {"reason": "deleted"}
    return ref


def _groups_page(ctx: Context, state: dict[str, Any]) -> tuple[list[dict[str, Any]], Any]:
    tenant, size, chunk = ctx.tenant, state["t"], ctx.delta_member_chunk
    changes: GroupChanges | None = None
    if state["from"] is None:
        ids = tenant.sorted_ids("groups")
    else:
        key = ("groups", state["from"], state["to"], state["m"])
        changes = _cached(
            ctx, key, lambda: group_changes(tenant.log, state["from"], state["to"], track_members=state["m"])
        )
        ids = changes.ids
    at_gid, at_member = state["c"] or (None, None)
    i = 0 if at_gid is None else (bisect_right if at_member is None else bisect_left)(ids, at_gid)
    value: list[dict[str, Any]] = []
    while i < len(ids) and len(value) < size:
        gid = ids[i]
        group = tenant.groups.get(gid)
        if group is None:
            value.append(_removed(ctx, gid))
            i += 1
            continue
        item = plain_json(GROUP, group, state["s"])
        if state["m"]:
            if changes is None:
                moved = MemberChanges(tenant.sorted_ids(f"members:{gid}"))
            else:
                moved = changes.members.get(gid, MemberChanges([]))
            start = bisect_right(moved.ids, at_member) if gid == at_gid and at_member is not None else 0
            part = moved.ids[start : start + chunk]
            if part:
                item["members@delta"] = [_member_ref(ctx, m, m in moved.removed) for m in part]
            if start + chunk < len(moved.ids):  # more of this group follows: end the page here
                value.append(item)
                return value, [gid, part[-1]]
        value.append(item)
        i += 1
    return value, ([ids[i - 1], None] if i < len(ids) else None)


def register(ctx: Context) -> None:
    for kind in ("users", "groups"):
        for name in ("delta", "delta()", "microsoft.graph.delta", "microsoft.graph.delta()"):
            ctx.route("GET", f"/{kind}/{name}", lambda c, r, k=kind: delta(c, r, k))
