"""GET /metrics as Prometheus scrapes it: from the bot's running HTTP server (and Socket Mode's metrics
port), after real campaigns, decisions and revocations; Slack 429s and Graph throttling counted as they
happen; a database that does not answer is a 503 with one line, never a stack trace."""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.app import BotServices, build_app
from bot.directory import SlackDirectory, slack_client
from bot.http import BotServer, Metrics, OpsServer
from bot.settings import SlackSettings
from connectors.entra.client import GraphClient
from ops.metrics import count_graph_throttled, metrics_endpoint
from reviews.clock import FrozenClock
from reviews.protection import Protection
from reviews.storage.db import create_db_engine
from reviews.storage.models import AuditHead, DecidedVia, DecisionOutcome, Revocation, RevocationState
from simulators.graph import GraphSimulator
from simulators.slack import SlackSimulator, SlackWorkspace
from tests.bot.conftest import SECRET, TOKEN
from tests.campaigns.test_enforce import Loop
from tests.connectors.entra.graphing import secrets, settings, tenant_with_users
from tests.helpers import T0, recertify_process

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310  (a local URL)
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def scrape(base: str) -> Samples:
    status, content_type, body = get(f"{base}/metrics")
    assert status == 200, body
    assert content_type.startswith("text/plain; version=")  # the Prometheus text format
    return parse(body)


def bot_server(engine: Engine, sim: SlackSimulator, metrics: Metrics | None) -> BotServer:
    client = slack_client(TOKEN, sim.api_url)
    clock, settings = FrozenClock(T0), SlackSettings(team_id="T0001")
    services = BotServices(engine, clock, settings, SlackDirectory(client), Protection.of([], []))
    bolt = build_app(services, client=client, signing_secret=SECRET)
    return BotServer(
        bolt, signing_secret=SECRET, host="127.0.0.1", port=0, ready=lambda: True, metrics=metrics
    )


@pytest.fixture
def bot(engine: Engine) -> Iterator[tuple[str, SlackSimulator]]:
    """The bot's HTTP server as `serve --http` runs it, with /metrics, against the Slack simulator."""
    ws = SlackWorkspace(team_id="T0001", team_name="Department")
    ws.add_user("olu@dept.example.gov", "Olu")
    with SlackSimulator(ws, bot_token=TOKEN) as sim:
        server = bot_server(engine, sim, metrics_endpoint(engine, leading=lambda: True)).start()
        try:
            yield server.url, sim
        finally:
            server.stop()


