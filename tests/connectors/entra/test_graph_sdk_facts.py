"""What msgraph-sdk does on its own, pinned so that an upgrade that changes it is noticed (DESIGN §6).

These use the SDK's *default* pipeline, not GraphClient: they show why GraphClient turns the SDK's retry
handler off and closes the connection pool itself.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from kiota_abstractions.api_error import APIError
from kiota_abstractions.authentication import BaseBearerTokenAuthenticationProvider
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph import GraphRequestAdapter

from connectors.entra.graph.sdk import StaticTokenProvider
from simulators.graph import GraphSimulator, Tenant


def _default_sdk_get(sim: GraphSimulator) -> tuple[int | None, float, Any]:
    async def run() -> tuple[int | None, float, Any]:
        provider = BaseBearerTokenAuthenticationProvider(StaticTokenProvider("test-token", "127.0.0.1"))
        adapter = GraphRequestAdapter(provider)  # GraphClientFactory's default middleware
        adapter.base_url = sim.url
        info = RequestInformation(Method.GET)
        info.url = f"{sim.url}/users"
        started = time.monotonic()
        status = None
        try:
            await adapter.send_primitive_async(info, "bytes", {})
        except APIError as exc:
            status = exc.response_status_code
        elapsed = time.monotonic() - started
        client = adapter._http_client
        await client.aclose()
        pool = client._transport.transport  # type: ignore[attr-defined]  # msgraph-core's wrapper
        leaked = pool._pool.connections  # the wrapper's aclose() does not reach the pool
        await pool.aclose()
        return status, elapsed, leaked

    return asyncio.run(run())


@pytest.fixture
def sim() -> Any:
    tenant = Tenant(seed=1)
    tenant.add_user("Ana", "ana@dept.example.gov")
    with GraphSimulator(tenant, token="test-token") as simulator:
        simulator.faults.throttle_ratio = 1.0
        yield simulator


def test_the_sdk_retries_429_three_times_honouring_retry_after(sim: GraphSimulator) -> None:
    sim.faults.retry_after = 1
    status, elapsed, leaked = _default_sdk_get(sim)
    assert status == 429 and sim.request_count() == 4 and elapsed >= 3.0
    assert leaked, "msgraph-core's AsyncGraphTransport has no aclose(): closing the client leaks the pool"


def test_the_sdk_does_not_retry_when_retry_after_is_180_s_or_more(sim: GraphSimulator) -> None:
    sim.faults.retry_after = 180
    status, elapsed, _ = _default_sdk_get(sim)
    assert status == 429 and sim.request_count() == 1 and elapsed < 2.0
