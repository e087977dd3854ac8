"""Two real replicas on one PostgreSQL: only the leader's job writes; kill -9 the leader and the other
takes over within seconds (DESIGN §5). The replicas are `tests.scheduler.worker` processes."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from reviews.storage.db import create_db_engine
from tests.helpers import stop_processes
from tests.scheduler.targets import calls, create_calls_table

ROOT = Path(__file__).resolve().parents[2]
TAKEOVER_LIMIT = 30.0  # seconds; with a 0.5 s poll it takes about one poll plus a scheduler start
logger = logging.getLogger(__name__)


@pytest.fixture
def pg_engine(postgresql_url: str) -> Iterator[Engine]:
    engine = create_db_engine(postgresql_url)
    create_calls_table(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def replicas(postgresql_url: str, tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(holder: str) -> subprocess.Popen[bytes]:
        with (tmp_path / f"{holder}.log").open("wb") as log:  # the child keeps its own descriptor
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.scheduler.worker", postgresql_url, holder],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        return process

    yield start
    stop_processes(started, grace=10)


def _logs(tmp_path: Path) -> str:
    return "\n".join(path.read_text(errors="replace") for path in sorted(tmp_path.glob("*.log")))


def _wait_for(condition: Callable[[], bool], timeout: float, tmp_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out; replica logs:\n" + _logs(tmp_path)
        time.sleep(0.05)


def test_one_replica_writes_and_another_takes_over_after_kill_9(
    pg_engine: Engine, replicas: Callable[[str], subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    processes = {holder: replicas(holder) for holder in ("replica-a", "replica-b")}
    _wait_for(lambda: _logs(tmp_path).count("started, leading") == 2, 15, tmp_path)
    _wait_for(lambda: len(calls(pg_engine)) >= 3, 5, tmp_path)
    holders = {row.holder for row in calls(pg_engine)}
    assert len(holders) == 1, holders
    (leader,) = holders
    (follower,) = set(processes) - holders
    assert f"{leader} " in _logs(tmp_path) and "leading: True" in _logs(tmp_path)

    processes[leader].kill()  # SIGKILL: no shutdown, no release; PostgreSQL drops its session
    killed_at = time.time()
    processes[leader].wait()
    _wait_for(lambda: any(row.holder == follower for row in calls(pg_engine)), TAKEOVER_LIMIT, tmp_path)
    first = min(row.at for row in calls(pg_engine) if row.holder == follower)
    logger.info("takeover after kill -9: %.2f s", first - killed_at)
    assert first - killed_at < TAKEOVER_LIMIT
    _wait_for(lambda: sum(row.holder == follower for row in calls(pg_engine)) >= 3, 5, tmp_path)

    rows = calls(pg_engine)
    assert max(row.at for row in rows if row.holder == leader) <= killed_at
    tokens = {row.holder: row.token for row in rows}
    assert tokens[follower] == tokens[leader] + 1
    # rows are in insertion order: the leader's, then the follower's, never interleaved
    order = [row.holder for row in rows]
    assert order == sorted(order, key=lambda holder: holder == follower)
