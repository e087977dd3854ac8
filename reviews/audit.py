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

A row changed into something `append` never writes (a payload that is not a JSON object, a time that is not
one, a null…) is named by its seq and the malformed field (reviews.audit_rows), as any other break is.

Chain version 2 (from the seq recorded in `audit_head.digests_from` on): an event's hash covers its seq, the
previous hash and a digest of its body (time, actor, kind, subject, payload) instead of the body itself, so
an attestation (reviews.attestation) can prove that some events are in the chain up to a checkpoint by
giving only the digests of the others, never their content. Events before that seq keep the version 1 hash
for ever (their checkpoints, also the write-once ones, still verify); editing the threshold changes which
construction applies to the events between the old and new values, so they no longer match their hashes.

`verify` streams the events in one ordered query; from `PARALLEL_FROM` events on, worker processes walk
contiguous ranges of seq at once, all reading the chain as it was at one moment, and the ranges are linked in
order so that every break is named exactly as one walk names it (the comment above `split_ranges`).
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import multiprocessing
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlmodel import Session, SQLModel

from reviews.audit_rows import events_in_order, malformed, malformed_position
from reviews.db import create_db_engine
from reviews.errors import AuditChainBroken, InvalidArgument, InvalidAuditPayload
from reviews.models import AuditBase, AuditEvent, AuditHead
from reviews.ports import Clock

GENESIS_HASH = "0" * 64
_sha256 = hashlib.sha256
# Core tables, not the ORM classes: appends are bulk inserts and verification streams plain rows.
EVENTS = SQLModel.metadata.tables[AuditEvent.__tablename__]
HEAD = SQLModel.metadata.tables[AuditHead.__tablename__]
BASE = SQLModel.metadata.tables[AuditBase.__tablename__]
PURGED = "audit.purged"  # the event an audited purge appends (reviews.retention)
# Verifying in parallel: from how many events (below, starting the worker processes costs more than it
# saves: on 2 cores, 2 workers took 1.0-1.2 s for 50,000 events against 0.7-1.1 s in one process, 1.3-1.7 s
# against 1.4-2.5 s for 100,000, 2.0-2.6 s against 3.0-4.5 s for 200,000), with at most how many processes,
# each given this many ranges in turn (smaller ranges even out workers slowed by other load, and a break
# found early cancels the ranges after it).
PARALLEL_FROM = 100_000
MAX_WORKERS = 8
RANGES_PER_WORKER = 4


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
    """The first seq hashed as version 2 (reviews.migrations 0009: 1 on a new database, the head + 1 on one
    that had events), or AuditChainBroken naming the head row when it was edited into something else."""
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


