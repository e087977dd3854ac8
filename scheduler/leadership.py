"""Which replica schedules (DESIGN §5): one leader at a time, and a fencing token on everything it writes.

PostgreSQL: the leader holds a *session* advisory lock on a dedicated connection that stays open. If the
process dies (kill -9 included) its connection closes, PostgreSQL releases the lock, and a follower polling
`try_acquire()` takes over. Each acquisition bumps `scheduler_lease.token`; the leader remembers its token and
`fence(session)` checks it inside every transaction it writes, under a share lock on the lease row. A replica
that lost its lock without noticing (a network blip, a long pause) therefore cannot write after another took
over: the new leader's bump waits for the old leader's open fenced transactions, and every later fence by
the old leader sees a token that is not its own and raises `LeadershipLost`.

A pooler in transaction mode (PgBouncer `pool_mode = transaction`) hands each statement to whichever server
connection is free, so a session lock lands on a connection the leader no longer owns. PgBouncer hands a lone
client the server connection it just freed, so the dedicated connection's backend pid alone looks stable:
before its first lock, another connection of ours asks for its backend too, and getting the same one means
server sessions are shared. That, a backend that changes between statements and a lock not held are refused
with `LeadershipUnavailable`; a change seen by a liveness check ends the term. Tested against a real
PgBouncer in both modes (tests/scheduler/test_pgbouncer.py).

SQLite: one process owns the file (DESIGN §5), so leadership is always granted; there is no lock to hold.
The token is still bumped and fenced so that both backends run the same code. Should a second process open
the same file anyway, its acquisition bumps the token and the first process's writes fail their fence
instead of doubling up.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading

from sqlalchemy import Connection, Engine, Table, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from reviews.clock import SystemClock
from reviews.errors import RecertifyError
from reviews.ports import Clock
from reviews.storage.models import SchedulerLease

logger = logging.getLogger(__name__)

LEASE: Table = SQLModel.metadata.tables[str(SchedulerLease.__tablename__)]


class LeadershipLost(RecertifyError):
    """This replica no longer holds the scheduler lease: another replica took over, or ours was never won."""


class LeadershipUnavailable(RecertifyError):
    """Leadership cannot work on this database connection as configured (e.g. behind transaction pooling)."""


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def advisory_key(name: str) -> int:
    """The 64-bit key of `pg_try_advisory_lock` for a lease name: stable across versions and processes."""
    digest = hashlib.sha256(f"recertify:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def shared_session_problem(pid_here: int, pid_elsewhere: int) -> str | None:
    """Why the dedicated connection's server session is not its own, or None. Pure: `pid_here` is the
    dedicated connection's backend, `pid_elsewhere` the one another connection got right after it, before
    any lock is taken (so a refusal leaves no lock behind on a pooled server connection)."""
    if pid_here != pid_elsewhere:
        return None
    return _refusal(f"another connection got the same server session (backend {pid_here})")


def pooling_problem(pid_at_lock: int, pid_after: int, advisory_locks_held: int) -> str | None:
    """Why a session lock cannot be trusted on this connection, or None. Pure, so it can be tested without
    a pooler: the two backend pids come from consecutive statements on the dedicated connection, the count
    from `pg_locks` as seen by the second statement's backend."""
    if pid_at_lock != pid_after:
        return _refusal(
            f"the server session changed between two statements (backend {pid_at_lock}, then {pid_after})"
        )
    if advisory_locks_held < 1:
        return _refusal("the advisory lock just taken is not held by this session")
    return None


def _refusal(cause: str) -> str:
    return (
        f"the scheduler's leadership lock cannot work on this database connection: {cause}. A pooler in "
        "transaction mode (PgBouncer pool_mode = transaction) breaks PostgreSQL session locks; point "
        "[database] url at PostgreSQL directly or at a session-mode pool"
    )


