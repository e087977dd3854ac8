"""Reading stored audit events for verification, and naming what is wrong with one that is not as `append`
wrote it.

`append` always writes an int seq, an aware time, text actor/kind/subject, a JSON object as payload and two
64-hex-digit hashes. A row changed with raw SQL need not be: SQLite stores anything in any column (text in a
time column, bytes or invalid UTF-8 in a text one), PostgreSQL holds times Python cannot (`infinity`, years
past 9999) and JSON that is not an object. `verify` must name such a row by its seq and say which field is
wrong, as it names any other tampering, rather than fail with the driver's exception.

Reading stays on the fast path (one streamed query, the column types decoding as usual); only when decoding
fails are the rows after the last one handed on re-read, to find the first that cannot be decoded (bisecting
over the next batches), which is then handed to the walk with its undecodable values as `Unreadable`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Result, Row, Text, cast, select
from sqlalchemy.exc import DataError, OperationalError
from sqlmodel import Session, SQLModel

from reviews.storage.models import AuditEvent

EVENTS = SQLModel.metadata.tables[AuditEvent.__tablename__]
COLUMNS = (
    EVENTS.c.seq,
    EVENTS.c.occurred_at,
    EVENTS.c.actor,
    EVENTS.c.kind,
    EVENTS.c.subject,
    EVENTS.c.payload,
    EVENTS.c.prev_hash,
    EVENTS.c.hash,
)
VERIFY_BATCH = 5_000  # rows fetched at a time while verifying
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SHOWN = 60  # characters of a malformed value quoted in the message
_EXPECTED = {
    "occurred_at": "a time",
    "actor": "text",
    "kind": "text",
    "subject": "text",
    "payload": "JSON",
    "prev_hash": "text",
    "hash": "text",
}


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A stored value the column's type could not decode; `text` is the database's own text of it (None
    when even that cannot be read, as with invalid UTF-8 on SQLite)."""

    text: str | None


def malformed(row: Sequence[Any]) -> str | None:
    """What is wrong with the first field of a stored event that is not as `append` writes it, or None when
    every field is. Called only for a row that failed a check, so it may be thorough. (A payload object
    holding NaN, which SQLite's JSON text may, is named by the walk: it cannot be hashed.)"""
    _seq, occurred_at, actor, kind, subject, payload, prev_hash, digest = row
    fields: list[tuple[str, Any, bool]] = [
        ("occurred_at", occurred_at, isinstance(occurred_at, datetime) and occurred_at.tzinfo is not None),
        ("actor", actor, isinstance(actor, str)),
        ("kind", kind, isinstance(kind, str)),
        ("subject", subject, isinstance(subject, str)),
        ("payload", payload, isinstance(payload, dict)),
        ("prev_hash", prev_hash, isinstance(prev_hash, str) and bool(_HEX64.fullmatch(prev_hash))),
        ("hash", digest, isinstance(digest, str) and bool(_HEX64.fullmatch(digest))),
    ]
    for name, value, sound in fields:
        if not sound:
            return f"malformed event: {_describe(name, value)}"
    return None


def malformed_position(seq: Any, digest: Any) -> str | None:
    """What is wrong with the chain's head or base row (a seq and the hash of the event there), or None."""
    if type(seq) is not int:
        return "malformed: " + (
            "seq is missing (null)" if seq is None else f"seq is not a number ({_shown(seq)})"
        )
    if not (isinstance(digest, str) and _HEX64.fullmatch(digest)):
        return f"malformed: {_describe('hash', digest)}"
    return None


def _describe(name: str, value: Any) -> str:
    if value is None:
        return f"{name} is missing (null)"
    if isinstance(value, Unreadable):
        shown = " (not even readable as text)" if value.text is None else f" ({_shown(value.text)})"
        return f"{name} is not {_EXPECTED[name]}{shown}"
    if name in ("prev_hash", "hash"):
        return f"{name} is not 64 hexadecimal digits ({_shown(value)})"
    expected = "a JSON object" if name == "payload" else _EXPECTED[name]
    return f"{name} is not {expected} ({_shown(value)})"


