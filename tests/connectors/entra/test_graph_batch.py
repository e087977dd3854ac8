"""GraphClient.batch_get: our own $batch (20 per call), per-item 429s, 404 items, order, and the
concurrency limit that halves while Graph reports more than 0.8 of its budget used."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from reviews.errors import SourceUnavailable
from simulators.graph import GraphSimulator
from tests.connectors.entra.graphing import FakeClock, client, tenant_with_users

MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def tenant_ids() -> tuple[Any, list[str]]:
    return tenant_with_users(200)


@pytest.fixture
def sim(tenant_ids: tuple[Any, list[str]]) -> Iterator[GraphSimulator]:
    with GraphSimulator(tenant_ids[0], token="test-token", page_size=100) as simulator:
        yield simulator


def test_45_gets_go_in_3_batches_in_order(sim: GraphSimulator, tenant_ids: tuple[Any, list[str]]) -> None:
    ids = tenant_ids[1][:44]
    paths = (
        [f"users/{i}?$select=id,displayName" for i in ids[:22]]
        + [f"users/{MISSING}"]
        + [f"/users/{i}" for i in ids[22:]]
    )
    with client(sim) as graph:
        items = graph.batch_get(paths)
        stats = graph.stats
    assert sim.request_count(method="POST", path_prefix="/$batch") == 3
    assert sorted(len(r.batch) for r in sim.requests) == [5, 20, 20]  # sent concurrently: any arrival order
    assert [item.path for item in items] == paths
    assert [item.body["id"] for item in items if item.status == 200] == ids
    missing = items[22]
    assert missing.status == 404 and missing.body["error"]["code"] == "Request_ResourceNotFound"
    assert items[0].body == {"id": ids[0], "displayName": "User 0"} | {
        k: v for k, v in items[0].body.items() if k.startswith("@")
    }
    assert (stats.requests, stats.batch_items, stats.retries) == (3, 45, 0)


def test_throttled_items_are_resent_after_their_retry_after(
    sim: GraphSimulator, tenant_ids: tuple[Any, list[str]]
) -> None:
    paths = [f"users/{i}" for i in tenant_ids[1][:100]]
    with client(sim) as graph:
        expected = graph.batch_get(paths)
    sim.requests.clear()
    sim.faults.throttle_ratio, sim.faults.retry_after = 0.3, 1
    clock = FakeClock(sim)
    with client(sim, clock) as graph:
        items = graph.batch_get(paths)
        stats = graph.stats
    assert [(i.path, i.status, i.body) for i in items] == [(i.path, i.status, i.body) for i in expected]
    inner = [item for record in sim.requests for item in record.batch]
    throttled = sum(item.status == 429 for item in inner)
    assert throttled >= 20 and stats.throttled == throttled and stats.retries == throttled
    assert len(inner) == 100 + throttled == stats.batch_items
    assert clock.sleeps and all(seconds >= 1.0 for seconds in clock.sleeps)
    # No item was resent before a wait: every item of a resending batch answered 429 before.
    assert sim.request_count(method="POST") == 5 + len(clock.sleeps)


def test_items_throttled_on_every_attempt_fail_the_batch(sim: GraphSimulator) -> None:
    sim.faults.throttle_ratio, sim.faults.retry_after = 1.0, 1
    clock = FakeClock(sim)
    with client(sim, clock, max_attempts=3) as graph, pytest.raises(SourceUnavailable) as raised:
        graph.batch_get(["users/a", "users/b"])
    assert raised.value.retryable and "in $batch" in str(raised.value)
    assert clock.sleeps == [1.0, 1.0] and sim.request_count() == 3


def test_an_item_error_other_than_404_raises(sim: GraphSimulator, tenant_ids: tuple[Any, list[str]]) -> None:
    with client(sim) as graph, pytest.raises(SourceUnavailable) as raised:
        graph.batch_get([f"users/{tenant_ids[1][0]}", "users?$top=5000"])
    assert not raised.value.retryable and "Request_UnsupportedQuery" in str(raised.value)


def _concurrency(sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Wraps the simulator to record how many $batch calls it is serving when each one arrives."""
    handle, lock, state, seen = sim.handle, threading.Lock(), {"now": 0}, []

    def counting(method: str, target: str, headers: Any, raw: bytes) -> Any:
        with lock:
            state["now"] += 1
            seen.append(state["now"])
        try:
            return handle(method, target, headers, raw)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(sim, "handle", counting)
    return seen


@pytest.mark.parametrize(("percentage", "lowest"), [(None, 4), (0.9, 1)])
def test_the_throttle_percentage_header_lowers_batch_concurrency(
    sim: GraphSimulator,
    tenant_ids: tuple[Any, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    percentage: float | None,
    lowest: int,
) -> None:
    sim.faults.throttle_limit_percentage = percentage
    seen = _concurrency(sim, monkeypatch)
    with client(sim) as graph:
        assert len(graph.batch_get([f"users/{i}" for i in tenant_ids[1]])) == 200  # 10 calls
        stats = graph.stats
    assert (stats.lowest_concurrency_limit, stats.concurrency_limit) == (lowest, lowest)
    assert len(seen) == 10
    if percentage is not None:
        assert max(seen[4:]) == 1  # once the first answers said 0.9, one call at a time
