"""Helpers for the Graph client tests: settings for a simulator, and a fake clock that records waits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.entra.client import GraphClient
from connectors.entra.settings import EntraSecrets, EntraSettings
from simulators.graph import GraphSimulator, Tenant

TOKEN = "test-token"


def settings(sim: GraphSimulator, **overrides: Any) -> EntraSettings:
    return EntraSettings(graph_url=sim.url, tenant_id="", client_id="", **overrides)


def secrets(token: str = TOKEN) -> EntraSecrets:
    return EntraSecrets.model_validate({"RECERTIFY_GRAPH_TOKEN": token})


class FakeClock:
    """Time moves only when the client sleeps. Each wait is recorded with the number of requests the
    simulator had received when it began, which shows what was (not) sent before the wait ended."""

    def __init__(self, sim: GraphSimulator, on_sleep: Callable[[float], None] | None = None) -> None:
        self.sim = sim
        self.now = 1000.0
        self.waits: list[tuple[int, float]] = []  # (requests received so far, seconds)
        self.on_sleep = on_sleep

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append((len(self.sim.requests), seconds))
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)

    @property
    def sleeps(self) -> list[float]:
        return [seconds for _, seconds in self.waits]


def client(
    sim: GraphSimulator, clock: FakeClock | None = None, token: str = TOKEN, **overrides: Any
) -> GraphClient:
    if clock is None:
        return GraphClient(settings(sim, **overrides), secrets(token))
    return GraphClient(
        settings(sim, **overrides), secrets(token), sleep=clock.sleep, monotonic=clock.monotonic
    )


def tenant_with_users(count: int) -> tuple[Tenant, list[str]]:
    tenant = Tenant(seed=1)
    ids = [tenant.add_user(f"User {i}", f"user{i}@dept.example.gov") for i in range(count)]
    return tenant, ids
