"""The tamper-evident history: an append-only, SHA-256 hash chain of events.

Each event's hash covers a canonical encoding of its sequence number, time, actor, kind, subject, payload
and the previous event's hash, so changing, deleting, reordering or inserting any row breaks the chain at a
sequence number `verify` can name. Truncating the end is caught by the head row (unless it was rewritten
too) and, always, by comparing with a head saved earlier (`--expect-head`).

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
from reviews.models import AuditEvent, AuditHead
from reviews.ports import Clock

GENESIS_HASH = "0" * 64
# Core tables, not the ORM classes: appends are bulk inserts and verification streams plain rows.
EVENTS = SQLModel.metadata.tables[AuditEvent.__tablename__]
HEAD = SQLModel.metadata.tables[AuditHead.__tablename__]
VERIFY_BATCH = 5_000


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
    # Lock the head row before reading it: this is what serializes concurrent appenders.
    session.execute(update(HEAD).where(HEAD.c.id == 1).values(seq=HEAD.c.seq))
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


def head(session: Session) -> ChainHead:
    row = session.execute(select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)).one()
    return ChainHead(row.seq, row.hash)


def _events_in_order(session: Session) -> Iterator[Any]:
    """Keyset pages, so verifying millions of events needs constant memory."""
    last = 0
    while True:
        page = session.execute(
            select(EVENTS).where(EVENTS.c.seq > last).order_by(EVENTS.c.seq).limit(VERIFY_BATCH)
        ).all()
        if not page:
            return
        yield from page
        last = page[-1].seq


def verify(session: Session, *, expect_head: str | None = None) -> ChainHead:
    """Walk the whole chain; return its head, or raise naming the first bad sequence number.

    `expect_head` is a head saved earlier, as `SEQ:HASH` or just `HASH`: the chain must still contain it,
    which detects truncation even by someone who also rewrote the head row.
    """
    expected_seq, expected_hash = _parse_expected_head(expect_head)
    seq, prev_hash, seen_expected = 0, GENESIS_HASH, expect_head is None
    for row in _events_in_order(session):
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
        if expected_hash is not None and row.hash == expected_hash:
            if expected_seq is not None and expected_seq != seq:
                raise AuditChainBroken(seq, f"the expected head sits at {seq}, not at {expected_seq}")
            seen_expected = True
        prev_hash = row.hash
    recorded = head(session)
    if recorded.seq > seq:
        raise AuditChainBroken(seq + 1, f"events {seq + 1}..{recorded.seq} are missing (truncated)")
    if recorded.seq < seq:
        raise AuditChainBroken(recorded.seq + 1, "events were added past the recorded head")
    if recorded.hash != prev_hash:
        raise AuditChainBroken(seq, "the recorded head does not match the last event")
    if not seen_expected:
        where = expected_seq if expected_seq is not None else seq + 1
        raise AuditChainBroken(
            where, f"expected head {expect_head} is not in the chain (truncated or rewritten)"
        )
    return ChainHead(seq, prev_hash)


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
