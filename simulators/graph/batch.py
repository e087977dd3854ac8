"""JSON batching: `POST /$batch` with at most `max_batch` requests, each served as if sent alone.

Items are throttled one by one (429 with a Retry-After item header); the envelope stays 200. An item whose
`dependsOn` names a failed item answers 424, as Graph does. Responses come back in reverse order while
`faults.batch_out_of_order` is set (Graph does not promise any order; clients must match on `id`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from simulators.graph.errors import GraphError
from simulators.graph.protocol import Response, parse_query
from simulators.graph.records import RecordedRequest

ServeItem = Callable[[RecordedRequest], Response]


def _items(body: Any, max_batch: int) -> list[dict[str, Any]]:
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not requests:
        raise GraphError(
            400, "BadRequest", "Invalid batch payload format: 'requests' must be a non-empty array."
        )
    if len(requests) > max_batch:
        raise GraphError(400, "BadRequest", f"Number of batch requests exceeds the maximum of {max_batch}.")
    ids = [item.get("id") if isinstance(item, dict) else None for item in requests]
    if any(not isinstance(i, str) or not i for i in ids) or len(set(ids)) != len(ids):
        raise GraphError(400, "BadRequest", "Every batch request needs a unique, non-empty string 'id'.")
    for item in requests:
        if not isinstance(item.get("method"), str) or not isinstance(item.get("url"), str):
            raise GraphError(400, "BadRequest", f"Batch request '{item['id']}' needs a 'method' and a 'url'.")
        if "://" in item["url"] or "$batch" in item["url"]:
            raise GraphError(
                400, "BadRequest", f"Batch request '{item['id']}': the url must be relative to /v1.0."
            )
    return requests


def _header(item: dict[str, Any], name: str) -> str | None:
    """A batch item's request header, matched without regard to case as HTTP headers are."""
    headers = item.get("headers")
    if not isinstance(headers, dict):
        return None
    return next((str(v) for k, v in headers.items() if str(k).lower() == name.lower()), None)


def _error(exc: GraphError) -> dict[str, Any]:
    return {"error": {"code": exc.code, "message": exc.message}}


def run_batch(
    body: Any, max_batch: int, serve: ServeItem, record: RecordedRequest, *, reverse: bool
) -> Response:
    responses: list[dict[str, Any]] = []
    status_by_id: dict[str, int] = {}
    for item in _items(body, max_batch):
        split = urlsplit("/" + item["url"].lstrip("/"))  # an unencoded '#' starts a fragment, as in any URL
        try:
            query = parse_query(split.query)
        except GraphError as exc:
            headers = {"Content-Type": "application/json"}
            responses.append(
                {"id": item["id"], "status": exc.status, "headers": headers, "body": _error(exc)}
            )
            status_by_id[item["id"]] = exc.status
            continue
        inner = RecordedRequest(
            item["method"].upper(),
            "/v1.0" + split.path,
            query,
            body=item.get("body"),
            at=time.monotonic(),
            batch_id=item["id"],
            consistency_level=_header(item, "ConsistencyLevel"),
        )
        record.batch.append(inner)
        depends = item.get("dependsOn") or []
        if any(status_by_id.get(d, 0) >= 400 for d in depends):
            result = Response(424, {"error": {"code": "FailedDependency", "message": "A dependency failed."}})
        else:
            result = serve(inner)
        inner.status = result.status
        status_by_id[item["id"]] = result.status
        headers = {"Content-Type": "application/json", **result.headers}
        answer: dict[str, Any] = {"id": item["id"], "status": result.status, "headers": headers}
        if result.body is not None:
            answer["body"] = result.body
        responses.append(answer)
    if reverse:
        responses.reverse()
    return Response(200, {"responses": responses})
