"""Verifying in parallel (reviews.audit: worker processes walk ranges of seq, the parent links them) finds
exactly what one walk finds: the same head, or the same break named at the same sequence number.

Each test forces the parallel path on a small chain (`parallel_from=0`, two workers, so eight ranges of five
events over a chain of 40: `audit.split_ranges`) and compares it with the single-process walk (`workers=1`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.engine import make_url
from sqlmodel import Session

from reviews import audit
from reviews.clock import FrozenClock
from reviews.errors import AuditChainBroken, InvalidArgument
from reviews.storage.db import create_db_engine
from tests.helpers import T0
from tests.test_audit import _purge_through

EVENTS = 40
WORKERS = 2
RANGES = audit.split_ranges(0, EVENTS, WORKERS * audit.RANGES_PER_WORKER)
SECOND = RANGES[1]  # (5, 10]

Outcome = audit.ChainHead | tuple[int, str]


def _fill(session: Session, count: int = EVENTS) -> audit.ChainHead:
    events = [
        audit.NewEvent(
            "person:ana@dept.example.gov",
            "decision.recorded",
            f"item:{i}",
            {"outcome": "keep", "n": i, "note": "zoë + 100% ✓", "score": 0.25, "path": [{"k": i}]},
        )
        for i in range(1, count + 1)
    ]
    head = audit.append_many(session, events, clock=FrozenClock(T0))
    session.commit()
    return head


def _outcome(session: Session, **kwargs: Any) -> Outcome:
    try:
        return audit.verify(session, **kwargs)
    except AuditChainBroken as exc:
        return (exc.seq, exc.reason)


def _both_ways(session: Session, **kwargs: Any) -> Outcome:
    """The outcome of the parallel path, asserted equal to the single-process walk's."""
    single = _outcome(session, workers=1, **kwargs)
    with mock.patch.object(
        audit.parallel, "_verify_in_parallel", wraps=audit.parallel._verify_in_parallel
    ) as spy:
        parallel = _outcome(session, workers=WORKERS, parallel_from=0, **kwargs)
    assert spy.call_count == 1  # it really took the parallel path
    assert parallel == single
    return parallel


def _hash(session: Session, seq: int) -> str:
    return str(session.execute(text("SELECT hash FROM audit_event WHERE seq = :s"), {"s": seq}).scalar_one())


def _sql(statement: str) -> Callable[[Session], None]:
    def tamper(session: Session) -> None:
        session.execute(text(statement))
        session.commit()

    return tamper


def _alter_payload(seq: int) -> Callable[[Session], None]:
    def tamper(session: Session) -> None:
        payload = session.execute(text("SELECT payload FROM audit_event WHERE seq = :s"), {"s": seq}).scalar()
        payload = json.loads(payload) if isinstance(payload, str) else payload
        payload["outcome"] = "kiep"
        session.execute(
            text("UPDATE audit_event SET payload = :p WHERE seq = :s"), {"p": json.dumps(payload), "s": seq}
        )
        session.commit()

    return tamper


def _swap(a: int, b: int) -> Callable[[Session], None]:
    def tamper(session: Session) -> None:
        session.execute(text("UPDATE audit_event SET seq = -1 WHERE seq = :a"), {"a": a})
        session.execute(text("UPDATE audit_event SET seq = :a WHERE seq = :b"), {"a": a, "b": b})
        session.execute(text("UPDATE audit_event SET seq = :b WHERE seq = -1"), {"b": b})
        session.commit()

    return tamper


def _relink(seq: int, to: int) -> Callable[[Session], None]:
    """Event `seq` made to follow event `to` instead, its hash recomputed: sound on its own, it no longer
    links to the event before it (at a range's start, only the linking of ranges can tell)."""

    def tamper(session: Session) -> None:
        row = session.execute(select(audit.EVENTS).where(audit.EVENTS.c.seq == seq)).one()
        prev = _hash(session, to)
        forged = audit.event_hash(seq, row.occurred_at, row.actor, row.kind, row.subject, row.payload, prev)
        session.execute(
            update(audit.EVENTS).where(audit.EVENTS.c.seq == seq).values(prev_hash=prev, hash=forged)
        )
        session.commit()

    return tamper