class Leadership:
    """One candidate for the lease `name`. Thread-safe: the scheduler's supervisor and its job threads share
    it. Only `fence()` touches a caller's transaction; everything else uses the dedicated connection."""

    def __init__(
        self,
        engine: Engine,
        name: str = "scheduler",
        holder: str | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.engine = engine
        self.name = name
        self.holder = holder or default_holder()
        self._clock = clock or SystemClock()
        self._key = advisory_key(name)
        self._postgresql = engine.dialect.name == "postgresql"
        self._lock = threading.RLock()
        self._connection: Connection | None = None
        self._probed = False  # the dedicated connection's server session is known to be its own
        self._pid: int | None = None
        self._token: int | None = None

    @property
    def token(self) -> int | None:
        """The fencing token of our current term, None when not leading."""
        return self._token

    @property
    def backend_pid(self) -> int | None:
        """PostgreSQL backend of the dedicated connection while leading (None on SQLite)."""
        return self._pid

    def try_acquire(self) -> bool:
        """Become the leader if nobody is. True when we lead (already or now). Raises
        `LeadershipUnavailable` when the connection cannot carry a session lock."""
        with self._lock:
            if self._token is not None and self.is_leader():
                return True
            if not self._postgresql:
                with self.engine.begin() as connection:
                    self._token = self._bump(connection)
                logger.info(
                    "scheduler lease %s: %s leads (token %s, SQLite)", self.name, self.holder, self._token
                )
                return True
            try:
                return self._try_acquire_postgresql()
            except (OperationalError, InterfaceError) as exc:  # unreachable: retried at the next poll
                logger.warning(
                    "scheduler lease %s: database unreachable, will retry: %s", self.name, exc.orig
                )
                self._drop_connection()
                return False

    def _try_acquire_postgresql(self) -> bool:
        connection = self._dedicated_connection()
        if not self._probed:
            self._refuse_shared_sessions(connection)
            self._probed = True
        got, pid_at_lock = connection.execute(
            text("SELECT pg_try_advisory_lock(:key), pg_backend_pid()"), {"key": self._key}
        ).one()
        if not got:
            return False
        pid_after, held = connection.execute(
            text(
                "SELECT pg_backend_pid(), (SELECT count(*) FROM pg_locks "
                "WHERE locktype = 'advisory' AND pid = pg_backend_pid())"
            )
        ).one()
        problem = pooling_problem(pid_at_lock, pid_after, held)
        if problem is not None:
            self._drop_connection(unlock=True)
            raise LeadershipUnavailable(problem)
        try:
            token = self._bump(connection)
        except BaseException:
            self._drop_connection(unlock=True)
            raise
        self._pid, self._token = pid_at_lock, token
        logger.info(
            "scheduler lease %s: %s leads (token %s, backend %s)", self.name, self.holder, token, self._pid
        )
        return True

    def is_leader(self) -> bool:
        """Whether we still hold the lease. On PostgreSQL a round trip on the dedicated connection: if it
        died (server restart, pg_terminate_backend, network), PostgreSQL has released the lock, so we have
        lost it, whether or not another replica has taken it yet."""
        with self._lock:
            if self._token is None:
                return False
            if not self._postgresql:
                return True
            if self._connection is None:
                self._lose("its dedicated connection is gone")
                return False
            try:
                pid = self._connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            except DBAPIError as exc:
                self._lose(f"its database connection failed ({exc.orig})")
                return False
            if pid != self._pid:
                self._lose(
                    f"its server session changed (backend {self._pid}, now {pid}): transaction pooling?"
                )
                return False
            return True

    def fence(self, session: Session) -> int:
        """Call first in every transaction the leader writes with. Raises `LeadershipLost` unless the lease
        still carries our token; while the transaction lasts, a takeover's token bump waits for it. Returns
        the token (worth recording with what the transaction writes)."""
        token = self._token
        if token is None:
            raise LeadershipLost(f"{self.holder} does not hold the {self.name!r} scheduler lease")
        current = (
            session.connection()
            .execute(select(LEASE.c.token).where(LEASE.c.name == self.name).with_for_update(read=True))
            .scalar_one_or_none()
        )
        if current != token:
            raise LeadershipLost(
                f"{self.holder} lost the {self.name!r} scheduler lease: another replica took over "
                f"(lease token {current}, ours {token})"
            )
        return token

    def release(self) -> None:
        """Give the lease up (shutdown). Idempotent."""
        with self._lock:
            if self._token is not None:
                logger.info("scheduler lease %s: %s releases (token %s)", self.name, self.holder, self._token)
            self._token = self._pid = None
            self._drop_connection(unlock=True)

    # --- internals ---------------------------------------------------------------------------------------

    def _bump(self, connection: Connection) -> int:
        values = {"name": self.name, "token": 1, "holder": self.holder, "acquired_at": self._clock.now()}
        insert = pg_insert(LEASE) if self._postgresql else sqlite_insert(LEASE)
        statement = (
            insert.values(**values)
            .on_conflict_do_update(
                index_elements=[LEASE.c.name],
                set_={
                    "token": LEASE.c.token + 1,
                    "holder": insert.excluded.holder,
                    "acquired_at": insert.excluded.acquired_at,
                },
            )
            .returning(LEASE.c.token)
        )
        return int(connection.execute(statement).scalar_one())

    def _refuse_shared_sessions(self, connection: Connection) -> None:
        """Once per dedicated connection, before its first lock: raise `LeadershipUnavailable` when another
        connection gets the same server session (a pooler in transaction mode)."""
        pid_here = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with self.engine.connect() as other:
            pid_elsewhere = other.execute(text("SELECT pg_backend_pid()")).scalar_one()
        problem = shared_session_problem(pid_here, pid_elsewhere)
        if problem is not None:
            self._drop_connection()
            raise LeadershipUnavailable(problem)

    def _dedicated_connection(self) -> Connection:
        if self._connection is None:
            connection = self.engine.connect()
            connection.execution_options(isolation_level="AUTOCOMMIT")
            self._connection = connection
        return self._connection

    def _lose(self, why: str) -> None:
        logger.warning("scheduler lease %s: %s lost leadership: %s", self.name, self.holder, why)
        self._token = self._pid = None
        self._drop_connection()

    def _drop_connection(self, *, unlock: bool = False) -> None:
        """Close the dedicated connection for good. It is invalidated, never returned to the pool, so a
        session lock can never outlive our term on a connection someone else checks out."""
        connection, self._connection = self._connection, None
        self._probed = False
        if connection is None:
            return
        try:
            if unlock:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
        except DBAPIError:
            pass  # closing the connection below releases the lock anyway
        finally:
            connection.invalidate()
            connection.close()
