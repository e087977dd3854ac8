"""GraphClient against the real GraphServiceClient and the local Graph simulator: paging, throttling,
errors and lifecycle. Waits go through a fake clock, except in the one test that checks real time."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from connectors.entra.client import DeltaExpired, GraphClient, GraphNotFound, duplicate_ids
from connectors.entra.graph.errors import likely_permission, translate
from connectors.entra.settings import EntraSecrets, EntraSettings
from reviews.errors import Misconfigured, NotFound, SourceUnavailable
from simulators.graph import GraphSimulator
from tests.connectors.entra.graphing import FakeClock, client, tenant_with_users


@pytest.fixture(scope="module")
def many() -> Iterator[tuple[GraphSimulator, list[str]]]:
    tenant, ids = tenant_with_users(1050)
    with GraphSimulator(tenant, token="test-token", page_size=100) as sim:
        yield sim, ids


@pytest.fixture
def sim(many: tuple[GraphSimulator, list[str]]) -> Iterator[GraphSimulator]:
    simulator = many[0]
    simulator.reset_faults()
    simulator.requests.clear()
    yield simulator
    simulator.reset_faults()


def test_pages_follow_next_links_to_the_end(
    sim: GraphSimulator, many: tuple[GraphSimulator, list[str]]
) -> None:
    with client(sim) as graph:
        users = graph.get_all("users", {"$select": "id,displayName"})
        stats = graph.stats
    assert sorted(u["id"] for u in users) == sorted(many[1])  # every user exactly once
    assert duplicate_ids(users) == {}
    assert sim.request_count(path_prefix="/users") == 11
    assert (stats.requests, stats.retries, stats.throttled) == (11, 0, 0)
    assert all(r.query.get("$select") == "id,displayName" for r in sim.requests)  # carried by nextLinks


def test_thirty_percent_throttled_gives_the_same_answer_and_no_early_retry(sim: GraphSimulator) -> None:
    with client(sim) as graph:
        expected = graph.get_all("users")
    sim.requests.clear()
    sim.faults.throttle_ratio, sim.faults.retry_after = 0.3, 1
    clock = FakeClock(sim)
    with client(sim, clock) as graph:
        throttled = graph.get_all("users", {"$top": "25"})  # 42 pages
        stats = graph.stats
    assert throttled == expected
    statuses = [r.status for r in sim.requests]
    assert statuses.count(429) >= 8 and stats.throttled == statuses.count(429)
    # Each 429 is followed by a wait of its Retry-After that began before anything else was sent.
    waits = dict(clock.waits)
    for index, status in enumerate(statuses):
        if status == 429:
            assert waits.get(index + 1, 0) >= 1.0
    assert stats.retries == statuses.count(429)
    assert sim.request_count() == 42 + statuses.count(429)


def test_retry_after_is_honoured_in_real_time() -> None:
    tenant, _ = tenant_with_users(250)
    with GraphSimulator(tenant, token="test-token", page_size=100, seed=37) as small:
        small.faults.throttle_ratio, small.faults.retry_after = 0.5, 1  # seed 37: the 2nd request only
        with client(small) as graph:
            assert len(graph.get_all("users")) == 250
            assert graph.stats.waited_seconds == 1.0
        records = list(small.requests)
    assert [r.status for r in records] == [200, 429, 200, 200]
    assert records[2].at - records[1].at >= 1.0


def test_the_sdk_retry_handler_is_off_so_attempts_do_not_multiply(sim: GraphSimulator) -> None:
    # The SDK alone would send 4 requests here (its RetryHandler retries 429 three times).
    sim.faults.throttle_ratio, sim.faults.retry_after = 1.0, 1
    clock = FakeClock(sim)
    with client(sim, clock, max_attempts=2) as graph, pytest.raises(SourceUnavailable) as raised:
        graph.get_all("users")
    assert sim.request_count() == 2 and clock.sleeps == [1.0]
    assert raised.value.retryable and "GET users" in str(raised.value) and "429" in str(raised.value)


def test_429_without_retry_after_backs_off_exponentially_then_fails(sim: GraphSimulator) -> None:
    sim.faults.throttle_ratio, sim.faults.retry_after = 1.0, None
    clock = FakeClock(sim)
    with client(sim, clock, max_attempts=5) as graph, pytest.raises(SourceUnavailable) as raised:
        graph.get("users")
    assert raised.value.retryable and "gave up after 5 attempts" in str(raised.value)
    assert sim.request_count() == 5
    assert [n for n, _ in clock.waits] == [1, 2, 3, 4]  # one wait after each failed attempt but the last
    for attempt, seconds in enumerate(clock.sleeps, start=1):
        assert 2 ** (attempt - 1) / 2 <= seconds <= 2 ** (attempt - 1)


def test_a_retry_after_of_180_s_or_more_is_honoured(sim: GraphSimulator) -> None:
    sim.faults.throttle_ratio, sim.faults.retry_after = 1.0, 240

    def calm(_: float) -> None:
        sim.faults.throttle_ratio = 0.0

    clock = FakeClock(sim, on_sleep=calm)
    with client(sim, clock) as graph:
        assert len(graph.get_all("users")) == 1050
    assert clock.waits[0] == (1, 240.0)


def test_a_retry_after_above_the_configured_maximum_fails_at_once(sim: GraphSimulator) -> None:
    sim.faults.throttle_ratio, sim.faults.retry_after = 1.0, 240
    clock = FakeClock(sim)
    with client(sim, clock, max_retry_wait_seconds=120) as graph, pytest.raises(SourceUnavailable) as raised:
        graph.get_all("users")
    assert clock.sleeps == [] and sim.request_count() == 1
    assert "240 s" in str(raised.value) and "entra.max_retry_wait_seconds" in str(raised.value)


def test_an_expired_delta_link_raises_delta_expired(sim: GraphSimulator) -> None:
    with client(sim) as graph:
        pages = list(graph.pages("users/delta", {"$select": "id,displayName"}))
        delta_link = pages[-1]["@odata.deltaLink"]
        assert sum(len(p["value"]) for p in pages) == 1050
        assert list(graph.pages(delta_link))[-1]["value"] == []  # nothing changed
        sim.expire_delta_links()
        with pytest.raises(DeltaExpired) as raised:
            list(graph.pages(delta_link))
    assert isinstance(raised.value, SourceUnavailable) and not raised.value.retryable
    assert "syncStateNotFound" in str(raised.value)


def test_a_wrong_token_is_misconfigured_and_never_printed(sim: GraphSimulator) -> None:
    with client(sim, token="not-the-token-xyz") as graph, pytest.raises(Misconfigured) as raised:
        graph.get_all("users")
    assert "InvalidAuthenticationToken" in str(raised.value) and "RECERTIFY_GRAPH_TOKEN" in str(raised.value)
    assert "not-the-token-xyz" not in str(raised.value)
    assert sim.request_count() == 1


def test_404_is_graph_not_found(sim: GraphSimulator, many: tuple[GraphSimulator, list[str]]) -> None:
    with client(sim) as graph:
        assert graph.get(f"users/{many[1][0]}")["id"] == many[1][0]
        with pytest.raises(GraphNotFound) as raised:
            graph.get("users/00000000-0000-4000-8000-000000000000")
        with pytest.raises(GraphNotFound):
            graph.delete("groups/00000000-0000-4000-8000-000000000000/members/x/$ref")
    assert isinstance(raised.value, NotFound) and "Request_ResourceNotFound" in str(raised.value)


def test_writes_add_and_remove_a_member(sim: GraphSimulator, many: tuple[GraphSimulator, list[str]]) -> None:
    group = sim.tenant.add_group("Payroll")
    user = many[1][1]
    with client(sim) as graph:
        graph.post(f"groups/{group}/members/$ref", {"@odata.id": f"{graph.base_url}/directoryObjects/{user}"})
        assert sim.tenant.direct_members(group) == {user}
        graph.delete(f"groups/{group}/members/{user}/$ref")
    assert sim.tenant.direct_members(group) == set()


def test_a_link_to_another_host_is_refused_without_sending_anything(sim: GraphSimulator) -> None:
    with client(sim) as graph, pytest.raises(SourceUnavailable) as raised:
        list(graph.pages("https://graph.example.net/v1.0/users"))
    assert "another host" in str(raised.value) and sim.request_count() == 0


def test_no_credential_is_misconfigured() -> None:
    with pytest.raises(Misconfigured) as raised:
        GraphClient(EntraSettings(), EntraSecrets.model_validate({}))
    assert "RECERTIFY_GRAPH_TOKEN" in str(raised.value)


def test_an_unreadable_certificate_is_misconfigured(tmp_path: object) -> None:
    entra = EntraSettings(
        tenant_id="contoso.onmicrosoft.com", client_id="11111111-2222-3333-4444-555555555555"
    )
    missing = {"AZURE_CLIENT_CERTIFICATE_PATH": "/nonexistent/recertify.pem"}
    with pytest.raises(Misconfigured) as raised:
        GraphClient(entra, EntraSecrets.model_validate(missing))
    assert "AZURE_CLIENT_CERTIFICATE_PATH" in str(raised.value)


def test_the_loop_thread_ends_on_close(sim: GraphSimulator) -> None:
    graph = client(sim)
    thread = graph.loop_thread
    assert thread.is_alive() and thread.name == "recertify-graph"
    graph.get_all("users", {"$top": "999"})
    graph.close()
    graph.close()  # idempotent
    assert not thread.is_alive()
    with pytest.raises(RuntimeError):
        graph.get("users")


def test_403_names_the_permission_likely_missing() -> None:
    body = b'{"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges."}}'
    error = translate("GET", "groups/g1/transitiveMembers", 403, body)
    assert isinstance(error, Misconfigured) and "GroupMember.Read.All" in str(error)
    assert likely_permission("DELETE", "groups/g/members/u/$ref") == "GroupMember.ReadWrite.All"
    assert likely_permission("GET", "auditLogs/signIns") == "AuditLog.Read.All"
    assert likely_permission("GET", "users") == "User.Read.All"
    other = translate("GET", "users", 400, b'{"error": {"code": "BadRequest", "message": "Bad $filter"}}')
    assert isinstance(other, SourceUnavailable) and not other.retryable and "BadRequest" in str(other)
    gateway = translate("GET", "users", 502, b"<html>bad gateway</html>")
    assert isinstance(gateway, SourceUnavailable) and gateway.retryable and "HTTP 502" in str(gateway)


def test_several_threads_share_one_client(sim: GraphSimulator) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with client(sim) as graph, ThreadPoolExecutor(4) as pool:
        started = time.perf_counter()
        counts = list(pool.map(lambda _: len(graph.get_all("users", {"$top": "999"})), range(4)))
    assert counts == [1050] * 4 and time.perf_counter() - started < 10


def test_the_client_settings_are_validated_naming_the_key() -> None:
    from config import load_settings
    from reviews.errors import ConfigurationError

    env = {"RECERTIFY_ENTRA_MAX_CONCURRENCY": "0", "RECERTIFY_ENTRA_RESOURCE_UNIT_BUDGET": "lots"}
    with pytest.raises(ConfigurationError) as raised:
        load_settings(None, env)
    assert "entra.max_concurrency" in str(raised.value) and "entra.resource_unit_budget" in str(raised.value)
    loaded = load_settings(None, {"RECERTIFY_ENTRA_MAX_RETRY_WAIT_SECONDS": "900"})
    assert loaded.settings.entra.max_retry_wait_seconds == 900 and loaded.settings.entra.max_concurrency == 4