def test_the_ranges_are_contiguous_and_cover_the_chain() -> None:
    assert RANGES[0][0] == 0 and RANGES[-1][1] == EVENTS and len(RANGES) == WORKERS * audit.RANGES_PER_WORKER
    assert all(a[1] == b[0] for a, b in zip(RANGES, RANGES[1:], strict=False))
    assert audit.split_ranges(7, 7, 8) == [] and audit.split_ranges(7, 9, 8) == [(7, 8), (8, 9)]


def test_an_intact_chain_verifies_in_parallel(session: Session) -> None:
    head = _fill(session)
    assert _both_ways(session) == head
    assert _both_ways(session, expect_head=str(head)) == head
    assert _both_ways(session, expect_head=_hash(session, 17)) == head
    assert audit.verify(session, workers=WORKERS, parallel_from=EVENTS) == head  # at the threshold
    assert audit.verify(session, workers=WORKERS, parallel_from=EVENTS + 1) == head  # below: one process


def test_an_empty_chain_verifies_in_parallel(session: Session) -> None:
    assert _both_ways(session) == audit.ChainHead(0, audit.GENESIS_HASH)


@pytest.mark.parametrize(
    ("tamper", "first_bad", "reason"),
    [
        (_alter_payload(8), 8, "content does not match its hash"),  # the middle of the 2nd range
        (_sql("UPDATE audit_event SET actor = 'cli:mallory' WHERE seq = 6"), 6, "content does not match"),
        (_sql("DELETE FROM audit_event WHERE seq = 5"), 5, "event missing (next present is 6)"),  # range end
        (
            _sql("DELETE FROM audit_event WHERE seq = 6"),
            6,
            "event missing (next present is 7)",
        ),  # range start
        (_sql("DELETE FROM audit_event WHERE seq BETWEEN 6 AND 10"), 6, "event missing (next present is 11)"),
        (_sql("DELETE FROM audit_event WHERE seq BETWEEN 4 AND 12"), 4, "event missing (next present is 13)"),
        (_swap(5, 6), 5, "does not link to the event before it"),  # across a boundary
        (_relink(6, 4), 6, "does not link to the event before it"),  # the first of the 2nd range
        (_relink(8, 4), 8, "does not link to the event before it"),
        (_swap(8, 9), 8, "does not link to the event before it"),
        (_sql("DELETE FROM audit_event WHERE seq >= 36"), 36, "events 36..40 are missing (truncated)"),
        (_sql("DELETE FROM audit_event WHERE seq >= 31"), 31, "events 31..40 are missing (truncated)"),
    ],
    ids=[
        "altered-mid-2nd-range",
        "altered-first-of-2nd-range",
        "deleted-last-of-a-range",
        "deleted-first-of-a-range",
        "deleted-a-whole-range",
        "deleted-across-ranges",
        "swapped-across-a-boundary",
        "relinked-first-of-a-range",
        "relinked-mid-range",
        "swapped-inside-a-range",
        "truncated-last-range",
        "truncated-two-ranges",
    ],
)
def test_a_break_is_named_as_one_walk_names_it(
    session: Session, tamper: Callable[[Session], None], first_bad: int, reason: str
) -> None:
    assert SECOND == (5, 10)
    _fill(session)
    tamper(session)
    seq, found = _both_ways(session)  # type: ignore[misc]
    assert seq == first_bad and reason in found


def _malformed_prev_hash(seq: int) -> Callable[[Session], None]:
    """Event `seq`'s prev_hash made not hex, its hash recomputed over it: its own hash checks out, so at a
    range's start only the linking of ranges can tell, and it must name the field as one walk does."""

    def tamper(session: Session) -> None:
        row = session.execute(select(audit.EVENTS).where(audit.EVENTS.c.seq == seq)).one()
        forged = audit.event_hash(seq, row.occurred_at, row.actor, row.kind, row.subject, row.payload, "zz")
        session.execute(
            update(audit.EVENTS).where(audit.EVENTS.c.seq == seq).values(prev_hash="zz", hash=forged)
        )
        session.commit()

    return tamper


