"""Scheduler takeover: how long after `kill -9` of the scheduling replica another one holds the lease.

    .venv/bin/python -m bench.takeover               # 5 kills, a new PostgreSQL database on 127.0.0.1:5432
    .venv/bin/python -m bench.takeover --kills 10    #   (dropped after, also on failure)

As an operator runs replicas (tests/test_replicas.py): a new database, `recertify db upgrade`, then two
`recertify serve --http PORT` processes (the installed console script), configured by the environment only
(the database, AWS and Entra off, a Slack API URL that is never reached, a bot token and signing secret; no
inherited RECERTIFY_* or SLACK_* variable). Once both answer /healthz and one holds the lease (table
`scheduler_lease`, holder 'host:pid', a token bumped at every acquisition), each round: SIGKILL to the
holder, then the lease is read every 50 ms until a live replica holds it with a higher token; the time from
the signal to that read is the takeover. A fresh replica then replaces the killed one and is waited for
(/healthz, which answers once its scheduler runs), so every round is a leader and one standing-by follower.
A follower tries the lock when its scheduler starts, then every 5 s (scheduler.service's default poll), and
PostgreSQL releases a dead session's advisory lock as soon as its connection closes. Each kill comes right
after the follower's first try (/healthz turns green just after it, and the first leader is the replica
that started first), so each takeover lands near the worst case, one whole poll: about 5 s.

Target (issue 8): the other replica takes over within 30 s. Exit status 1 when a takeover misses it or
fails; every replica started is stopped on exit.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import psycopg

from bench.demo import count_argument
from bench.slack import healthy

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_S = 30.0
GIVE_UP_S = 120.0  # a takeover slower than this is reported as failed
POLL_S = 0.05
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # noqa: S105  (a benchmark signing secret)


class BenchFailed(Exception):
    """A replica did not start, or no replica took the lease over in time."""


@dataclass
class Replica:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Replicas:
    """The replicas this benchmark started, each logging to its own file in `logs`."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.started: list[Replica] = []

    def start(self, name: str) -> Replica:
        port = free_port()
        script = Path(sys.executable).with_name("recertify")
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603  (our own script, fixed arguments)
                [str(script), "serve", "--http", str(port)],
                cwd=self.logs,
                env=self.env,
                stdout=out,
                stderr=out,
            )
        replica = Replica(name, process, port, log)
        self.started.append(replica)
        return replica

    def wait_healthy(self, replicas: list[Replica], timeout: float) -> float:
        """Seconds until every one answers /healthz."""
        started = time.monotonic()
        self.wait_for(lambda: all(healthy(r.port) for r in replicas), timeout, "/healthz", replicas)
        return time.monotonic() - started

    def wait_for(self, check: Callable[[], bool], timeout: float, what: str, watched: list[Replica]) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            dead = [r.name for r in watched if r.process.poll() is not None]
            if dead or time.monotonic() > deadline:
                cause = f"{', '.join(dead)} exited" if dead else f"timed out after {timeout:.0f} s"
                raise BenchFailed(f"waiting for {what}: {cause}\n{self.tails()}")
            time.sleep(POLL_S)

    def tails(self) -> str:
        return "\n".join(
            f"--- {r.name} (pid {r.process.pid}) log tail:\n{r.log.read_text(errors='replace')[-2000:]}"
            for r in self.started
        )

    def stop_all(self) -> None:
        """SIGTERM to every one still running, then SIGKILL after 15 s."""
        for replica in self.started:
            if replica.process.poll() is None:
                replica.process.send_signal(signal.SIGTERM)
        for replica in self.started:
            try:
                replica.process.wait(15)
            except subprocess.TimeoutExpired:
                replica.process.kill()
                replica.process.wait()


def lease(connection: psycopg.Connection[tuple[object, ...]]) -> tuple[int, int] | None:
    """(holder's pid, token) of the scheduler lease, or None before anyone took it."""
    row = connection.execute("SELECT holder, token FROM scheduler_lease WHERE name = 'scheduler'").fetchone()
    return (int(str(row[0]).rsplit(":", 1)[1]), int(str(row[1]))) if row else None


@contextmanager
def database() -> Iterator[str]:
    """A new database on 127.0.0.1:5432 (its name), dropped after."""
    name = f"bench_takeover_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(name: str, kills: int, logs: Path) -> list[float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECERTIFY_", "SLACK_"))}
    env |= {
        "RECERTIFY_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
        "RECERTIFY_AWS_ENABLED": "false",
        "RECERTIFY_ENTRA_ENABLED": "false",
        "RECERTIFY_SLACK_API_URL": "http://127.0.0.1:9/api/",  # never reached: nothing to send
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
    }
    script = Path(sys.executable).with_name("recertify")
    upgraded = subprocess.run(  # noqa: S603  (our own script, fixed arguments)
        [str(script), "db", "upgrade"], cwd=logs, env=env, capture_output=True, text=True, check=False
    )
    if upgraded.returncode != 0:
        raise BenchFailed(f"recertify db upgrade exited {upgraded.returncode}:\n{upgraded.stderr[-3000:]}")
    replicas = Replicas(env, logs)
    times: list[float] = []
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}", autocommit=True) as db:
            live = {r.process.pid: r for r in (replicas.start("replica-1"), replicas.start("replica-2"))}
            took = replicas.wait_healthy(list(live.values()), 60)
            replicas.wait_for(
                lambda: (held := lease(db)) is not None and held[0] in live,
                30,
                "a leader",
                list(live.values()),
            )
            first = lease(db)
            assert first is not None
            print(f"2 replicas healthy in {took:.1f} s; {live[first[0]].name} leads", flush=True)
            for number in range(1, kills + 1):
                held = lease(db)
                assert held is not None and held[0] in live
                leader_pid, token = held
                leader = live.pop(leader_pid)
                leader.process.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                leader.process.wait(10)

                def taken_over(token: int = token) -> bool:
                    now = lease(db)
                    return now is not None and now[0] in live and now[1] > token

                replicas.wait_for(taken_over, GIVE_UP_S, "the takeover", list(live.values()))
                took = time.monotonic() - killed_at
                times.append(took)
                new_pid, new_token = lease(db) or (0, 0)
                replacement = replicas.start(f"replica-{number + 2}")
                live[replacement.process.pid] = replacement
                ready = replicas.wait_healthy([replacement], 60)
                print(
                    f"kill {number}: {leader.name} (pid {leader_pid}, token {token}) killed; "
                    f"{live[new_pid].name} (pid {new_pid}) took over with token {new_token} in {took:.2f} s "
                    f"[{'ok' if took <= TARGET_S else 'MISSED'}]; {replacement.name} healthy {ready:.1f} s "
                    "after its start",
                    flush=True,
                )
    finally:
        replicas.stop_all()
    return times


def main() -> None:
    kills = count_argument(__doc__, "--kills", 5, "leaders to kill, one after the other")

    def terminated(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # through the finally blocks: replicas stopped, database dropped

    signal.signal(signal.SIGTERM, terminated)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-takeover-") as tmp, database() as name:
            times = measure(name, kills, Path(tmp))
    except BenchFailed as exc:
        print(f"FAILED: {exc}")
        raise SystemExit(1) from None
    good = max(times) <= TARGET_S
    print(
        f"takeover after kill -9 of the leader, {len(times)} kills: min {min(times):.2f} s, "
        f"median {statistics.median(times):.2f} s, max {max(times):.2f} s; target ≤ {TARGET_S:.0f} s "
        f"[{'ok' if good else 'MISSED'}]"
    )
    if not good:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
