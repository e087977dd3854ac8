"""The chain itself: appending events under the head lock, the hashes of both chain versions, the head
and the base rows. The package docstring (reviews/audit/__init__.py) says why it is built so."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import insert, select, update
from sqlmodel import Session, SQLModel

from reviews.audit.rows import malformed_position
from reviews.errors import AuditChainBroken, InvalidAuditPayload
from reviews.ports import Clock
from reviews.storage.models import AuditBase, AuditEvent, AuditHead

GENESIS_HASH = "0" * 64
_sha256 = hashlib.sha256
# Core tables, not the ORM classes: appends are bulk inserts and verification streams plain rows.
EVENTS = SQLModel.metadata.tables[AuditEvent.__tablename__]
HEAD = SQLModel.metadata.tables[AuditHead.__tablename__]
BASE = SQLModel.metadata.tables[AuditBase.__tablename__]
PURGED = "audit.purged"  # the event an audited purge appends (reviews.audit.retention)


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
    row = session.execute(select(HEAD.c.seq, HEAD.c.hash, HEAD.c.digests_from).where(HEAD.c.id == 1)).one()
    current, v2_from = _position(HEAD.name, row.seq, row.hash), _threshold(row.digests_from)  # one read
    seq, prev_hash = current.seq, current.hash
    occurred_at = clock.now().astimezone(UTC)
    rows: list[dict[str, Any]] = []
    for event in events:
        seq += 1
        payload = normalize_payload(event.payload)
        digest = chain_hash(
            seq, occurred_at, event.actor, event.kind, event.subject, payload, prev_hash, v2_from
        )
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


# json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False), without
# building a new encoder for every event: json.dumps makes exactly this JSONEncoder on each call.
_CANONICAL_JSON = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def event_hash_v1(
    seq: int,
    occurred_at: datetime,
    actor: str,
    kind: str,
    subject: str,
    payload: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """Version 1, for events before `digests_from`: the hash covers the whole body and the previous hash."""
    canonical = {"seq": seq, **_body(occurred_at, actor, kind, subject, payload), "prev_hash": prev_hash}
    return hashlib.sha256(_CANONICAL_JSON(canonical).encode("utf-8")).hexdigest()


def _body(
    occurred_at: datetime, actor: str, kind: str, subject: str, payload: Mapping[str, Any]
) -> dict[str, Any]:
    """An event's body as its hash covers it (the canonical encoding sorts the keys)."""
    return {
        "occurred_at": iso_time(occurred_at),
        "actor": actor,
        "kind": kind,
        "subject": subject,
        "payload": payload,
    }


def iso_time(occurred_at: datetime) -> str:
    """An event's time as its hash covers it."""
    return occurred_at.astimezone(UTC).isoformat(timespec="microseconds")


def body_digest(
    occurred_at: datetime, actor: str, kind: str, subject: str, payload: Mapping[str, Any]
) -> str:
    """Version 2: the digest of an event's body, what an attestation discloses of an event it leaves out."""
    body = _body(occurred_at, actor, kind, subject, payload)
    return hashlib.sha256(_CANONICAL_JSON(body).encode("utf-8")).hexdigest()


def event_hash(
    seq: int,
    occurred_at: datetime,
    actor: str,
    kind: str,
    subject: str,
    payload: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """Version 2, what every event from `digests_from` on is hashed with."""
    return link_hash(seq, prev_hash, body_digest(occurred_at, actor, kind, subject, payload))


def link_hash(seq: int, prev_hash: str, digest: str) -> str:
    """Version 2: an event's hash from its seq, the previous hash and its body digest."""
    if (
        type(seq) is int
        and type(prev_hash) is str
        and prev_hash.isascii()
        and prev_hash.isalnum()
        and digest.isascii()
        and digest.isalnum()
    ):
        # Exactly the canonical JSON below (sorted keys, nothing to escape), a third faster to build: this
        # runs once per event on every `audit verify`.
        text = f'{{"body":"{digest}","prev_hash":"{prev_hash}","seq":{seq}}}'
    else:
        text = _CANONICAL_JSON({"seq": seq, "prev_hash": prev_hash, "body": digest})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_hash(
    seq: int,
    occurred_at: datetime,
    actor: str,
    kind: str,
    subject: str,
    payload: Mapping[str, Any],
    prev_hash: str,
    v2_from: int,
) -> str:
    """The event's hash as the chain computes it at `seq`: version 1 before `v2_from`, version 2 from it."""
    if seq < v2_from:
        return event_hash_v1(seq, occurred_at, actor, kind, subject, payload, prev_hash)
    return event_hash(seq, occurred_at, actor, kind, subject, payload, prev_hash)


def digests_from(session: Session | Any) -> int:
    """The first seq hashed as version 2 (reviews.storage.migrations 0009: 1 on a new database, the head +
    1 on one that had events), or AuditChainBroken naming the head row when it was edited into something
    else."""
    value = session.execute(select(HEAD.c.digests_from).where(HEAD.c.id == 1)).scalar_one()
    return _threshold(value)


def _threshold(value: Any) -> int:
    if type(value) is not int or value < 1:
        raise AuditChainBroken(
            0, f"malformed digests_from {value!r}: not a sequence number", row="the audit_head row"
        )
    return value


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
    return _position(HEAD.name, row.seq, row.hash)


def base(session: Session) -> ChainHead:
    """Where the remaining chain starts: the last purged event, or (0, genesis) when nothing was purged."""
    row = session.execute(select(BASE.c.seq, BASE.c.hash).where(BASE.c.id == 1)).one()
    return _position(BASE.name, row.seq, row.hash)


def _position(table: str, seq: Any, digest: Any) -> ChainHead:
    """The head or base row as read, or AuditChainBroken naming that row when it holds what no append or
    purge writes (a seq that is not a number, a hash that is not one): changed by hand, it would otherwise
    fail later with a bare TypeError."""
    problem = malformed_position(seq, digest)
    if problem is not None:
        raise AuditChainBroken(0, problem, row=f"the {table} row")
    return ChainHead(seq, digest)
