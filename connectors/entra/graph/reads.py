"""Reads that parse plain JSON: one collection page, one object, and `$batch`.

A page is accepted only whole: valid JSON, a `value` list, and a next link on the same host that we have not
followed before. Anything else is fetched again (GraphSession.request bounds how often), so a caller never
builds on a truncated or looping collection.

`$batch` is ours rather than the SDK's (whose helpers lose JSON bodies): 20 requests per call, calls sent
concurrently within the resource budget and the concurrency limit, items answered 429/5xx resent in the
next call after their own Retry-After.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx

from connectors.entra.graph.errors import exhausted, translate
from connectors.entra.graph.pacing import resource_units, under_pressure
from connectors.entra.graph.sdk import RawResponse, counted, json_body
from connectors.entra.graph.session import READ_RETRY_STATUSES, THROTTLED_STATUSES, GraphSession, Invalid

BATCH_SIZE = 20  # Graph's maximum per $batch call
PageKey = tuple[str, str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True, slots=True)
class BatchItem:
    path: str
    status: int
    body: Any  # the item's JSON body (a dict for JSON answers), None when it had none


def _json_object(raw: RawResponse) -> dict[str, Any]:
    try:
        parsed = json.loads(raw.body)
    except ValueError:  # UnicodeDecodeError is one too
        raise Invalid(f"the response is not valid JSON ({len(raw.body)} bytes)") from None
    if not isinstance(parsed, dict):
        raise Invalid("the response is not a JSON object")
    return parsed


def page_key(url: str) -> PageKey:
    """A link's identity whatever its encoding (`$select=a,b` or `%24select=a%2Cb`, any parameter order)."""
    parts = urlsplit(url)
    return (
        parts.netloc.lower(),
        unquote(parts.path),
        tuple(sorted(parse_qsl(parts.query, keep_blank_values=True))),
    )


async def fetch_page(session: GraphSession, url: str, followed: set[PageKey]) -> dict[str, Any]:
    def parse(raw: RawResponse) -> dict[str, Any]:
        page = _json_object(raw)
        if not isinstance(page.get("value"), list):
            raise Invalid("the page has no 'value' list")
        next_link = page.get("@odata.nextLink")
        if next_link is not None:
            if not isinstance(next_link, str) or not session.same_origin(next_link):
                raise Invalid(f"the next link points to another host: {str(next_link)[:200]}")
            if page_key(next_link) in followed:
                raise Invalid("the next link repeats a page already read (a paging loop)")
        return page

    return await session.request("GET", url, parse)


async def fetch_object(session: GraphSession, url: str) -> dict[str, Any]:
    return await session.request("GET", url, _json_object)


async def batch_get(session: GraphSession, paths: Sequence[str]) -> list[BatchItem]:
    chunks = [list(paths[i : i + BATCH_SIZE]) for i in range(0, len(paths), BATCH_SIZE)]
    results = await _all([_chunk(session, chunk) for chunk in chunks])
    return [item for chunk in results for item in chunk]


async def _all(coroutines: list[Awaitable[list[BatchItem]]]) -> list[list[BatchItem]]:
    """gather, but the first failure cancels the other chunks instead of leaving them running."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _chunk(session: GraphSession, paths: list[str]) -> list[BatchItem]:
    done: dict[int, BatchItem] = {}
    pending = list(range(len(paths)))
    url = session.url("$batch")
    for attempt in range(1, session.max_attempts + 1):
        requests = [_item(str(i), paths[i]) for i in pending]
        units = sum(resource_units("GET", paths[i]) for i in pending)
        answers = await session.request(
            "POST",
            url,
            _responses({str(i) for i in pending}),
            body=json_body({"requests": requests}),
            units=units,
        )
        session.batch_items += len(pending)
        again: list[int] = []
        delay = 0.0
        for i in pending:
            answer = answers[str(i)]
            status, body = answer["status"], answer.get("body")
            headers = httpx.Headers(answer.get("headers") or {})
            session.throttled += status == 429
            if status in THROTTLED_STATUSES:
                session.on_throttled(status)
            if under_pressure(status, headers):  # calm is judged on whole calls, not on their items
                session.limit.observe(pressure=True)
            if 200 <= status < 300 or status == 404:
                done[i] = BatchItem(paths[i], status, body)
            elif status in READ_RETRY_STATUSES:
                again.append(i)
                delay = max(delay, session.retry_delay(f"GET {paths[i]} (in $batch)", headers, attempt))
            else:
                path, _, query = paths[i].partition("?")
                raise translate("GET", path, status, body, query)
        pending = again
        if not pending:
            return [done[i] for i in range(len(paths))]
        if attempt < session.max_attempts:
            session.retries += len(pending)
            await session.wait(delay)
    raise exhausted(f"GET {paths[pending[0]]} (in $batch)", "throttled", session.max_attempts)


def _item(item_id: str, path: str) -> dict[str, Any]:
    item: dict[str, Any] = {"id": item_id, "method": "GET", "url": "/" + path.lstrip("/")}
    if counted(path):
        item["headers"] = {"ConsistencyLevel": "eventual"}  # as the same request sent alone carries
    return item


def _responses(ids: set[str]) -> Callable[[RawResponse], dict[str, dict[str, Any]]]:
    def parse(raw: RawResponse) -> dict[str, dict[str, Any]]:
        answers = _json_object(raw).get("responses")
        if not isinstance(answers, list):
            raise Invalid("the $batch response has no 'responses' list")
        by_id = {
            str(a.get("id")): a for a in answers if isinstance(a, dict) and isinstance(a.get("status"), int)
        }
        if set(by_id) != ids or len(answers) != len(ids):
            raise Invalid("the $batch response does not answer every request exactly once")
        return by_id

    return parse
