"""Verifying a long chain in worker processes, each walking contiguous ranges of seq (the comment above
`split_ranges` says how the ranges read one consistent chain)."""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from reviews.audit.chain import BASE, EVENTS, HEAD, ChainHead, _position, _threshold
from reviews.audit.rows import events_in_order
from reviews.audit.walk import _UNLINKED, _check_end, _check_rows, _check_start, _missing, _Walked
from reviews.storage.db import create_db_engine

# Verifying in parallel: from how many events (below, starting the worker processes costs more than it
# saves: on 2 cores, 2 workers took 1.0-1.2 s for 50,000 events against 0.7-1.1 s in one process, 1.3-1.7 s
# against 1.4-2.5 s for 100,000, 2.0-2.6 s against 3.0-4.5 s for 200,000), with at most how many processes,
# each given this many ranges in turn (smaller ranges even out workers slowed by other load, and a break
# found early cancels the ranges after it).
PARALLEL_FROM = 100_000
MAX_WORKERS = 8
RANGES_PER_WORKER = 4


def default_workers() -> int:
    """The processes a long chain is verified with: the CPUs this process may run on, at most MAX_WORKERS
    (each holds a database connection and the work is shared out by range, so more buys little)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS))


# -- verifying in parallel -----------------------------------------------------------------------------------
#
# The chain from the base to the last event is cut into contiguous ranges of seq, walked by worker processes
# (spawned, not forked: the caller may have threads and open connections), each with its own connection
# (`create_db_engine(url, read_only=True)`: a worker only reads, so it works under an auditor's read-only
# connection or SELECT-only role alike). A worker checks every event of its range against the one before it
# and against its hash, except the first event's seq and link, and returns where it started and ended
# (`_Walked`); `_link` then joins the ranges in order, from the base, exactly as one walk would, so every
# break is named as that walk names it.
#
# A consistent read (everything walked and compared is the chain as it was at one moment):
# - PostgreSQL: one REPEATABLE READ transaction of the parent exports its snapshot (`pg_export_snapshot()`)
#   and reads the base, the head row, the last seq and any event left below the base in it; every worker's
#   transaction imports that snapshot (`SET TRANSACTION SNAPSHOT`) before reading, and the parent keeps its
#   transaction open until the last worker is done. Appends and purges committed meanwhile are invisible to
#   all of them. (Rather than "up to a head read at the start": a purge deletes from the start of the chain,
#   so the chain is not append-only for a reader that takes several snapshots.)
# - SQLite cannot share a snapshot between connections. The parent reads the base, the head row and the
#   last seq in one statement (one snapshot), and the workers walk only up to that last seq: events are
#   only ever appended past it, so what they read is that moment's chain, and "events past the recorded
#   head" is decided in the same statement as the head. Only a purge committed during the walk (an admin's
#   `audit purge`, which deletes from the start) can make it report events missing; verifying again then
#   passes.
# (The single-process walk reads in the caller's session as it always has: the base, the events in one
# statement, then the head row; an append or a purge committed meanwhile can still make it report a break
# that verifying again does not.)


def split_ranges(after: int, through: int, parts: int) -> list[tuple[int, int]]:
    """`(after, through]` cut into at most `parts` contiguous ranges `(lo, hi]` of near-equal spans of seq."""
    span = through - after
    if span <= 0:
        return []
    parts = max(1, min(parts, span))
    return [(after + span * i // parts, after + span * (i + 1) // parts) for i in range(parts)]


def _shareable(session: Session) -> Engine | None:
    """The engine behind `session`, when other processes can open its database (not SQLite in memory)."""
    engine = session.get_bind().engine
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return engine
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return None if url.query.get("mode") == "memory" else engine
    return None


_STATE = (
    select(
        BASE.c.seq.label("base_seq"),
        BASE.c.hash.label("base_hash"),
        HEAD.c.seq.label("head_seq"),
        HEAD.c.hash.label("head_hash"),
        HEAD.c.digests_from.label("digests_from"),
        select(func.max(EVENTS.c.seq)).scalar_subquery().label("last_seq"),
        select(func.min(EVENTS.c.seq)).where(EVENTS.c.seq <= BASE.c.seq).scalar_subquery().label("leftover"),
    )
    .select_from(BASE.join(HEAD, HEAD.c.id == BASE.c.id))
    .where(BASE.c.id == 1)
)
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+-[0-9]+")


def _verify_in_parallel(
    engine: Engine, expect_head: str | None, expected: tuple[int | None, str | None], workers: int
) -> ChainHead:
    postgresql = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        if postgresql:
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = (
                connection.execute(select(func.pg_export_snapshot())).scalar_one() if postgresql else None
            )
            state = connection.execute(_STATE).one()
            start = _position(BASE.name, state.base_seq, state.base_hash)
            recorded = _position(HEAD.name, state.head_seq, state.head_hash)
            _check_start(start, expect_head, expected, state.leftover)
            ranges = split_ranges(start.seq, state.last_seq or 0, workers * RANGES_PER_WORKER)
            url = engine.url.render_as_string(hide_password=False)
            v2_from = _threshold(state.digests_from)
            walked = _walk_in_workers(url, snapshot, ranges, start, expected, workers, v2_from)
    return _check_end(start, walked, recorded, expect_head, expected)


def _walk_in_workers(
    url: str,
    snapshot: str | None,
    ranges: list[tuple[int, int]],
    start: ChainHead,
    expected: tuple[int | None, str | None],
    workers: int,
    v2_from: int,
) -> _Walked:
    if not ranges:
        return _Walked()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(ranges)), mp_context=spawn) as pool:
        parts = [pool.submit(_walk_range, url, snapshot, lo, hi, expected, v2_from) for lo, hi in ranges]
        try:
            return _link(start, (part.result() for part in parts))
        finally:
            pool.shutdown(cancel_futures=True)  # after a break, the ranges past it are not walked


def _walk_range(
    url: str,
    snapshot: str | None,
    after: int,
    through: int,
    expected: tuple[int | None, str | None],
    v2_from: int,
) -> _Walked:
    """In a worker process: walk the events in `(after, through]`, in the parent's snapshot if given."""
    # The process is ours and does nothing else: what it has loaded so far (modules, mostly) lives as long
    # as it does, so the collector need not traverse it again and again (~10% faster on PostgreSQL).
    gc.freeze()
    engine = create_db_engine(url, read_only=True)
    try:
        with engine.connect() as connection:
            if snapshot is not None:
                connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                if snapshot is not None:
                    if not _SNAPSHOT_ID.fullmatch(snapshot):
                        raise ValueError(f"not a snapshot id from pg_export_snapshot(): {snapshot!r}")
                    connection.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                rows = events_in_order(connection, after=after, through=through)
                return _check_rows(rows, None, expected, v2_from)
    finally:
        engine.dispose()


def _link(start: ChainHead, parts: Iterable[_Walked]) -> _Walked:
    """Join the ranges in order from the base: each range's first event must be the next seq and link to
    the previous range's last event, as in one walk; the first break, in seq order, is the chain's."""
    last, seen, last_purge = start, False, None
    for part in parts:
        if part.first_seq is None:
            continue  # no events in that range: the next range's first event must still be last.seq + 1
        if part.first_seq != last.seq + 1:
            return _Walked(broken=(last.seq + 1, _missing(part.first_seq)))
        if part.first_prev != last.hash:
            return _Walked(broken=(last.seq + 1, part.first_malformed or _UNLINKED))
        if part.broken is not None:
            return _Walked(broken=part.broken)
        last = part.last(last)
        seen = seen or part.seen_expected
        last_purge = part.last_purge or last_purge
    return _Walked(last_seq=last.seq, last_hash=last.hash, seen_expected=seen, last_purge=last_purge)
