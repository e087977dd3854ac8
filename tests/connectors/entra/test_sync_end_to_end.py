"""End to end through the CLI: `recertify sync --source entra` against the Graph simulator, twice (the
second time incrementally, from the mirror kept in the database), then `recertify access`."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from reviews.storage.db import create_db_engine
from reviews.storage.models import Person
from simulators.graph import GraphSimulator
from simulators.slack import SlackSimulator, SlackWorkspace
from tests.connectors.entra.conftest import TOKEN, Department
from tests.helpers import run_cli


def sync_env(simulator: GraphSimulator, database_url: str, **extra: str) -> dict[str, str]:
    """`recertify sync --source entra` against the simulator, into `database_url`, for the group payroll."""
    return {
        "RECERTIFY_DATABASE_URL": database_url,
        "RECERTIFY_GRAPH_URL": simulator.url,
        "RECERTIFY_GRAPH_TOKEN": TOKEN,
        "RECERTIFY_ENTRA_PERSONAL_DATA_GROUPS": '["payroll"]',
        "RECERTIFY_AWS_ENABLED": "false",
        **extra,
    }


def test_sync_twice_then_access(
    simulator: GraphSimulator, department: Department, database_url: str, capsys, monkeypatch
) -> None:
    env = sync_env(simulator, database_url, RECERTIFY_ENTRA_PERSONAL_DATA_APPS='["Casework"]')
    first = run_cli(capsys, monkeypatch, "sync", "--source", "entra", env=env)
    assert first.code == 0, first.stderr
    assert "entra: 2 stores" in first.stdout and "note: full sync" in first.stdout
    assert "could not be matched by email" in first.stdout  # the guest has no address

    department.tenant.remove_member(department.ids["payroll"], department.ids["dee"])
    second = run_cli(capsys, monkeypatch, "sync", "--source", "entra", env=env)
    assert second.code == 0, second.stderr
    assert "1 closed" in second.stdout and "note: incremental sync" in second.stdout

    rows = json.loads(
        run_cli(capsys, monkeypatch, "access", "--store", "payroll", "--format", "json", env=env).stdout
    )
    by_name = {(r["principal"]["name"], r["access"]): r for r in rows}
    assert set(by_name) == {("Ana", "read"), ("Ben", "read"), ("Gus", "read"), ("Olu", "admin")}
    ana = by_name[("Ana", "read")]
    assert ana["store"] == {
        "id": department.ids["payroll"],
        "name": "payroll",
        "system": "entra",
        "kind": "entra_group",
        "owner": "olu@dept.example.gov",
        "owners": ["olu@dept.example.gov"],
    }
    assert ana["principal"]["type"] == "entra_user" and ana["principal"]["email"] == "ana@dept.example.gov"
    assert ana["path"] == ["group:payroll", "group:finance", "group:clerks"]


def test_people_are_linked_to_slack_after_the_sync(
    simulator: GraphSimulator, department: Department, database_url: str, capsys, monkeypatch
) -> None:
    workspace = SlackWorkspace(team_id="T0001", team_name="Department")
    ana = workspace.add_user("ana@dept.example.gov", "Ana")
    with SlackSimulator(workspace, bot_token="xoxb-test") as slack:
        env = sync_env(
            simulator, database_url, RECERTIFY_SLACK_API_URL=slack.api_url, SLACK_BOT_TOKEN="xoxb-test"
        )
        result = run_cli(capsys, monkeypatch, "sync", "--source", "entra", env=env)
        again = run_cli(capsys, monkeypatch, "sync", "--source", "entra", env=env)
        lookups = len(slack.calls_to("users.lookupByEmail"))
    assert result.code == 0, result.stderr
    assert "1 linked" in result.stdout and "0 due at the next sync" in result.stdout
    assert "people: 0 looked up in Slack" in again.stdout  # cached
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        people = session.exec(select(Person)).all()
    engine.dispose()
    assert {p.email: p.slack_user_id for p in people if p.slack_user_id} == {"ana@dept.example.gov": ana}
    assert lookups == len(people)  # one lookup per person, none on the second sync


def test_graph_throttling_during_a_sync_is_counted_in_its_run_and_in_metrics(
    simulator: GraphSimulator, department: Department, database_url: str, capsys, monkeypatch
) -> None:
    """`recertify sync` runs in its own process (a timer, a CronJob), not in `serve`: the 429s it waited
    out are kept in its sync run, so /metrics shows them whichever replica is scraped."""
    from ops.metrics import metrics_endpoint
    from reviews.storage.models import SyncRun

    env = sync_env(simulator, database_url)
    simulator.faults.throttle_ratio, simulator.faults.retry_after = 0.3, 1
    result = run_cli(capsys, monkeypatch, "sync", "--source", "entra", env=env)
    assert result.code == 0, result.stderr
    answered = [*simulator.requests, *(item for r in simulator.requests for item in r.batch)]
    throttled = sum(r.status == 429 for r in answered)
    assert throttled > 0
    assert f"entra: throttled {throttled} time(s), each waited out and retried" in result.stdout
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        run = session.exec(select(SyncRun)).one()
    assert run.counts["throttled"] == throttled
    status, _, body = metrics_endpoint(engine)()
    engine.dispose()
    assert status == 200
    assert f'recertify_sync_throttled_total{{source="entra"}} {throttled}.0' in body.decode()


def _runs(database_url: str) -> list[dict[str, int]]:
    from reviews.storage.models import SyncRun

    engine = create_db_engine(database_url)
    with Session(engine) as session:
        counts = [run.counts for run in session.exec(select(SyncRun).order_by(SyncRun.id)).all()]
    engine.dispose()
    return counts


def _metrics(database_url: str) -> str:
    from ops.metrics import metrics_endpoint

    engine = create_db_engine(database_url)
    status, _, body = metrics_endpoint(engine)()
    engine.dispose()
    assert status == 200
    return body.decode()


@pytest.mark.parametrize("reset", [False, True], ids=["400-syncStateNotFound", "410-gone"])
def test_a_refused_delta_link_is_discarded_for_a_full_sync_then_delta_resumes(
    simulator: GraphSimulator, department: Department, database_url: str, capsys, monkeypatch, reset: bool
) -> None:
    """Microsoft Graph blog, "Duration of change tracking tokens for identity and education resources": an
    expired delta link gets "a BadRequest response with the error code “syncStateNotFound”… To fix that
    error, simply start a full synchronization again". Use delta query, "Synchronization reset": a
    `410 Gone` "is an indication that the application must restart with a full synchronization of the
    target tenant". Both: the same sync reads in full, says so in its run and in /metrics, and the next
    sync uses the new delta links."""
    env = sync_env(simulator, database_url)
    assert run_cli(capsys, monkeypatch, "sync", "--source", "entra", env=env).code == 0
    simulator.expire_delta_links(reset=reset)
    department.tenant.remove_member(department.ids["payroll"], department.ids["dee"])

    refused = run_cli(capsys, monkeypatch, "sync", "--source", "entra", env=env)
    assert refused.code == 0, refused.stderr
    status = "410 resyncRequired" if reset else "400 syncStateNotFound"
    assert f"note: a stored delta link was refused (HTTP {status}): full sync" in refused.stdout
    assert "1 closed" in refused.stdout  # the change made while the link was refused is not lost

    later = run_cli(capsys, monkeypatch, "sync", "--source", "entra", env=env)
    assert later.code == 0, later.stderr
    assert "note: incremental sync (delta links)" in later.stdout
    runs = _runs(database_url)
    assert [(r["read_full_sync"], r["read_delta_resets"]) for r in runs] == [(1, 0), (1, 1), (0, 0)]
    body = _metrics(database_url)
    assert 'recertify_sync_delta_resets_total{source="entra"} 1.0' in body
    assert 'recertify_sync_last_success_count{count="read_full_sync",source="entra"} 0.0' in body


def test_sync_full_discards_the_stored_delta_links(
    simulator: GraphSimulator, department: Department, database_url: str, capsys, monkeypatch
) -> None:
    env = sync_env(simulator, database_url)
    assert run_cli(capsys, monkeypatch, "sync", "--source", "entra", env=env).code == 0
    department.tenant.remove_member(department.ids["payroll"], department.ids["dee"])
    before = len(simulator.requests)

    forced = run_cli(capsys, monkeypatch, "sync", "--source", "entra", "--full", env=env)
    assert forced.code == 0, forced.stderr
    assert "note: full sync (asked for: the stored delta links were discarded)" in forced.stdout
    assert "1 closed" in forced.stdout
    delta_reads = [r for r in simulator.requests[before:] if r.path == "/v1.0/users/delta"]
    assert delta_reads and all("$deltatoken" not in r.query for r in delta_reads)  # read from the start

    after = run_cli(capsys, monkeypatch, "sync", "--source", "entra", env=env)
    assert "note: incremental sync (delta links)" in after.stdout
    runs = _runs(database_url)
    assert [(r["read_full_sync"], r["read_delta_resets"]) for r in runs] == [(1, 0), (1, 0), (0, 0)]
    assert 'recertify_sync_delta_resets_total{source="entra"} 0.0' in _metrics(database_url)
