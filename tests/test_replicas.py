"""Two `recertify serve --http` replicas on one PostgreSQL, as an operator runs them: both serve Slack,
exactly one schedules; `kill -9` of that one and the other takes over within 30 s, with the same jobs, none
doubled (DESIGN §5); a cycle's scheduled start is made up at takeover and still starts one campaign.
Revocations are fenced by the lease token and claimed once (tests/scheduler, tests/test_outbox_crash.py)."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from reviews.clock import FrozenClock
from reviews.storage.db import create_db_engine
from tests.campaigns.world import Department, cycle, store_cycle
from tests.connectors.aws.test_review_loop_cli import CYCLE
from tests.connectors.aws.test_sync_end_to_end import _seed_department
from tests.connectors.aws.throttling import ThrottlingProxy
from tests.helpers import run_cli, stop_processes

TAKEOVER_LIMIT = 30.0
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # noqa: S105  (a test signing secret)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def wait_for(check: Callable[[], bool], timeout: float, logs: Path) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            text = "\n".join(p.read_text(errors="replace") for p in sorted(logs.glob("*.log")))
            pytest.fail(f"timed out after {timeout} s; replica logs:\n{text}")
        time.sleep(0.1)


@pytest.fixture
def engine(postgresql_url: str) -> Iterator[Engine]:
    engine = create_db_engine(postgresql_url)
    yield engine
    engine.dispose()


Replica = Callable[..., tuple[subprocess.Popen[bytes], int]]  # (name, **environment) → (process, port)


@pytest.fixture
def replica(postgresql_url: str, tmp_path: Path) -> Iterator[Replica]:
    started: list[subprocess.Popen[bytes]] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECERTIFY_", "SLACK_"))}
    env |= {
        "RECERTIFY_DATABASE_URL": postgresql_url,
        "RECERTIFY_AWS_ENABLED": "false",
        "RECERTIFY_ENTRA_ENABLED": "false",
        "RECERTIFY_SLACK_API_URL": "http://127.0.0.1:9/api/",  # never reached: nothing to send
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        # Slack is never reached here, so serve's start check of the token fails: the replicas are about
        # leadership, and /healthz tells when each is up.
        "RECERTIFY_SERVE_ALLOW_DEGRADED_START": "true",
    }

    def start(name: str, **extra: str) -> tuple[subprocess.Popen[bytes], int]:
        port = free_port()
        script = Path(sys.executable).with_name("recertify")
        with (tmp_path / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(  # noqa: S603
                [str(script), "serve", "--http", str(port)],
                cwd=tmp_path,
                env=env | extra,
                stdout=log,
                stderr=log,
            )
        started.append(process)
        return process, port

    yield start
    stop_processes(started, grace=15)


def lease(engine: Engine) -> tuple[str, int] | None:
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT holder, token FROM scheduler_lease WHERE name = 'scheduler'")
        ).first()
    return (str(row[0]), int(row[1])) if row else None


def jobs(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        try:
            return sorted(str(r[0]) for r in connection.execute(text("SELECT id FROM apscheduler_jobs")))
        except (OperationalError, ProgrammingError):  # the leader creates the table
            return []


def pid_of(worker: str) -> int:
    """The process of a lease holder or an outbox claimant, named `host:pid` (cli.common.worker_name)."""
    return int(worker.rsplit(":", 1)[1])


def leader_pid(engine: Engine) -> int | None:
    held = lease(engine)
    return pid_of(held[0]) if held else None


def campaigns(engine: Engine) -> list[tuple[str, int]]:
    """(period, how many campaigns) per period, and the `campaign.started` events beside them."""
    with engine.connect() as connection:
        return [
            (str(row[0]), int(row[1]))
            for row in connection.execute(
                text("SELECT period_key, count(*) FROM campaign GROUP BY period_key ORDER BY period_key")
            )
        ]


def started_events(engine: Engine) -> int:
    with engine.connect() as connection:
        query = text("SELECT count(*) FROM audit_event WHERE kind = 'campaign.started'")
        return int(connection.execute(query).scalar_one())


def test_one_replica_schedules_and_the_other_takes_over_after_kill_9(
    engine: Engine, replica: Replica, tmp_path: Path
) -> None:
    first, first_port = replica("first")
    second, second_port = replica("second")
    wait_for(lambda: healthy(first_port) and healthy(second_port), 60, tmp_path)
    pids = {first.pid: first, second.pid: second}
    wait_for(lambda: leader_pid(engine) in pids, 30, tmp_path)
    wait_for(lambda: jobs(engine) == ["audit:checkpoint", "tick"], 30, tmp_path)
    held = lease(engine)
    assert held is not None
    leader, token = pid_of(held[0]), held[1]
    follower = next(process for pid, process in pids.items() if pid != leader)
    time.sleep(2)  # the follower keeps polling and must not take over from a live leader
    assert lease(engine) == held

    pids[leader].send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    pids[leader].wait(10)

    def taken_over() -> bool:
        now = lease(engine)
        return now is not None and now[0].endswith(f":{follower.pid}") and now[1] > token

    wait_for(taken_over, TAKEOVER_LIMIT, tmp_path)
    took = time.monotonic() - killed_at
    assert took < TAKEOVER_LIMIT
    assert jobs(engine) == ["audit:checkpoint", "tick"]  # the same jobs, none doubled
    survivor_port = first_port if follower is first else second_port
    assert healthy(survivor_port) and follower.poll() is None


def test_a_scheduled_start_is_made_up_at_takeover_and_starts_one_campaign(
    engine: Engine, replica: Replica, tmp_path: Path
) -> None:
    """A daily cycle whose start fell an hour ago (the bot was down): the first leader makes it up at once;
    after `kill -9` the new leader makes it up again, finds the period's campaign and starts nothing."""
    now = datetime.now(UTC)
    an_hour_ago = now - timedelta(hours=1)
    with Session(engine) as session:
        Department().store("payroll", "olu").user("ana").grant("ana", "payroll").sync(
            session, FrozenClock(now)
        )
        daily = {"cron": f"{an_hour_ago.minute} {an_hour_ago.hour} * * *", "timezone": "UTC"}
        store_cycle(session, cycle(name="daily", schedule=daily), now - timedelta(days=2))
    first, first_port = replica("first")
    second, second_port = replica("second")
    processes = {first.pid: (first, "first"), second.pid: (second, "second")}
    wait_for(lambda: healthy(first_port) and healthy(second_port), 60, tmp_path)
    wait_for(lambda: bool(campaigns(engine)) and leader_pid(engine) in processes, 30, tmp_path)
    killed = leader_pid(engine)
    assert killed is not None
    processes[killed][0].send_signal(signal.SIGKILL)
    processes[killed][0].wait(10)
    (survivor, name) = next(entry for pid, entry in processes.items() if pid != killed)

    made_up = tmp_path / f"{name}.log"
    wait_for(lambda: "already started" in made_up.read_text(errors="replace"), TAKEOVER_LIMIT + 10, tmp_path)
    assert leader_pid(engine) == survivor.pid
    assert campaigns(engine) == [(campaigns(engine)[0][0], 1)]  # one period, one campaign
    assert started_events(engine) == 1
    assert "already started" not in (tmp_path / f"{processes[killed][1]}.log").read_text(errors="replace")


