"""The tamper-evident history: an append-only, SHA-256 hash chain of events.

Each event's hash covers a canonical encoding of its sequence number, time, actor, kind, subject, payload
and the previous event's hash, so changing, deleting, reordering or inserting any row breaks the chain at a
sequence number `verify` can name. Truncating the end is caught by the head row (unless it was rewritten
too), by the checkpoints (reviews.checkpoints: heads recorded hourly, also in a write-once store when one is
configured) and by comparing with a head saved earlier (`--expect-head`).

Old events leave only through an audited purge (reviews.retention), which records where the remaining chain
starts in the `audit_base` row and appends an `audit.purged` event naming that base. `verify` walks from the
base (its first event must link to the base hash) and requires the last `audit.purged` event to name exactly
that base, so deleting the start of the chain outside a purge is detected too.

Appends are serialized by locking the single `audit_head` row first: a row lock on PostgreSQL, the write
lock on SQLite. Two processes appending at once therefore wait for each other instead of forking the chain.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import insert, select, update
from sqlmodel import Session, SQLModel

from reviews.errors import AuditChainBroken, InvalidArgument, InvalidAuditPayload
from reviews.models import AuditBase, AuditEvent, AuditHead
from reviews.ports import Clock

GENESIS_HASH = "0" * 64
# Core tables, not the ORM classes: appends are bulk inserts and verification streams plain rows.
EVENTS = SQLModel.metadata.tables[AuditEvent.__tablename__]
HEAD = SQLModel.metadata.tables[AuditHead.__tablename__]
BASE = SQLModel.metadata.tables[AuditBase.__tablename__]
VERIFY_BATCH = 5_000
PURGED = "audit.purged"  # the event an audited purge appends (reviews.retention)


@dataclass(frozen=True, slots=True)
class NewEvent:
    actor: str  # "person:alice@example.gov", "cli:root", "system:scheduler", "policy:<cycle>"
    kind: str  # dotted, e.g. "grant.opened", "decision.recorded"
    subject: str  # what it is about, e.g. "store:arn:aws:s3:::payroll"
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChainHead:
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


def append(session: Session, event: NewEvent, *, clock: Clock) -> ChainHead:
    return append_many(session, [event], clock=clock)


def append_many(session: Session, events: Iterable[NewEvent], *, clock: Clock) -> ChainHead:
    """Append events in order, in the caller's transaction (they commit or vanish with its other writes)."""
    lock_chain(session)
    head = session.execute(select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)).one()
    seq, prev_hash = head.seq, head.hash
    occurred_at = clock.now().astimezone(UTC)
    rows: list[dict[str, Any]] = []
    for event in events:
        seq += 1
        payload = normalize_payload(event.payload)
        digest = event_hash(seq, occurred_at, event.actor, event.kind, event.subject, payload, prev_hash)
        rows.append(
            {
                "seq": seq,
                "occurred_at": occurred_at,
                "actor": event.actor,
                "kind": event.kind,
                "subject": event.subject,
                "payload": payload,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash = digest
    if rows:
        session.execute(insert(EVENTS), rows)
        session.execute(update(HEAD).where(HEAD.c.id == 1).values(seq=seq, hash=prev_hash))
    return ChainHead(seq, prev_hash)


def event_hash(
    seq: int,
    occurred_at: datetime,
    actor: str,
    kind: str,
    subject: str,
    payload: Mapping[str, Any],
    prev_hash: str,
) -> str:
    canonical = {
        "seq": seq,
        "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "kind": kind,
        "subject": subject,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    encoded = json.dumps(
        canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def normalize_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Reduce a payload to plain JSON that reads back identically on both backends, or refuse it."""
    normalized = _normalize(payload, "payload")
    assert isinstance(normalized, dict)  # noqa: S101  (a Mapping normalizes to a dict)
    return normalized


def _normalize(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidAuditPayload(f"{where}: {value} has no JSON form")
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidAuditPayload(f"{where}: naive datetime {value!r}")
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, Enum):
        return _normalize(value.value, where)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidAuditPayload(f"{where}: key {key!r} is not a string")
            out[key] = _normalize(item, f"{where}.{key}")
        return out
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_normalize(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise InvalidAuditPayload(f"{where}: {type(value).__name__} cannot be recorded")


def lock_chain(session: Session) -> None:
    """Take the chain's lock for the rest of the caller's transaction (appends and purges take it first)."""
    session.execute(update(HEAD).where(HEAD.c.id == 1).values(seq=HEAD.c.seq))


def head(session: Session) -> ChainHead:
    row = session.execute(select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)).one()
    return ChainHead(row.seq, row.hash)


def base(session: Session) -> ChainHead:
    """Where the remaining chain starts: the last purged event, or (0, genesis) when nothing was purged."""
    row = session.execute(select(BASE.c.seq, BASE.c.hash).where(BASE.c.id == 1)).one()
    return ChainHead(row.seq, row.hash)


def _events_in_order(session: Session, *, after: int = 0, through: int | None = None) -> Iterator[Any]:
    """Keyset pages, so verifying millions of events needs constant memory."""
    last = after
    while True:
        query = select(EVENTS).where(EVENTS.c.seq > last).order_by(EVENTS.c.seq).limit(VERIFY_BATCH)
        if through is not None:
            query = query.where(EVENTS.c.seq <= through)
        page = session.execute(query).all()
        if not page:
            return
        yield from page
        last = page[-1].seq


def _walk(session: Session, start: ChainHead, *, through: int | None = None) -> Iterator[Any]:
    """The events after `start` (up to `through`), each checked against the one before it; raises
    `AuditChainBroken` at the first that is missing, does not link, or does not match its hash."""
    seq, prev_hash = start.seq, start.hash
    for row in _events_in_order(session, after=start.seq, through=through):
        seq += 1
        if row.seq != seq:
            raise AuditChainBroken(seq, f"event missing (next present is {row.seq})")
        if row.prev_hash != prev_hash:
            raise AuditChainBroken(
                seq, "does not link to the event before it (deleted, reordered or inserted)"
            )
        recomputed = event_hash(
            row.seq, row.occurred_at, row.actor, row.kind, row.subject, row.payload, row.prev_hash
        )
        if recomputed != row.hash:
            raise AuditChainBroken(seq, "content does not match its hash (the event was altered)")
        prev_hash = row.hash
        yield row


def verify(session: Session, *, expect_head: str | None = None) -> ChainHead:
    """Walk the whole chain from its base; return its head, or raise naming the first bad sequence number.

    `expect_head` is a head saved earlier, as `SEQ:HASH` or just `HASH`: the chain must still contain it,
    which detects truncation even by someone who also rewrote the head row. A head older than the base
    (purged since) cannot be checked and is an argument error; the base itself still counts as present.
    """
    expected_seq, expected_hash = _parse_expected_head(expect_head)
    start = base(session)
    if expected_seq is not None and expected_seq < start.seq:
        raise InvalidArgument(
            f"expected head {expect_head} was purged: the chain now starts after event {start.seq}"
        )
    leftover = session.execute(
        select(EVENTS.c.seq).where(EVENTS.c.seq <= start.seq).order_by(EVENTS.c.seq).limit(1)
    ).scalar()
    if leftover is not None:
        raise AuditChainBroken(
            leftover, f"present although the chain was purged through {start.seq} (re-inserted?)"
        )
    seen_expected = expect_head is None or (start.seq > 0 and expected_hash == start.hash)
    last, last_purge = start, None
    for row in _walk(session, start):
        if expected_hash is not None and row.hash == expected_hash:
            if expected_seq is not None and expected_seq != row.seq:
                raise AuditChainBroken(row.seq, f"the expected head sits at {row.seq}, not at {expected_seq}")
            seen_expected = True
        if row.kind == PURGED:
            last_purge = row
        last = ChainHead(row.seq, row.hash)
    recorded = head(session)
    if recorded.seq > last.seq:
        raise AuditChainBroken(last.seq + 1, f"events {last.seq + 1}..{recorded.seq} are missing (truncated)")
    if recorded.seq < last.seq:
        raise AuditChainBroken(recorded.seq + 1, "events were added past the recorded head")
    if recorded.hash != last.hash:
        raise AuditChainBroken(last.seq, "the recorded head does not match the last event")
    _check_base(start, last_purge)
    if not seen_expected:
        where = expected_seq if expected_seq is not None else last.seq + 1
        raise AuditChainBroken(
            where, f"expected head {expect_head} is not in the chain (truncated or rewritten)"
        )
    return last


def verify_segment(session: Session, start: ChainHead, end: ChainHead) -> None:
    """Check the events after `start` up to `end` (a checkpoint to the current head): each links to the one
    before and matches its hash, and the last of them is `end`. Cheap enough to run before every checkpoint,
    so a checkpoint never vouches for a chain that was cut or rewritten since the previous one."""
    if end.seq < start.seq:
        raise AuditChainBroken(end.seq + 1, f"the chain ends at {end.seq}, before {start} (truncated)")
    last = start
    for row in _walk(session, start, through=end.seq):
        last = ChainHead(row.seq, row.hash)
    if last.seq < end.seq:
        raise AuditChainBroken(last.seq + 1, f"events {last.seq + 1}..{end.seq} are missing (truncated)")
    if last.hash != end.hash:
        raise AuditChainBroken(end.seq, "the recorded head does not match the event at its position")


def _check_base(start: ChainHead, last_purge: Any) -> None:
    """The base must be exactly what the last `audit.purged` event says a purge left: a start of the chain
    deleted (and the base row moved) outside `audit purge` has no such event."""
    if last_purge is None:
        if start.seq > 0:
            raise AuditChainBroken(
                start.seq + 1,
                f"the chain starts after {start} but no audit.purged event records that purge "
                "(events deleted outside `recertify audit purge`?)",
            )
        return
    payload = last_purge.payload if isinstance(last_purge.payload, Mapping) else {}
    through, base_hash = payload.get("through_seq"), payload.get("base_hash")
    if through != start.seq or base_hash != start.hash:
        raise AuditChainBroken(
            last_purge.seq,
            f"this audit.purged event records a purge through {through}:{base_hash}, "
            f"but the chain starts after {start}",
        )


def _parse_expected_head(expect_head: str | None) -> tuple[int | None, str | None]:
    if expect_head is None:
        return None, None
    seq_text, _, hash_text = expect_head.strip().rpartition(":")
    if len(hash_text) != 64 or any(c not in "0123456789abcdef" for c in hash_text):
        raise InvalidArgument(f"expected head {expect_head!r} is not SEQ:HASH or a 64-hex-digit SHA-256")
    if not seq_text:
        return None, hash_text
    if not (seq_text.isascii() and seq_text.isdigit()):
        raise InvalidArgument(f"expected head {expect_head!r}: the sequence part must be a number")
    return int(seq_text), hash_text