def test_metrics_count_what_the_database_holds(
    engine: Engine, session: Session, bot: tuple[str, SlackSimulator]
) -> None:
    base, _ = bot
    empty = scrape(base)
    assert value(empty, "recertify_campaigns", status="open") == 0
    assert value(empty, "recertify_revocations", system="aws", state="verified") == 0
    assert value(empty, "recertify_decisions_total", via="slack", outcome="keep") == 0

    loop = Loop.with_readers(session, engine, 3)  # payroll: olu, break-glass-1, u00..u02
    campaign = loop.start(on_no_response="recommendation")
    loop.owner_decides(campaign, "u00", DecisionOutcome.KEEP, "still on payroll", via=DecidedVia.SLACK)
    loop.owner_decides(campaign, "u01", DecisionOutcome.REVOKE, "left the team", via=DecidedVia.CLI)
    open_campaign = scrape(base)
    assert value(open_campaign, "recertify_campaigns", status="open") == 1
    assert value(open_campaign, "recertify_review_items", status="kept", campaign_status="open") == 1
    assert value(open_campaign, "recertify_review_items", status="revoked", campaign_status="open") == 1
    assert value(open_campaign, "recertify_review_items", status="pending", campaign_status="open") == 4

    for item in loop.items(campaign):  # reached and reminded: silence may revoke (DESIGN §3.7)
        item.delivered_at = item.reminded_at = item.escalated_at = loop.clock.now()
        session.add(item)
    session.commit()
    loop.close(campaign)
    loop.plan(campaign)
    loop.approve(campaign)
    loop.execute()
    read_back = scrape(base)  # the changes are in place; only the next sync can say the access is gone
    assert value(read_back, "recertify_revocations", system="aws", state="applied") == 3
    assert value(read_back, "recertify_revocations", system="aws", state="verified") == 0
    loop.sync()

    samples = scrape(base)
    assert value(samples, "recertify_campaigns", status="open") == 0
    assert value(samples, "recertify_campaigns", status="closed") == 1
    assert value(samples, "recertify_decisions_total", via="slack", outcome="keep") == 1
    assert value(samples, "recertify_decisions_total", via="cli", outcome="revoke") == 1
    # Of the four left pending, unused for 200 days, three (u02, olu's read and admin access) are revoked by
    # the cycle's policy at the deadline; break-glass-1 is protected, so nothing recommended revoking it and
    # it expires unchanged. Planning then leaves olu's admin (the last one) to a person.
    assert value(samples, "recertify_decisions_total", via="policy", outcome="revoke") == 3
    assert (
        value(samples, "recertify_review_items", status="needs_human_review", campaign_status="closed") == 1
    )
    assert value(samples, "recertify_review_items", status="expired", campaign_status="closed") == 1
    assert value(samples, "recertify_review_items", status="kept", campaign_status="closed") == 1
    with Session(engine) as fresh:
        verified = fresh.exec(
            select(func.count()).select_from(Revocation).where(Revocation.state == RevocationState.VERIFIED)
        ).one()
        head = fresh.get(AuditHead, 1)
    assert verified == 3  # u01, u02, olu's read
    assert value(samples, "recertify_revocations", system="aws", state="verified") == verified
    assert value(samples, "recertify_revocations", system="aws", state="planned") == 0
    assert head is not None and value(samples, "recertify_audit_chain_head_seq") == head.seq
    # Three syncs (the first, the one before planning, the one that verified), all complete.
    assert value(samples, "recertify_syncs_total", source="aws", status="succeeded") == 3
    assert value(samples, "recertify_sync_last_status", source="aws", status="succeeded") == 1
    assert value(samples, "recertify_sync_last_status", source="aws", status="failed") == 0
    assert value(samples, "recertify_sync_last_success_count", source="aws", count="grants") == 3
    finished = value(samples, "recertify_sync_last_success_timestamp_seconds", source="aws")
    assert finished == loop.clock.now().timestamp()
    assert value(samples, "recertify_scheduler_leader") == 1
    # No label names a person, a store or an id.
    labels = {v for (_, pairs) in samples for _, v in pairs}
    assert not any(re.search(r"arn:|@|payroll|u0\d|olu", label) for label in labels)


def test_a_slack_429_is_counted_as_retried_or_given_up(bot: tuple[str, SlackSimulator]) -> None:
    base, sim = bot
    before = scrape(base)
    client = slack_client(TOKEN, sim.api_url, rate_limit_retries=1)
    sim.faults.rate_limit_next("users.lookupByEmail", times=1, retry_after=0)
    assert client.users_lookupByEmail(email="olu@dept.example.gov")["ok"]  # retried once, then answered
    sim.faults.rate_limit_next("users.lookupByEmail", times=2, retry_after=0)
    with pytest.raises(SlackApiError):
        client.users_lookupByEmail(email="olu@dept.example.gov")  # retried once, then given up
    after = scrape(base)
    for outcome, more in (("retried", 2), ("gave_up", 1)):
        labels = {"method": "users.lookupByEmail", "outcome": outcome}
        assert value(after, "recertify_slack_rate_limited_total", **labels) == (
            value(before, "recertify_slack_rate_limited_total", **labels) + more
        )


def test_graph_throttling_is_counted_through_the_connectors_callback(bot: tuple[str, SlackSimulator]) -> None:
    base, _ = bot
    before = value(scrape(base), "recertify_graph_throttled_total", status="429")
    tenant, _ = tenant_with_users(250)
    with GraphSimulator(tenant, token="test-token", page_size=25, seed=5) as sim:  # noqa: S106
        sim.faults.throttle_ratio, sim.faults.retry_after = 0.4, 1
        graph = GraphClient(
            settings(sim), secrets(), sleep=lambda _seconds: None, on_throttled=count_graph_throttled
        )
        with graph:
            assert len(graph.get_all("users")) == 250
            throttled = graph.stats.throttled
    assert throttled > 0
    assert value(scrape(base), "recertify_graph_throttled_total", status="429") == before + throttled