BATCH = 12  # group members whose review nobody answers


def unfinished_revocations(engine: Engine) -> int:
    query = "SELECT count(*) FROM revocation WHERE read_back_at IS NULL AND state <> 'failed_permanent'"
    with engine.connect() as connection:
        return int(connection.execute(text(query)).scalar_one())


def test_a_revocation_batch_cut_by_kill_9_is_finished_by_the_new_leader_each_written_once(
    engine: Engine,
    postgresql_url: str,
    moto_server: str,
    replica: Replica,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The leader's tick applies approved revocations to AWS (moto behind a proxy that counts writes and
    slows them); it is killed mid-batch; the new leader's tick takes over the dead claim and the rest.
    AWS receives exactly one write per revocation and the group ends empty."""
    _seed_department()
    iam = boto3.client("iam")
    for number in range(BATCH - 1):  # and ana, seeded: BATCH members
        name = f"clerk{number:02d}"
        iam.create_user(UserName=name, Tags=[{"Key": "email", "Value": f"{name}@dept.example.gov"}])
        iam.add_user_to_group(GroupName="payroll-team", UserName=name)
    aws = {"RECERTIFY_AWS_IDENTITY_CENTER": "false", "RECERTIFY_AWS_LAST_ACCESSED": "false"}
    env = {"RECERTIFY_DATABASE_URL": postgresql_url, "RECERTIFY_ENTRA_ENABLED": "false", **aws}

    def cli(*args: str) -> str:
        result = run_cli(capsys, monkeypatch, *args, env=env | {"RECERTIFY_SLACK_ENABLED": "false"})
        assert result.code == 0, result.stderr
        return result.stdout

    cli("sync", "--source", "aws")
    (tmp_path / "cycle.yaml").write_text(CYCLE)
    cli("cycles", "apply", str(tmp_path / "cycle.yaml"))
    campaign = re.search(r"campaign (\d+):", cli("campaign", "start", "quarterly-personal-data"))
    assert campaign is not None
    shown = json.loads(cli("campaign", "show", campaign.group(1), "--format", "json"))
    for item in shown["items_detail"]:  # the owner revokes every one
        cli("campaign", "decide", str(item["item_id"]), "revoke", "--as", "olu@dept.example.gov")
    assert f"{BATCH} planned (awaiting approval)" in cli("campaign", "close", campaign.group(1), "--force")
    assert f"approved {BATCH}" in cli("revocations", "approve", "--campaign", campaign.group(1))

    remove = "RemoveUserFromGroup"
    with ThrottlingProxy(moto_server, delays={remove: 0.25}) as proxy:
        live = {
            **aws,
            "RECERTIFY_AWS_ENABLED": "true",
            "AWS_ENDPOINT_URL": proxy.url,
            "RECERTIFY_ENFORCEMENT_MODE": "live",
            "RECERTIFY_ENFORCEMENT_CLAIM_TIMEOUT_SECONDS": "2",  # a dead leader's claim, taken over soon
        }
        first, first_port = replica("first", **live)
        second, second_port = replica("second", **live)
        processes = {first.pid: first, second.pid: second}
        wait_for(lambda: proxy.count(remove) >= 3, 60, tmp_path)  # the leader is mid-batch
        killed = leader_pid(engine)
        assert killed in processes
        processes[killed].send_signal(signal.SIGKILL)
        processes[killed].wait(10)
        assert proxy.count(remove) < BATCH, "the batch finished before the kill: slow it down"
        wait_for(lambda: unfinished_revocations(engine) == 0, 60, tmp_path)
        survivor = next(process for pid, process in processes.items() if pid != killed)
        assert leader_pid(engine) == survivor.pid

    assert proxy.count(remove) == BATCH  # one write per revocation, none repeated by the new leader
    assert iam.get_group(GroupName="payroll-team")["Users"] == []
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT state, claimed_by FROM revocation")).all()
    assert len(rows) == BATCH
    assert {state for state, _ in rows} <= {"applied", "already_absent"}, rows
    workers = {pid_of(str(claimed_by)) for _, claimed_by in rows}
    assert workers == {killed, survivor.pid}  # both worked on the batch: the survivor finished it
