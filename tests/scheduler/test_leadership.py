"""One leader per lease, and a fencing token that stops a replica that lost its lease from writing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from reviews.storage.db import create_db_engine
from reviews.storage.models import SchedulerLease
from scheduler.leadership import (
    Leadership,
    LeadershipLost,
    advisory_key,
    pooling_problem,
    shared_session_problem,
)
from tests.conftest import Backends


@pytest.fixture
def pg_engine(postgresql_url: str) -> Iterator[Engine]:
    engine = create_db_engine(postgresql_url)
    yield engine
    engine.dispose()


def _lease(engine: Engine) -> SchedulerLease:
    with Session(engine) as session:
        return session.exec(select(SchedulerLease)).one()


def _terminate(engine: Engine, pid: int | None) -> None:
    """What a crash, a failover or an operator does to the leader's connection."""
    assert pid is not None
    with engine.connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
        admin.commit()
        deadline = (
            time.monotonic() + 5
        )  # the signal is sent at once; the backend exits (and unlocks) soon after
        while admin.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).scalar():
            assert time.monotonic() < deadline, "the backend did not exit"
            admin.rollback()  # a fresh snapshot of pg_stat_activity
            time.sleep(0.01)


def test_the_leader_bumps_the_token_and_its_fence_passes(engine: Engine) -> None:
    leadership = Leadership(engine, holder="host:1")
    assert not leadership.is_leader()
    with Session(engine) as session, pytest.raises(LeadershipLost, match="does not hold"):
        leadership.fence(session)

    assert leadership.try_acquire()
    assert leadership.is_leader() and leadership.token == 1
    assert leadership.try_acquire() and leadership.token == 1  # leading already: no new term
    with Session(engine) as session:
        assert leadership.fence(session) == 1
    lease = _lease(engine)
    assert (lease.name, lease.token, lease.holder) == ("scheduler", 1, "host:1")

    leadership.release()
    assert not leadership.is_leader()
    assert leadership.try_acquire() and leadership.token == 2  # a new term, a new token
    leadership.release()


def test_exactly_one_postgresql_replica_leads_until_its_connection_dies(pg_engine: Engine) -> None:
    first, second = Leadership(pg_engine, holder="first"), Leadership(pg_engine, holder="second")
    assert first.try_acquire()
    assert not second.try_acquire() and not second.try_acquire()
    assert first.is_leader() and not second.is_leader()
    token = first.token
    assert token is not None

    _terminate(pg_engine, first.backend_pid)

    assert second.try_acquire()
    assert second.token == token + 1
    assert _lease(pg_engine).holder == "second"
    # The old leader has not checked yet: it still believes it leads, and its writes are refused.
    with Session(pg_engine) as session, pytest.raises(LeadershipLost, match="another replica took over"):
        first.fence(session)
    with Session(pg_engine) as session:
        assert second.fence(session) == token + 1
    assert not first.is_leader()  # it notices on its next check
    with Session(pg_engine) as session, pytest.raises(LeadershipLost):
        first.fence(session)
    assert not first.try_acquire()  # and becomes a follower
    second.release()
    assert first.try_acquire() and first.token == token + 2
    first.release()
    second.release()


def test_a_takeover_waits_for_the_old_leaders_fenced_transaction(pg_engine: Engine) -> None:
    """The race fencing exists for: the old leader fenced its transaction before losing the lock. Either
    that transaction commits before the new term starts, or its fence fails; never both terms writing."""
    old, new = Leadership(pg_engine, holder="old"), Leadership(pg_engine, holder="new")
    assert old.try_acquire()
    with Session(pg_engine) as session:
        old.fence(session)
        _terminate(pg_engine, old.backend_pid)  # the lock is gone, the fenced transaction is not
        acquired: list[bool] = []
        takeover = threading.Thread(target=lambda: acquired.append(new.try_acquire()))
        takeover.start()
        time.sleep(0.3)
        assert takeover.is_alive() and not acquired  # the token bump waits for our commit
        session.commit()
    takeover.join(5)
    assert acquired == [True] and new.token == 2
    with Session(pg_engine) as session, pytest.raises(LeadershipLost):
        old.fence(session)
    new.release()
    old.release()


def test_release_hands_the_lock_over_at_once(pg_engine: Engine) -> None:
    first, second = Leadership(pg_engine, holder="first"), Leadership(pg_engine, holder="second")
    assert first.try_acquire() and not second.try_acquire()
    first.release()
    first.release()  # idempotent
    assert second.try_acquire() and second.token == 2
    second.release()
    first.release()


def test_leases_with_different_names_are_independent(pg_engine: Engine) -> None:
    assert advisory_key("scheduler") != advisory_key("reports")
    assert advisory_key("scheduler") == advisory_key("scheduler")
    one, other = Leadership(pg_engine, "scheduler"), Leadership(pg_engine, "reports")
    assert one.try_acquire() and other.try_acquire()
    one.release()
    other.release()


def test_sqlite_always_grants_leadership_and_still_fences(backends: Backends, tmp_path: Path) -> None:
    """SQLite serves one process, so there is no lock to hold; the token makes a second process on the
    same file (a misconfiguration) fence out the first instead of both writing."""
    engine = create_db_engine(backends.migrated("sqlite", tmp_path))
    first, second = Leadership(engine, holder="first"), Leadership(engine, holder="second")
    assert first.try_acquire() and first.is_leader() and first.backend_pid is None
    with Session(engine) as session:
        assert first.fence(session) == 1
    assert second.try_acquire() and second.token == 2
    with Session(engine) as session, pytest.raises(LeadershipLost):
        first.fence(session)
    with Session(engine) as session:
        assert second.fence(session) == 2
    engine.dispose()


def test_a_healthy_session_is_trusted() -> None:
    assert shared_session_problem(pid_here=41, pid_elsewhere=42) is None
    assert pooling_problem(pid_at_lock=41, pid_after=41, advisory_locks_held=1) is None
    assert pooling_problem(pid_at_lock=41, pid_after=41, advisory_locks_held=3) is None


def test_a_server_session_shared_with_another_connection_is_refused_with_a_way_out() -> None:
    """What a real PgBouncer in transaction mode shows (tests/scheduler/test_pgbouncer.py): a lone client's
    backend looks stable, but another connection is handed the very same one."""
    problem = shared_session_problem(pid_here=41, pid_elsewhere=41)
    assert problem is not None
    assert "another connection got the same server session (backend 41)" in problem
    assert "PgBouncer pool_mode = transaction" in problem and "directly" in problem


@pytest.mark.parametrize(
    ("pid_after", "held", "cause"),
    [
        (42, 1, "session changed between two statements (backend 41, then 42)"),
        (42, 0, "session changed"),
        (41, 0, "not held by this session"),
    ],
)
def test_transaction_pooling_is_refused_with_a_way_out(pid_after: int, held: int, cause: str) -> None:
    """The decision is pure; tests/scheduler/test_pgbouncer.py runs `serve` behind a real PgBouncer."""
    problem = pooling_problem(pid_at_lock=41, pid_after=pid_after, advisory_locks_held=held)
    assert problem is not None
    assert cause in problem
    assert "PgBouncer pool_mode = transaction" in problem and "directly" in problem