def test_a_database_that_does_not_answer_is_a_503_with_one_line(tmp_path: Path) -> None:
    for url in (f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}", f"sqlite:///{tmp_path / 'empty.db'}"):
        engine = create_db_engine(url)  # a directory that does not exist; a database with no schema
        server = OpsServer(host="127.0.0.1", port=0, ready=lambda: True, metrics=metrics_endpoint(engine))
        server.start()
        try:
            status, content_type, body = get(f"{server.url}/metrics")
            health = get(f"{server.url}/healthz")
        finally:
            server.stop()
            engine.dispose()
        assert status == 503 and content_type.startswith("text/plain")
        assert body.count("\n") == 1 and body.startswith("metrics unavailable: the database did not answer")
        assert "Traceback" not in body and str(tmp_path) not in body
        assert health[0] == 200  # the process is alive; only the scrape failed


def test_with_a_metrics_port_the_slack_port_serves_no_metrics(engine: Engine) -> None:
    with SlackSimulator(SlackWorkspace(team_id="T0001", team_name="Department"), bot_token=TOKEN) as sim:
        server = bot_server(engine, sim, None).start()  # serve --http P --metrics-port Q
        try:
            assert get(f"{server.url}/metrics")[0] == 404
            assert get(f"{server.url}/healthz")[0] == 200
        finally:
            server.stop()


def test_the_metrics_port_serves_health_and_metrics_only(engine: Engine) -> None:
    server = OpsServer(
        host="127.0.0.1", port=0, ready=lambda: False, metrics=metrics_endpoint(engine)
    ).start()
    try:
        assert get(f"{server.url}/healthz")[:1] == (503,)  # not ready yet
        assert get(f"{server.url}/slack/events")[0] == 404
        assert get(f"{server.url}/metrics")[0] == 200
    finally:
        server.stop()


def test_serve_in_socket_mode_with_a_metrics_port_and_json_logs(database_url: str, tmp_path: Path) -> None:
    ws = SlackWorkspace(team_id="T0001", team_name="Department")
    ws.add_user("olu@dept.example.gov", "Olu")
    app_token = "xapp-1-A0001-4711-metricstest"  # noqa: S105  (made up; the simulator accepts it)
    with SlackSimulator(ws, bot_token=TOKEN, app_token=app_token, socket_mode=True) as sim:
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "RECERTIFY_DATABASE_URL": database_url,
            "RECERTIFY_AWS_ENABLED": "false",
            "RECERTIFY_ENTRA_ENABLED": "false",
            "RECERTIFY_SLACK_API_URL": sim.api_url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_APP_TOKEN": app_token,
        }
        process = recertify_process(
            "serve", "--metrics-port", "0", "--log-level", "debug", env=env, cwd=tmp_path
        )
        try:
            line = process.stdout.readline() if process.stdout else ""
            found = re.search(r"/healthz and /metrics on (http://127\.0\.0\.1:\d+)", line)
            assert found and "Socket Mode connected" in line, line
            base = found.group(1)
            assert get(f"{base}/healthz")[:1] == (200,)
            samples = scrape(base)
            assert value(samples, "recertify_campaigns", status="open") == 0
            assert value(samples, "recertify_scheduler_leader") == 1
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    records = [json.loads(line) for line in err.splitlines() if line.strip()]  # every line is one object
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    started = [r for r in records if r["message"] == "serve started"]
    assert started and started[0]["scheduler"] == "leading" and started[0]["mode"] == "socket"
    assert TOKEN not in err and app_token not in err  # even slack_sdk's debug logs are redacted


def test_the_domain_knows_nothing_of_prometheus() -> None:
    """reviews.queries.metrics returns plain data; only the adapter (ops/metrics.py) imports the client."""
    for path in (Path(__file__).resolve().parent.parent / "reviews").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.split(".")[0] == "prometheus_client" for n in names), path
