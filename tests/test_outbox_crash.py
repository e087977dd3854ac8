"""TESTING.md, Faults: `kill -9` at any point of a revocation batch → after restart every planned
revocation took effect exactly once.

A worker process (tests/outbox_worker.py) executes approved revocations against a file-backed fake
provider, which survives the kill and logs every write call it receives. The test SIGKILLs it at a random
moment after it starts working, starts another, and so on; when a batch is finished it seeds the next, so
every kill lands in the middle of work. Claims left by a killed worker expire (0.5 s) and are taken over.
Finally one worker runs to completion. Then every revocation is read back (or found already absent by a
worker that took over after the write), no membership is left, and the provider received exactly one
write per revocation.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.clock import SystemClock
from reviews.storage.models import Revocation, RevocationState
from tests.fakes.provider import REMOVE_MEMBER
from tests.outbox_worker import unfinished
from tests.test_outbox import GROUP, Outbox, arn

ROOT = Path(__file__).resolve().parent.parent
KILLS = 25
BATCH = 20
MAX_KILL_DELAY = 0.25  # seconds after the worker starts working
S = RevocationState


def _start(database_url: str, provider: Path, ready: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as stderr:
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.outbox_worker", database_url, str(provider), "--ready", str(ready)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert worker.poll() is None, f"worker died before starting: {log.read_text()}"
        assert time.monotonic() < deadline, "worker never became ready"
        time.sleep(0.005)
    return worker


def test_kill_9_anywhere_in_a_batch_then_every_revocation_took_effect_exactly_once(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    rng = random.Random(20260301)  # noqa: S311  (kill timing, not secrets)
    provider_file = tmp_path / "provider.sqlite"
    outbox = Outbox(engine, SystemClock(), provider_path=provider_file)
    names: list[str] = []
    kills = rounds = 0
    while kills < KILLS:
        if unfinished(engine) == 0:
            batch = [f"user{len(names) + i:03d}" for i in range(BATCH)]
            outbox.revocations(batch)
            names += batch
        rounds += 1
        log = tmp_path / f"worker{rounds}.err"
        worker = _start(database_url, provider_file, tmp_path / f"ready{rounds}", log)
        time.sleep(rng.uniform(0, MAX_KILL_DELAY))
        if worker.poll() is None:
            worker.kill()  # SIGKILL: no cleanup, no rollback but the database's own
            worker.wait()
            kills += 1
        else:
            assert worker.returncode == 0, log.read_text()

    final_log = tmp_path / "final.err"
    final = _start(database_url, provider_file, tmp_path / "ready-final", final_log)
    assert final.wait(timeout=90) == 0, final_log.read_text()

    with Session(engine) as session:
        rows = session.exec(select(Revocation)).all()
    assert len(rows) == len(names)
    states = Counter(row.state for row in rows)
    assert set(states) <= {S.APPLIED, S.ALREADY_ABSENT}, states
    assert all(row.read_back_at is not None for row in rows)
    assert all(row.attempts > 1 for row in rows if row.state == S.ALREADY_ABSENT)
    assert any(row.attempts > 1 for row in rows), "no kill landed between a claim and its outcome"
    assert outbox.provider.members(GROUP) == set()
    writes = Counter((w.kind, w.group, w.principal) for w in outbox.provider.writes())
    assert writes == Counter({(REMOVE_MEMBER, GROUP, arn(name)): 1 for name in names})
    outbox.chain_intact()
