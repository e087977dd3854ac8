"""Transport-free request handling: the request/response types, ARM's query options and server-driven paging.

Paging ("Azure REST API guidelines", pagination; every list operation of the references): a page is
`{"value": [...], "nextLink": "<absolute URL>"}`, the last page has no nextLink. The simulator's nextLink
carries `api-version` and an opaque, signed `$skiptoken` holding the offset and the original query, so a
client that follows nextLink verbatim (as the SDK's pagers do) gets the same filter on every page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from simulators.arm.errors import ArmError, bad_request
from simulators.graph.tokens import TokenSigner

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

    def options(self, request: Request) -> tuple[int, dict[str, str]]:
        """(offset, the query options in force): from the $skiptoken when there is one."""
        token = request.query.get("$skiptoken")
        if token is None:
            return 0, {k: v for k, v in request.query.items() if k not in ("api-version",)}
        state = self.signer.load(token)
        if state is None or state.get("p") != request.lowered:
            raise bad_request("InvalidSkipToken", "The provided skip token is invalid or has expired.")
        return int(state["o"]), dict(state["q"])

    def page(
        self, request: Request, items: list[dict[str, Any]], offset: int, query: dict[str, str]
    ) -> Response:
        end = offset + max(self.page_size, 1)
        body: dict[str, Any] = {"value": items[offset:end]}
        if end < len(items):
            token = self.signer.dump({"p": request.lowered, "o": end, "q": query})
            version = quote(request.query["api-version"], safe="")
            body["nextLink"] = f"{self.base_url}{request.path}?api-version={version}&$skiptoken={token}"
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
