"""Transport-free request handling: the request/response types, OData query options, paging and routing.

Both the HTTP handler and `$batch` items go through `Context.dispatch`, so a batched request behaves exactly
like the same request sent alone.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from simulators.graph.errors import GraphError
from simulators.graph.tenant import Tenant
from simulators.graph.tokens import TokenSigner

MAX_TOP = 999


@dataclass
class Request:
    method: str
    path: str  # relative to /v1.0, e.g. "/groups/{id}/members"
    query: dict[str, str]
    body: Any = None
    consistency_level: str | None = None  # the ConsistencyLevel header


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    truncate: bool = False  # fault: cut the encoded body in half


Handler = Callable[..., Response]


@dataclass
class Context:
    """What routes need: the tenant, the server's paging settings and its token signer."""

    tenant: Tenant
    base_url: str  # "http://127.0.0.1:<port>/v1.0"
    page_size: int
    delta_page_size: int | None
    delta_member_chunk: int
    signer: TokenSigner = field(default_factory=TokenSigner)
    delta_epoch: int = 0  # bumped by expire_delta_links(): older delta tokens are refused
    delta_stale_status: int = 400  # how they are refused: 400 syncStateNotFound, or 410 Gone (a reset)
    delta_lifetime_s: float = 7 * 24 * 3600  # Graph: delta links of directory objects live seven days
    premium: bool = True  # the tenant has Microsoft Entra ID P1 or P2 (sign-in activity needs it)
    # the app's application permissions; None: every one Recertify asks for (which excludes
    # RoleManagement.ReadWrite.Directory)
    permissions: frozenset[str] | None = None
    routes: list[tuple[str, re.Pattern[str], Handler]] = field(default_factory=list)
    cache: dict[Any, Any] = field(
        default_factory=dict
    )  # derived data (transitive members, delta change sets)

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        # "{}" is one path segment; segments arrive percent-decoded (a UPN may be sent as a%40b).
        regex = "([^/]+)".join(re.escape(piece) for piece in pattern.split("{}"))
        self.routes.append((method, re.compile(regex), handler))

    def dispatch(self, request: Request) -> Response:
        allowed = False
        for method, pattern, handler in self.routes:
            match = pattern.fullmatch(request.path)
            if match:
                if method == request.method:
                    with self.tenant.lock:
                        return handler(self, request, *(unquote(g) for g in match.groups()))
                allowed = True
        if allowed:
            raise GraphError(
                405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."
            )
        segment = request.path.rstrip("/").rsplit("/", 1)[-1]
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")

    def link(self, path: str, params: dict[str, str]) -> str:
        """An absolute link, as Graph's nextLink and deltaLink are."""
        query = "&".join(f"{k}={quote(v, safe=',()$')}" for k, v in params.items())
        return f"{self.base_url}{path}" + (f"?{query}" if query else "")


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def parse_query(raw: str) -> dict[str, str]:
    """A query string decoded as an HTTP server decodes it: split on every `&` (a literal `&` inside a value
    ends it), `+` read as a space, percent-escapes decoded; a `%` that starts no escape is refused. So a
    client must percent-encode `&`, `#`, `+`, `%` inside values, as the JSON batching page asks of each
    request's `url`: "Relative resource URL for the individual request"; it is parsed like any request URL.
    The first value of a repeated parameter wins."""
    if _BAD_ESCAPE.search(raw):
        raise GraphError(
            400, "BadRequest", "The request URL is invalid: '%' must start a percent-encoded byte."
        )
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        query.setdefault(key, value)
    return query


def page_size(ctx: Context, request: Request, cap: int | None = None) -> int:
    size = cap or ctx.page_size
    raw = request.query.get("$top")
    if raw is None:
        return size
    try:
        top = int(raw)
    except ValueError:
        top = 0
    if not 1 <= top <= MAX_TOP:
        raise GraphError(
            400,
            "Request_UnsupportedQuery" if raw.lstrip("-").isdigit() else "BadRequest",
            f"Invalid page size specified: '{raw}'. Must be between 1 and {MAX_TOP} inclusive.",
        )
    return min(top, size)


def counted(request: Request) -> bool:
    """`$count=true`: the first page carries `@odata.count`, the size of the whole collection. On directory
    objects it is an advanced query: "the requestor must set the ConsistencyLevel header to eventual and,
    except for $search, use the $count query parameter" (Graph, Advanced query capabilities on Microsoft
    Entra ID objects); without the header Graph refuses it."""
    raw = request.query.get("$count")
    if raw is None or raw.lower() == "false":
        return False
    if raw.lower() != "true":
        raise GraphError(400, "BadRequest", f"Invalid value '{raw}' for $count: expected true or false.")
    if (request.consistency_level or "").lower() != "eventual":
        raise GraphError(400, "Request_BadRequest", "$count is not currently supported.")
    return True


def select_of(request: Request) -> list[str] | None:
    raw = request.query.get("$select")
    if raw is None or not raw.strip():
        return None
    return list(dict.fromkeys(name.strip() for name in raw.split(",") if name.strip()))


_EXPAND_MANAGER = re.compile(r"manager(?:\(\$select=([\w,\s]+)\))?")


def expand_manager(request: Request) -> list[str] | None | bool:
    """`$expand=manager` → True, `manager($select=a,b)` → ["a", "b"], absent → False; anything else → 400."""
    raw = request.query.get("$expand")
    if raw is None:
        return False
    match = _EXPAND_MANAGER.fullmatch(raw.strip())
    if not match:
        raise GraphError(
            400, "BadRequest", f"Parsing OData Select and Expand failed: unsupported $expand '{raw}'."
        )
    return [n.strip() for n in match.group(1).split(",")] if match.group(1) else True


def _query_key(request: Request) -> str:
    items = sorted((k, v) for k, v in request.query.items() if k != "$skiptoken")
    return hashlib.sha256(repr((request.path, items)).encode()).hexdigest()[:16]


def paged(
    ctx: Context,
    request: Request,
    ids: Sequence[str],
    render: Callable[[str], dict[str, Any] | None],
    context: str,
) -> Response:
    """One page of a collection whose ids are sorted. The skiptoken holds the last id served (signed, and
    bound to this path and query), so objects added or removed between pages never shift the others."""
    size = page_size(ctx, request)
    start = 0
    token = request.query.get("$skiptoken")
    if token is not None:
        state = ctx.signer.load(token)
        if state is None or state.get("q") != _query_key(request):
            raise GraphError(
                400, "Request_BadRequest", "The skip token is invalid or does not belong to this query."
            )
        start = bisect_right(ids, state["after"])
    value: list[dict[str, Any]] = []
    i = start
    while i < len(ids) and len(value) < size:
        item = render(ids[i])
        i += 1
        if item is not None:
            value.append(item)
    body: dict[str, Any] = {"@odata.context": f"{ctx.base_url}/$metadata#{context}"}
    if counted(request) and token is None:
        body["@odata.count"] = sum(1 for object_id in ids if render(object_id) is not None)
    if i < len(ids):
        params = {k: v for k, v in request.query.items() if k != "$skiptoken"}
        params["$skiptoken"] = ctx.signer.dump({"q": _query_key(request), "after": ids[i - 1]})
        body["@odata.nextLink"] = ctx.link(request.path, params)
    body["value"] = value
    return Response(200, body)
