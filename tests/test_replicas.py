"""Two `recertify serve --http` replicas on one PostgreSQL, as an operator runs them: both serve Slack,
exactly one schedules; `kill -9` of that one and the other takes over within 30 s, with the same jobs, none
doubled (DESIGN §5); a cycle's scheduled start is made up at takeover and still starts one campaign.
Revocations are fenced by the lease token and claimed once (tests/scheduler, tests/test_outbox_crash.py)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from reviews.clock import FrozenClock
from reviews.db import create_db_engine
from tests.campaigns.world import Department, cycle, store_cycle
from tests.helpers import stop_processes

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


@pytest.fixture
def replica(
    postgresql_url: str, tmp_path: Path
) -> Iterator[Callable[[str], tuple[subprocess.Popen[bytes], int]]]:
    started: list[subprocess.Popen[bytes]] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECERTIFY_", "SLACK_"))}
    env |= {
        "RECERTIFY_DATABASE_URL": postgresql_url,
        "RECERTIFY_AWS_ENABLED": "false",
        "RECERTIFY_ENTRA_ENABLED": "false",
        "RECERTIFY_SLACK_API_URL": "http://127.0.0.1:9/api/",  # never reached: nothing to send
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
    }

    def start(name: str) -> tuple[subprocess.Popen[bytes], int]:
        port = free_port()
        script = Path(sys.executable).with_name("recertify")
        with (tmp_path / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(  # noqa: S603
                [str(script), "serve", "--http", str(port)], cwd=tmp_path, env=env, stdout=log, stderr=log
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


def leader_pid(engine: Engine) -> int | None:
    held = lease(engine)
    return int(held[0].rsplit(":", 1)[1]) if held else None


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
    engine: Engine, replica: Callable[[str], tuple[subprocess.Popen[bytes], int]], tmp_path: Path
) -> None:
    first, first_port = replica("first")
    second, second_port = replica("second")
    wait_for(lambda: healthy(first_port) and healthy(second_port), 60, tmp_path)
    pids = {first.pid: first, second.pid: second}
    wait_for(
        lambda: (held := lease(engine)) is not None and int(held[0].rsplit(":", 1)[1]) in pids, 30, tmp_path
    )
    wait_for(lambda: jobs(engine) == ["audit:checkpoint", "tick"], 30, tmp_path)
    held = lease(engine)
    assert held is not None
    leader_pid, token = int(held[0].rsplit(":", 1)[1]), held[1]
    follower = next(process for pid, process in pids.items() if pid != leader_pid)
    time.sleep(2)  # the follower keeps polling and must not take over from a live leader
    assert lease(engine) == held

    pids[leader_pid].send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    pids[leader_pid].wait(10)

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
    engine: Engine, replica: Callable[[str], tuple[subprocess.Popen[bytes], int]], tmp_path: Path
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
