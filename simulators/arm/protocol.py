"""Transport-free request handling: the request/response types, ARM's query options and server-driven paging.

Paging ("Azure REST API guidelines", pagination; every list operation of the references): a page is
`{"value": [...], "nextLink": "<absolute URL>"}`, the last page has no nextLink. The simulator's nextLink
carries `api-version` and an opaque, signed `$skiptoken` holding the offset, the original query and the
snapshot being paged, so a client that follows nextLink verbatim (as the SDK's pagers do) gets the same
filter on every page and one consistent list across pages.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from simulators.arm.errors import ArmError, bad_request
from simulators.graph.tokens import TokenSigner

MAX_SNAPSHOTS = 64  # lists being paged at once
API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview|-beta|-privatepreview)?$")


@dataclass
class Request:
    method: str
    path: str  # as sent, without a trailing slash; "" is the root
    query: dict[str, str]  # keys lower-cased: ARM reads $filter and $Filter alike
    body: Any = None

    @property
    def lowered(self) -> str:
        return self.path.lower()


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Paging:
    base_url: str  # "https://127.0.0.1:<port>"
    page_size: int
    signer: TokenSigner = field(default_factory=TokenSigner)

    snapshots: OrderedDict[str, list[dict[str, Any]]] = field(default_factory=OrderedDict)

    def respond(
        self, request: Request, compute: Callable[[dict[str, str]], list[dict[str, Any]]]
    ) -> Response:
        """One page of what `compute(query options)` lists. The first page computes the list; when there are
        more, the list is kept as a snapshot the nextLink names, so later pages cost only their own items
        (a snapshot dropped from the bounded store is computed again from the options the token carries)."""
        token = request.query.get("$skiptoken")
        if token is None:
            offset, snapshot = 0, uuid.uuid4().hex
            query = {k: v for k, v in request.query.items() if k != "api-version"}
            items = compute(query)
        else:
            state = self.signer.load(token)
            if state is None or state.get("p") != request.lowered:
                raise bad_request("InvalidSkipToken", "The provided skip token is invalid or has expired.")
            offset, query, snapshot = int(state["o"]), dict(state["q"]), str(state["s"])
            kept = self.snapshots.get(snapshot)
            items = compute(query) if kept is None else kept
        end = offset + max(self.page_size, 1)
        body: dict[str, Any] = {"value": copy.deepcopy(items[offset:end])}  # this page only
        if end < len(items):
            self.snapshots[snapshot] = items
            self.snapshots.move_to_end(snapshot)
            while len(self.snapshots) > MAX_SNAPSHOTS:
                self.snapshots.popitem(last=False)
            next_token = self.signer.dump({"p": request.lowered, "o": end, "q": query, "s": snapshot})
            version = quote(request.query["api-version"], safe="")
            body["nextLink"] = f"{self.base_url}{request.path}?api-version={version}&$skiptoken={next_token}"
        else:
            self.snapshots.pop(snapshot, None)
        return Response(200, body)


_CLAUSE = re.compile(r"^\s*([A-Za-z/]+)\s+eq\s+(?:'((?:[^']|'')*)'|([0-9A-Fa-f-]{36}))\s*$")


def parse_filter(text: str | None) -> dict[str, str]:
    """`name eq 'value'` clauses joined by `and`, plus the function `atScope()` (as {"atscope()": ""}).

    Names are lower-cased (ARM's filter names are case-insensitive); values keep their case, with '' as an
    escaped quote; a GUID may go unquoted (the reference writes `principalId eq {id}`). Anything else is
    refused with 400 rather than silently ignored.
    """
    found: dict[str, str] = {}
    if not text:
        return found
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        if clause.strip().lower() in ("atscope()", "atscopeandbelow()"):
            found[clause.strip().lower()] = ""
            continue
        match = _CLAUSE.match(clause)
        if match is None:
            raise ArmError(
                400, "InvalidFilterInQueryString", f"Invalid $filter '{text}' specified in the query string."
            )
        quoted, bare = match.group(2), match.group(3)
        found[match.group(1).lower()] = bare if quoted is None else quoted.replace("''", "'")
    return found
