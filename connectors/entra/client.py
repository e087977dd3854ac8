"""`GraphClient`: the one place Recertify talks to Microsoft Graph, with a synchronous API.

It owns the real msgraph `GraphServiceClient` on one event loop in one thread (graph/loop.py) and sends
every request through the SDK's pipeline while parsing plain JSON (graph/sdk.py); retries, the resource-unit
budget and the concurrency limit live in graph/session.py and graph/pacing.py, pages and $batch in
graph/reads.py, and the translation of Graph's errors into ours in graph/errors.py.

Nothing partial ever comes back: a collection is every page or an error.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any

from connectors.entra.graph.errors import SOURCE, DeltaExpired, GraphNotFound, NotLicensed
from connectors.entra.graph.loop import LoopThread
from connectors.entra.graph.pacing import Clock
from connectors.entra.graph.reads import BatchItem, batch_get, fetch_object, fetch_page, page_key
from connectors.entra.graph.sdk import RawResponse, build_sdk, json_body
from connectors.entra.graph.session import GraphSession, GraphStats, Invalid
from connectors.entra.settings import EntraSecrets, EntraSettings
from reviews.errors import SourceUnavailable

__all__ = [
    "BatchItem",
    "DeltaExpired",
    "GraphClient",
    "GraphNotFound",
    "GraphStats",
    "NotLicensed",
    "complete",
    "duplicate_ids",
]


class GraphClient:
    """Synchronous façade; safe to call from several threads (calls interleave on the loop).

    `sleep` and `monotonic` pace retries and the resource budget. The default real sleep waits on the loop
    (cancellable); an injected one is called on the loop thread and must return promptly (tests record the
    waits and advance a fake clock). `on_throttled(status)` hears of every 429 and 503 (graph/session.py).
    """

    def __init__(
        self,
        settings: EntraSettings,
        secrets: EntraSecrets,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        on_throttled: Callable[[int], None] | None = None,
    ) -> None:
        self._loop = LoopThread("recertify-graph")
        clock = Clock(monotonic, asyncio.sleep if sleep is time.sleep else _inline(sleep))
        try:
            self._session = self._loop.run(_open(settings, secrets, clock, on_throttled))
        except BaseException:
            self._loop.stop()
            raise

    # --- reads ----------------------------------------------------------------------------------------

    def pages(self, path_or_url: str, params: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Every page's raw JSON, following @odata.nextLink to the end; the last page of a delta query
        carries @odata.deltaLink. A page is yielded only once it has been read whole."""
        url = self._session.url(path_or_url, params)
        followed = {page_key(url)}
        while True:
            page = self._loop.run(fetch_page(self._session, url, followed))
            yield page
            next_link = page.get("@odata.nextLink")
            if next_link is None:
                return
            followed.add(page_key(next_link))
            url = next_link

    def get_all(self, path: str, params: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """The concatenated `value` of every page (duplicates across pages kept: see duplicate_ids)."""
        return [item for page in self.pages(path, params) for item in page["value"]]

    def get_counted(self, path: str, params: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """The whole list, checked against the size Graph counts for it (`$count=true`, which adds
        `ConsistencyLevel: eventual`): a page lost on the way (a dropped nextLink) would otherwise look like a
        shorter list, and the people on it like people without access. Read again once when short (the
        count is eventually consistent: the list may have changed while it was read); short twice: the sync
        fails, naming the list."""
        query = {**(params or {}), "$count": "true"}
        for attempt in (1, 2):
            pages = list(self.pages(path, query))
            values = [item for page in pages for item in page["value"]]
            if complete(path, values, pages[0].get("@odata.count"), final=attempt == 2):
                return values
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """One object; GraphNotFound when Graph answers 404."""
        return self._loop.run(fetch_object(self._session, self._session.url(path, params)))

    def batch_get(self, paths: Sequence[str]) -> list[BatchItem]:
        """GETs of paths relative to the version root (`groups/{id}/members?$select=id`), through $batch.
        Order preserved; 404 items come back with status 404; any other item error raises. A body may
        carry @odata.nextLink: follow it with `pages(link)`."""
        if not paths:
            return []
        return self._loop.run(batch_get(self._session, paths))

    def access_token(self) -> str:
        """The bearer token requests carry: RECERTIFY_GRAPH_TOKEN, or one acquired now with the app's
        credential (client credentials flow; `recertify doctor` shows that the tenant issues one)."""
        return self._loop.run(self._session.sdk.token(self._session.base))

    # --- writes ---------------------------------------------------------------------------------------

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """POST a JSON body; the JSON answer, or None for an empty one (204)."""
        url = self._session.url(path)
        return self._loop.run(
            self._session.request("POST", url, _optional_json, body=json_body(body), write=True)
        )

    def delete(self, path: str) -> None:
        """DELETE; GraphNotFound when the target is already gone."""
        url = self._session.url(path)
        self._loop.run(self._session.request("DELETE", url, _optional_json, write=True))

    # --- lifecycle ------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The version root, e.g. https://graph.microsoft.com/v1.0 (for `@odata.id` references)."""
        return self._session.base

    @property
    def stats(self) -> GraphStats:
        return self._session.stats()

    @property
    def loop_thread(self) -> threading.Thread:
        """The thread that owns the SDK (tests check that it ends on close)."""
        return self._loop.thread

    def close(self) -> None:
        if self._loop.thread.is_alive():
            try:
                self._loop.run(self._session.sdk.aclose())
            finally:
                self._loop.stop()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def duplicate_ids(items: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Object ids seen more than once in a collection, with their counts (the caller decides what that
    means: delta pages may legitimately repeat an object, a plain listing may not)."""
    counts = Counter(str(item["id"]) for item in items)
    return {object_id: n for object_id, n in counts.items() if n > 1}


async def _open(
    settings: EntraSettings, secrets: EntraSecrets, clock: Clock, on_throttled: Callable[[int], None] | None
) -> GraphSession:
    # On the loop: httpx binds its connection pool to the loop that creates it.
    return GraphSession(build_sdk(settings, secrets), settings, clock, on_throttled=on_throttled)


def _inline(sleep: Callable[[float], None]) -> Callable[[float], Any]:
    async def wait(seconds: float) -> None:
        sleep(seconds)
        await asyncio.sleep(0)

    return wait


def _optional_json(raw: RawResponse) -> dict[str, Any] | None:
    if not raw.body.strip():
        return None
    try:
        parsed = json.loads(raw.body)
    except ValueError:
        raise Invalid("the response is not valid JSON") from None
    return parsed if isinstance(parsed, dict) else None


def complete(path: str, values: list[dict[str, Any]], count: object, *, final: bool) -> bool:
    """Whether a counted list was read whole. Fewer items than Graph counts: False to read it again, or, when
    `final`, SourceUnavailable naming the list. More is fine (items added while it was read)."""
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise SourceUnavailable(
            SOURCE, f"GET {path}: the answer carries no usable @odata.count ({count!r})", retryable=False
        )
    if len(values) >= count:
        return True
    if final:
        raise SourceUnavailable(
            SOURCE,
            f"GET {path}: read {len(values)} of the {count} items Graph counts, twice (a page was lost): "
            "nothing applied",
            retryable=True,
        )
    return False
