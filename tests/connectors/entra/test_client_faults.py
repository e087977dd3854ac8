"""Paging integrity: a truncated, looping, reset or malformed page is read again, and never becomes a
partial answer. Faults come from the simulator (one-shot), or from a wrapper around its answers for the
faults it has no switch for (a next link to another host, a page without `value`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from reviews.errors import SourceUnavailable
from simulators.graph import GraphSimulator
from tests.connectors.entra.graphing import FakeClock, client, tenant_with_users

USERS = 450  # 5 pages of 100


@pytest.fixture(scope="module")
def module_sim() -> Iterator[GraphSimulator]:
    tenant, _ = tenant_with_users(USERS)
    with GraphSimulator(tenant, token="test-token", page_size=100) as sim:
        yield sim


@pytest.fixture
def sim(module_sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[GraphSimulator]:
    module_sim.reset_faults()
    module_sim.requests.clear()
    yield module_sim
    module_sim.reset_faults()


@pytest.fixture(scope="module")
def expected(module_sim: GraphSimulator) -> list[dict[str, Any]]:
    with client(module_sim) as graph:
        return graph.get_all("users")


def _arm(sim: GraphSimulator, fault: str) -> None:
    {"truncate": sim.faults.truncate_next, "repeat": sim.faults.repeat_next, "reset": sim.faults.reset_next}[
        fault
    ]("/users")


@pytest.mark.parametrize("fault", ["truncate", "repeat", "reset"])
def test_a_damaged_page_is_read_again(
    sim: GraphSimulator, expected: list[dict[str, Any]], fault: str
) -> None:
    clock = FakeClock(sim)
    with client(sim, clock) as graph:
        pages = graph.pages("users")
        first = next(pages)
        _arm(sim, fault)  # hits the second page
        rest = [item for page in pages for item in page["value"]]
        stats = graph.stats
    assert first["value"] + rest == expected  # every user once, in order
    assert stats.retries == 1 and len(clock.sleeps) == 1
    assert sim.request_count() == 6


@pytest.mark.parametrize("fault", ["truncate", "repeat", "reset"])
def test_a_page_still_damaged_after_the_attempts_fails_naming_the_path(
    sim: GraphSimulator, fault: str
) -> None:
    for _ in range(3):
        _arm(sim, fault)
    clock = FakeClock(sim)
    with client(sim, clock, max_attempts=3) as graph, pytest.raises(SourceUnavailable) as raised:
        graph.get_all("users")
    assert raised.value.retryable and "GET users" in str(raised.value)
    assert "gave up after 3 attempts" in str(raised.value)
    assert sim.request_count() == 3


def _damage(
    sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch, change: Callable[[dict[str, Any]], None], times: int
) -> None:
    """Wrap the simulator's answers: the first `times` pages after the first one get `change`d."""
    handle = sim.handle
    served = {"pages": 0, "damaged": 0}

    def damaged(method: str, target: str, headers: Any, raw: bytes) -> Any:
        record, response = handle(method, target, headers, raw)
        if response is not None and isinstance(response.body, dict) and "value" in response.body:
            served["pages"] += 1
            if served["pages"] > 1 and served["damaged"] < times:
                served["damaged"] += 1
                change(response.body)
        return record, response

    monkeypatch.setattr(sim, "handle", damaged)


def _foreign_link(body: dict[str, Any]) -> None:
    body["@odata.nextLink"] = body["@odata.nextLink"].replace("127.0.0.1", "graph.example.net")


def _no_value(body: dict[str, Any]) -> None:
    body.pop("value")


@pytest.mark.parametrize("change", [_foreign_link, _no_value])
def test_a_malformed_page_is_read_again_then_fails(
    sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch, expected: list[dict[str, Any]], change: Any
) -> None:
    _damage(sim, monkeypatch, change, times=1)
    with client(sim, FakeClock(sim)) as graph:
        assert graph.get_all("users") == expected
        assert graph.stats.retries == 1
    assert not any("graph.example.net" in r.path for r in sim.requests)

    _damage(sim, monkeypatch, change, times=100)
    with client(sim, FakeClock(sim), max_attempts=2) as graph, pytest.raises(SourceUnavailable) as raised:
        graph.get_all("users")
    assert "GET users" in str(raised.value)