def _unreadable_time(seq: int) -> Callable[[Session], None]:
    """A time the driver cannot decode: text on SQLite, infinity on PostgreSQL (a time Python cannot hold)."""

    def tamper(session: Session) -> None:
        value = "yesterday" if session.get_bind().dialect.name == "sqlite" else "infinity"
        session.execute(
            text("UPDATE audit_event SET occurred_at = :t WHERE seq = :s"), {"t": value, "s": seq}
        )
        session.commit()

    return tamper


@pytest.mark.parametrize(
    ("tamper", "first_bad", "reason"),
    [
        (_sql("UPDATE audit_event SET hash = 'zz' WHERE seq = 6"), 6, "hash is not 64 hexadecimal digits"),
        (
            _sql("UPDATE audit_event SET payload = '[6]' WHERE seq = 8"),
            8,
            "payload is not a JSON object ([6])",
        ),
        (_malformed_prev_hash(6), 6, "prev_hash is not 64 hexadecimal digits ('zz')"),
        (_malformed_prev_hash(8), 8, "prev_hash is not 64 hexadecimal digits ('zz')"),
        (_unreadable_time(6), 6, "occurred_at is not a time"),
        (_unreadable_time(8), 8, "occurred_at is not a time"),
    ],
    ids=[
        "hash-first-of-a-range",
        "payload-mid-range",
        "prev-hash-first-of-a-range",
        "prev-hash-mid-range",
        "unreadable-time-first-of-a-range",
        "unreadable-time-mid-range",
    ],
)
def test_a_malformed_event_is_named_as_one_walk_names_it(
    session: Session, tamper: Callable[[Session], None], first_bad: int, reason: str
) -> None:
    _fill(session)
    tamper(session)
    seq, found = _both_ways(session)  # type: ignore[misc]
    assert seq == first_bad and found.startswith(f"malformed event: {reason}")


def test_the_first_of_several_breaks_is_reported(session: Session) -> None:
    _fill(session)
    _alter_payload(33)(session)  # in a later range, walked by the other worker
    _alter_payload(22)(session)
    _sql("DELETE FROM audit_event WHERE seq = 27")(session)
    assert _both_ways(session) == (22, "content does not match its hash (the event was altered)")


def test_a_rewritten_head_is_detected(session: Session) -> None:
    saved = _fill(session)
    session.execute(text("UPDATE audit_head SET hash = :h"), {"h": _hash(session, 39)})
    session.commit()
    assert _both_ways(session) == (40, "the recorded head does not match the last event")
    session.execute(text("UPDATE audit_head SET seq = 38, hash = :h"), {"h": _hash(session, 38)})
    session.commit()
    assert _both_ways(session) == (39, "events were added past the recorded head")
    # Truncated, the head rewritten to match: the chain alone looks fine, the head saved earlier does not.
    session.execute(text("DELETE FROM audit_event WHERE seq >= 34"))
    session.execute(text("UPDATE audit_head SET seq = 33, hash = :h"), {"h": _hash(session, 33)})
    session.commit()
    assert _both_ways(session) == audit.ChainHead(33, _hash(session, 33))
    seq, reason = _both_ways(session, expect_head=str(saved))  # type: ignore[misc]
    assert seq == 40 and "is not in the chain (truncated or rewritten)" in reason


def test_an_expected_head_at_the_wrong_position_is_refused(session: Session) -> None:
    _fill(session)
    seq, reason = _both_ways(session, expect_head=f"12:{_hash(session, 26)}")  # type: ignore[misc]
    assert (seq, reason) == (26, "the expected head sits at 26, not at 12")


