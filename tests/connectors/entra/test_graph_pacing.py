"""The Graph client's pacing in isolation: request costs, the resource-unit bucket, the adaptive
concurrency limit and retry waits, on a fake clock (no network, no waiting)."""

from __future__ import annotations

import asyncio

import pytest

from connectors.entra.graph.pacing import (
    RECOVERY_RESPONSES,
    AdaptiveLimit,
    Clock,
    ResourceBudget,
    backoff,
    resource_units,
    retry_after,
    under_pressure,
)

BASE = "https://graph.microsoft.com/v1.0"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> Clock:
        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
            self.now += seconds

        return Clock(lambda: self.now, sleep)


@pytest.mark.parametrize(
    ("method", "path", "units"),
    [
        ("GET", "/users", 2),
        ("GET", "/users?$select=id,displayName", 1),
        ("GET", "/users/delta?$select=id", 1),
        ("GET", "/groups", 1),
        ("GET", "/groups/g1/members", 3),
        ("GET", "/groups/g1/members?$select=id", 2),
        ("GET", "/groups/g1/transitiveMembers", 5),
        ("GET", "/groups/g1/transitiveMembers/microsoft.graph.user?$select=id", 4),
        ("GET", "/groups/g1/members?$top=10", 2),
        ("GET", "/servicePrincipals/s1/appRoleAssignments?$expand=x", 3),
        ("GET", "/users?$select=id&$top=5", 1),  # never below 1
        ("DELETE", "/groups/g1/members/u1/$ref", 1),
    ],
)
def test_resource_units_follow_graphs_cost_table(method: str, path: str, units: int) -> None:
    assert resource_units(method, BASE + path) == units


def test_the_budget_spends_a_full_bucket_then_waits_for_the_refill() -> None:
    fake = FakeClock()

    async def scenario() -> list[float]:
        budget = ResourceBudget(100, fake.clock())  # 100 units per 10 s: 10 units/s
        return [await budget.take(60), await budget.take(30), await budget.take(30), await budget.take(500)]

    waited = asyncio.run(scenario())
    assert waited[:3] == [0.0, 0.0, pytest.approx(2.0)]  # 10 left, 20 missing at 10/s
    assert waited[3] == pytest.approx(10.0)  # dearer than the bucket: waits for a full bucket, not forever
    assert fake.now == pytest.approx(12.0)


def test_the_budget_refills_with_time_that_passed_without_waiting() -> None:
    fake = FakeClock()

    async def scenario() -> float:
        budget = ResourceBudget(100, fake.clock())
        await budget.take(100)
        fake.now += 5.0  # 50 units back
        return await budget.take(50)

    assert asyncio.run(scenario()) == 0.0


def test_pressure_halves_the_limit_and_calm_restores_it_slowly() -> None:
    limit = AdaptiveLimit(8)
    for expected in (4, 2, 1, 1):
        limit.observe(pressure=True)
        assert limit.limit == expected
    for _ in range(RECOVERY_RESPONSES - 1):
        limit.observe(pressure=False)
    assert limit.limit == 1
    limit.observe(pressure=False)
    assert (limit.limit, limit.lowest) == (2, 1)


def test_the_limit_holds_requests_in_flight() -> None:
    async def scenario() -> int:
        limit = AdaptiveLimit(4)
        limit.observe(pressure=True)  # 2
        in_flight = peak = 0

        async def one() -> None:
            nonlocal in_flight, peak
            async with limit.slot():
                in_flight += 1
                peak = max(peak, in_flight)
                await asyncio.sleep(0.01)
                in_flight -= 1

        await asyncio.gather(*(one() for _ in range(10)))
        return peak

    assert asyncio.run(scenario()) == 2


@pytest.mark.parametrize(
    ("headers", "pressure"),
    [
        ({"x-ms-throttle-limit-percentage": "0.9"}, True),
        ({"x-ms-throttle-limit-percentage": "0.8"}, False),
        ({"x-ms-throttle-limit-percentage": "lots"}, False),
        ({}, False),
    ],
)
def test_pressure_is_read_from_the_throttle_percentage(headers: dict[str, str], pressure: bool) -> None:
    assert under_pressure(200, headers) is pressure
    assert under_pressure(429, headers) is True


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after({"retry-after": "7"}) == 7.0
    assert retry_after({"retry-after": "240"}) == 240.0
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past: now
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None


def test_backoff_grows_with_jitter_and_stays_under_its_cap() -> None:
    for attempt in range(1, 12):
        ceiling = min(60.0, 2.0 ** (attempt - 1))
        for _ in range(20):
            assert ceiling / 2 <= backoff(attempt) <= ceiling
    assert backoff(30, cap=5.0) <= 5.0