def _shown(value: Any) -> str:
    """A value quoted on one line, shortened: the message is a single line of the CLI's error."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def events_in_order(
    session: Session | Connection, *, after: int, through: int | None = None
) -> Iterator[Sequence[Any]]:
    """The events after `after` (up to `through`) in seq order: one query, streamed VERIFY_BATCH rows at a
    time (a server-side cursor on PostgreSQL), so verifying millions of events needs constant memory; rows
    unpacked as tuples, not read by attribute name. One statement also reads one snapshot, where keyset
    pages each read their own, and it is markedly faster than pages were (bench/README.md, the evidence
    row). A row whose values cannot be decoded ends the stream, with those values as `Unreadable`."""
    query = select(*COLUMNS).where(EVENTS.c.seq > after).order_by(EVENTS.c.seq)
    if through is not None:
        query = query.where(EVENTS.c.seq <= through)
    result: Result[Any] | None = None
    row: Sequence[Any] | None = None  # the last event handed on, once there is one
    bad: int | None = None
    try:
        # Executing fetches the first batch already (psycopg's server-side cursor): it may fail to decode.
        result = session.execute(query, execution_options={"yield_per": VERIFY_BATCH})
        for row in result:
            yield row
    except Exception as exc:
        if not undecodable(exc):
            raise
        if result is not None:
            result.close()
        last = after if row is None else int(row[0])
        bad = _first_undecodable(session, after=last, through=through)
        if bad is None:
            raise  # no stored value is to blame after all: the original error stands
    finally:
        if result is not None:
            result.close()
    if bad is not None:
        yield from _rows(session, after=last, before=bad)
        yield _with_unreadable(session, bad)


def undecodable(exc: BaseException) -> bool:
    """A value the column type or driver could not turn into Python (not a failing database)."""
    if isinstance(exc, ValueError | TypeError | OverflowError | AttributeError | DataError):
        return True  # SQLAlchemy's SQLite time and JSON parsing; psycopg's times out of Python's range
    # SQLite's text that is not UTF-8 ("Could not decode to UTF-8 column …")
    return isinstance(exc, OperationalError) and "could not decode" in str(exc.orig).lower()


def _first_undecodable(session: Session | Connection, *, after: int, through: int | None) -> int | None:
    """The seq of the first event after `after` that cannot be decoded, bisecting over the next batches
    (the failed batch began right after `after`); None when they all decode."""
    query = select(EVENTS.c.seq).where(EVENTS.c.seq > after).order_by(EVENTS.c.seq).limit(2 * VERIFY_BATCH)
    if through is not None:
        query = query.where(EVENTS.c.seq <= through)
    seqs = list(session.execute(query).scalars())
    if not seqs or _decodes(session, after, seqs[-1]):
        return None
    lo, hi = 0, len(seqs) - 1  # the answer is seqs[lo..hi]; every event through seqs[lo - 1] decodes
    while lo < hi:
        mid = (lo + hi) // 2
        if _decodes(session, seqs[lo - 1] if lo else after, seqs[mid]):
            lo = mid + 1
        else:
            hi = mid
    return int(seqs[lo])


def _decodes(session: Session | Connection, after: int, through: int) -> bool:
    try:
        _rows(session, after=after, before=through + 1)
    except Exception as exc:
        if not undecodable(exc):
            raise
        return False
    return True


def _rows(session: Session | Connection, *, after: int, before: int) -> list[Row[Any]]:
    query = select(*COLUMNS).where(EVENTS.c.seq > after, EVENTS.c.seq < before).order_by(EVENTS.c.seq)
    return list(session.execute(query).all())


def _with_unreadable(session: Session | Connection, seq: int) -> tuple[Any, ...]:
    """Event `seq` read a column at a time, each value that cannot be decoded replaced by `Unreadable`."""
    values: list[Any] = []
    for column in COLUMNS:
        try:
            values.append(session.execute(select(column).where(EVENTS.c.seq == seq)).scalar_one())
        except Exception as exc:
            if not undecodable(exc):
                raise
            values.append(Unreadable(_text_of(session, column, seq)))
    return tuple(values)


def _text_of(session: Session | Connection, column: Any, seq: int) -> str | None:
    try:
        text = session.execute(select(cast(column, Text)).where(EVENTS.c.seq == seq)).scalar_one()
    except Exception as exc:
        if not undecodable(exc):
            raise
        return None
    return None if text is None else str(text)