def test_a_purged_chain_verifies_from_its_base(session: Session) -> None:
    saved = _fill(session)
    _purge_through(session, 12)
    head = audit.head(session)
    assert head.seq == 41
    assert _both_ways(session) == head
    assert _both_ways(session, expect_head=str(saved)) == head
    assert _both_ways(session, expect_head=f"12:{audit.base(session).hash}") == head  # the base counts
    _sql("DELETE FROM audit_event WHERE seq = 13")(session)  # the first event after the base
    assert _both_ways(session) == (13, "event missing (next present is 14)")


def test_tampering_with_the_base_of_a_purged_chain_is_detected(session: Session) -> None:
    _fill(session)
    twenty = _hash(session, 20)
    _purge_through(session, 12)
    _sql("UPDATE audit_base SET seq = 0, hash = '" + "0" * 64 + "'")(session)
    assert _both_ways(session) == (1, "event missing (next present is 13)")
    session.execute(text("DELETE FROM audit_event WHERE seq <= 20"))
    session.execute(text("UPDATE audit_base SET seq = 20, hash = :h"), {"h": twenty})
    session.commit()
    seq, reason = _both_ways(session)  # type: ignore[misc]
    assert seq == 41 and "records a purge through 12:" in reason


def test_workers_see_the_chain_as_it_was_when_verification_started(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events appended (and, on PostgreSQL, purged) after the parent read the head but before the workers
    read their ranges are not seen by them: the workers read the parent's snapshot (PostgreSQL) or stop at
    the last seq it read (SQLite)."""
    with Session(engine) as session:
        head = _fill(session)
    walk = audit.parallel._walk_in_workers

    def meanwhile(*args: Any) -> Any:
        other = create_db_engine(database_url)
        with Session(other) as session:
            audit.append_many(
                session,
                [audit.NewEvent("system:sync", "sync.applied", "system:aws")] * 3,
                clock=FrozenClock(T0),
            )
            session.commit()
            if engine.dialect.name == "postgresql":
                _purge_through(session, 9)
        other.dispose()
        return walk(*args)

    monkeypatch.setattr(audit.parallel, "_walk_in_workers", meanwhile)
    with Session(engine) as session:
        assert audit.verify(session, workers=WORKERS, parallel_from=0) == head
    monkeypatch.undo()
    with Session(engine) as session:
        assert audit.verify(session, workers=WORKERS, parallel_from=0).seq == EVENTS + 3 + (
            1 if engine.dialect.name == "postgresql" else 0
        )


def test_workers_verify_under_a_read_only_connection(engine: Engine, database_url: str) -> None:
    with Session(engine) as session:
        head = _fill(session)
        _alter_payload(23)(session)
    read_only = create_db_engine(database_url, read_only=True)
    try:
        with Session(read_only) as session:
            assert _both_ways(session) == (23, "content does not match its hash (the event was altered)")
    finally:
        read_only.dispose()
    assert head.seq == EVENTS


def test_workers_verify_with_a_select_only_database_role(engine: Engine, database_url: str) -> None:
    """An auditor's own PostgreSQL role that may read every table and nothing more (pg_read_all_data):
    exporting and importing the snapshot and the server-side cursors need no more."""
    if engine.dialect.name != "postgresql":
        pytest.skip("database roles: PostgreSQL only")
    with Session(engine) as session:
        head = _fill(session)
    role = f"recertify_reader_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN IN ROLE pg_read_all_data'))
    reader = make_url(database_url).set(username=role).render_as_string(hide_password=False)
    auditor = create_db_engine(reader, read_only=True)
    try:
        with Session(auditor) as session:
            assert audit.verify(session, workers=WORKERS, parallel_from=0) == head
    finally:
        auditor.dispose()
        with engine.begin() as connection:
            connection.execute(text(f'DROP ROLE "{role}"'))


def test_a_worker_count_below_one_is_refused(session: Session) -> None:
    with pytest.raises(InvalidArgument, match="workers must be at least 1"):
        audit.verify(session, workers=0)