def default_workers() -> int:
    """The processes a long chain is verified with: the CPUs this process may run on, at most MAX_WORKERS
    (each holds a database connection and the work is shared out by range, so more buys little)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS))


def verify(
    session: Session,
    *,
    expect_head: str | None = None,
    workers: int | None = None,
    parallel_from: int = PARALLEL_FROM,
) -> ChainHead:
    """Walk the whole chain from its base; return its head, or raise naming the first bad sequence number.

    `expect_head` is a head saved earlier, as `SEQ:HASH` or just `HASH`: the chain must still contain it,
    which detects truncation even by someone who also rewrote the head row. A head older than the base
    (purged since) cannot be checked and is an argument error; the base itself still counts as present.

    A chain of `parallel_from` events or more is checked by `workers` processes (default: `default_workers`),
    each walking contiguous ranges of seq with its own connection (`_verify_in_parallel`); the result and
    every error are the same as a walk in this process, which shorter chains (and `workers=1`) get.
    """
    if workers is not None and workers < 1:
        raise InvalidArgument(f"workers must be at least 1, not {workers}")
    expected = _parse_expected_head(expect_head)
    workers = default_workers() if workers is None else workers
    engine = _shareable(session)
    if workers > 1 and engine is not None and head(session).seq - base(session).seq >= parallel_from:
        return _verify_in_parallel(engine, expect_head, expected, workers)
    start = base(session)
    v2_from = digests_from(session)
    _check_start(start, expect_head, expected, _first_seq_through(session, start.seq))
    walked = _check_rows(events_in_order(session, after=start.seq), start, expected, v2_from)
    return _check_end(start, walked, head(session), expect_head, expected)


def verify_segment(session: Session, start: ChainHead, end: ChainHead) -> None:
    """Check the events after `start` up to `end` (a checkpoint to the current head): each links to the one
    before and matches its hash, and the last of them is `end`. Cheap enough to run before every checkpoint,
    so a checkpoint never vouches for a chain that was cut or rewritten since the previous one."""
    if end.seq < start.seq:
        raise AuditChainBroken(end.seq + 1, f"the chain ends at {end.seq}, before {start} (truncated)")
    rows = events_in_order(session, after=start.seq, through=end.seq)
    walked = _check_rows(rows, start, (None, None), digests_from(session))
    if walked.broken is not None:
        raise AuditChainBroken(*walked.broken)
    last = walked.last(start)
    if last.seq < end.seq:
        raise AuditChainBroken(last.seq + 1, f"events {last.seq + 1}..{end.seq} are missing (truncated)")
    if last.hash != end.hash:
        raise AuditChainBroken(end.seq, "the recorded head does not match the event at its position")


# -- the walk, shared by both paths ------------------------------------------------------------------------

_UNLINKED = "does not link to the event before it (deleted, reordered or inserted)"
_ALTERED = "content does not match its hash (the event was altered)"


def _altered(row: Sequence[Any], v2_from: int) -> str:
    """Why an event does not match its hash: its content, or (when it matches the other version's hash) the
    recorded start of version 2, which only an edit of the audit_head row moves."""
    row_seq, occurred_at, actor, kind, subject, payload, row_prev, row_hash = row
    as_version = 1 if row_seq >= v2_from else 2  # the construction not applied
    if (
        chain_hash(row_seq, occurred_at, actor, kind, subject, payload, row_prev, row_seq + 2 - as_version)
        == row_hash
    ):
        return (
            f"hashed as chain version {as_version}, but the audit_head row says version 2 starts at "
            f"{v2_from} (digests_from was edited)"
        )
    return _ALTERED


def _missing(present: int) -> str:
    return f"event missing (next present is {present})"


@dataclass(frozen=True, slots=True)
class _Walked:
    """What walking a run of events found: picklable, as a worker process returns it.

    `first_seq`/`first_prev`: the first event's seq and the hash it claims to follow (None: no events). A walk
    given no start does not check those two; whoever knows the event before it does (`_link`), naming the
    first event by `first_malformed` (what is wrong with its fields, None: nothing) when it does not link.
    `broken`: the first problem (seq, reason), exactly as a walk of the whole chain would name it; nothing
    after it was checked. Otherwise `last_seq`/`last_hash` are the last event (None: there was none)."""

    first_seq: int | None = None
    first_prev: str | None = None
    first_malformed: str | None = None
    last_seq: int | None = None
    last_hash: str | None = None
    broken: tuple[int, str] | None = None
    seen_expected: bool = False
    last_purge: tuple[int, Any] | None = None  # seq and payload of the last audit.purged event

    def last(self, start: ChainHead) -> ChainHead:
        """The last event walked, or `start` when there was none."""
        if self.last_seq is None or self.last_hash is None:
            return start
        return ChainHead(self.last_seq, self.last_hash)


def _check_rows(
    rows: Iterable[Sequence[Any]],
    start: ChainHead | None,
    expected: tuple[int | None, str | None],
    v2_from: int,
) -> _Walked:
    """Check each event against the one before it and against its hash, stopping at the first that is
    missing, malformed, does not link, or does not match (or is the expected head at another seq). With no
    `start` (a worker's range) the first event's seq and link are left to `_link`; its hash is checked here.
    A malformed event (a field `append` never writes so: audit_rows.malformed) is named by that field
    whichever check it fails."""
    expected_seq, expected_hash = expected
    first: tuple[int, str, str | None] | None = None
    seq, prev_hash = (start.seq, start.hash) if start is not None else (0, "")
    seen, last_purge, broken = False, None, None
    for row in rows:
        row_seq, occurred_at, actor, kind, subject, payload, row_prev, row_hash = row
        if first is None:
            first = (row_seq, row_prev, malformed(row) if start is None else None)
            if start is None:
                seq, prev_hash = row_seq - 1, row_prev
        seq += 1
        if row_seq != seq:
            broken = (seq, _missing(row_seq))
            break
        # Exact types, cheaply, on every row: a wrong one may still hash (None as null) and must not pass.
        if (
            type(payload) is not dict
            or type(occurred_at) is not datetime
            or type(actor) is not str
            or type(kind) is not str
            or type(subject) is not str
        ):
            broken = (seq, malformed(row) or "malformed event")
            break
        if row_prev != prev_hash:
            broken = (seq, malformed(row) or _UNLINKED)
            break
        try:
            if row_seq < v2_from:
                digest = event_hash_v1(row_seq, occurred_at, actor, kind, subject, payload, row_prev)
            else:  # body_digest and link_hash, inlined: this is the hot loop of `audit verify`
                body = {
                    "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
                    "actor": actor,
                    "kind": kind,
                    "subject": subject,
                    "payload": payload,
                }
                body_hash = _sha256(_CANONICAL_JSON(body).encode("utf-8")).hexdigest()
                if type(row_prev) is str and row_prev.isascii() and row_prev.isalnum():
                    link = f'{{"body":"{body_hash}","prev_hash":"{row_prev}","seq":{row_seq}}}'
                    digest = _sha256(link.encode("utf-8")).hexdigest()
                else:
                    digest = link_hash(row_seq, row_prev, body_hash)
        except (ValueError, TypeError) as exc:  # NaN in a payload SQLite read from its JSON text
            broken = (seq, malformed(row) or f"malformed event: payload has no canonical JSON form ({exc})")
            break
        if digest != row_hash:
            broken = (seq, malformed(row) or _altered(row, v2_from))
            break
        if expected_hash is not None and row_hash == expected_hash:
            if expected_seq is not None and expected_seq != row_seq:
                broken = (row_seq, f"the expected head sits at {row_seq}, not at {expected_seq}")
                break
            seen = True
        if kind == PURGED:
            last_purge = (row_seq, payload)
        prev_hash = row_hash
    if first is None:
        return _Walked()
    if broken is not None:
        return _Walked(*first, broken=broken)
    return _Walked(*first, last_seq=seq, last_hash=prev_hash, seen_expected=seen, last_purge=last_purge)


def _first_seq_through(session: Session, seq: int) -> int | None:
    return session.execute(
        select(EVENTS.c.seq).where(EVENTS.c.seq <= seq).order_by(EVENTS.c.seq).limit(1)
    ).scalar()


def _check_start(
    start: ChainHead, expect_head: str | None, expected: tuple[int | None, str | None], leftover: int | None
) -> None:
    """Before the walk: the expected head must not be purged, and no event may be left at or below the base
    (`leftover`: the first such seq)."""
    expected_seq = expected[0]
    if expected_seq is not None and expected_seq < start.seq:
        raise InvalidArgument(
            f"expected head {expect_head} was purged: the chain now starts after event {start.seq}"
        )
    if leftover is not None:
        raise AuditChainBroken(
            leftover, f"present although the chain was purged through {start.seq} (re-inserted?)"
        )


def _check_end(
    start: ChainHead,
    walked: _Walked,
    recorded: ChainHead,
    expect_head: str | None,
    expected: tuple[int | None, str | None],
) -> ChainHead:
    """After a walk that found every event sound: the head row, the base and the expected head."""
    if walked.broken is not None:
        raise AuditChainBroken(*walked.broken)
    expected_seq, expected_hash = expected
    last = walked.last(start)
    if recorded.seq > last.seq:
        raise AuditChainBroken(last.seq + 1, f"events {last.seq + 1}..{recorded.seq} are missing (truncated)")
    if recorded.seq < last.seq:
        raise AuditChainBroken(recorded.seq + 1, "events were added past the recorded head")
    if recorded.hash != last.hash:
        raise AuditChainBroken(last.seq, "the recorded head does not match the last event")
    _check_base(start, walked.last_purge)
    seen = walked.seen_expected or expect_head is None or (start.seq > 0 and expected_hash == start.hash)
    if not seen:
        where = expected_seq if expected_seq is not None else last.seq + 1
        raise AuditChainBroken(
            where, f"expected head {expect_head} is not in the chain (truncated or rewritten)"
        )
    return last


def _check_base(start: ChainHead, last_purge: tuple[int, Any] | None) -> None:
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
    purge_seq, purge_payload = last_purge
    payload = purge_payload if isinstance(purge_payload, Mapping) else {}
    through, base_hash = payload.get("through_seq"), payload.get("base_hash")
    if through != start.seq or base_hash != start.hash:
        raise AuditChainBroken(
            purge_seq,
            f"this audit.purged event records a purge through {through}:{base_hash}, "
            f"but the chain starts after {start}",
        )


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
