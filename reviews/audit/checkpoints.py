"""Checkpoints: the chain's head recorded at intervals, so that cutting the end of the chain is detected.

A chain alone cannot show that its last events were deleted by someone who also rewrote the `audit_head`
row. A checkpoint says "event SEQ had hash HASH at this moment"; `verify_checkpoints` requires every
checkpoint to still be in the chain, at its seq, with its hash, and names the first one that is not.

Where they are kept:

- always in the `audit_checkpoint` table (cheap, and enough against a careless truncation);
- also in a write-once store when one is configured (`[audit] checkpoint_bucket`: S3 with Object Lock in
  COMPLIANCE mode, `connectors/aws/checkpoints.py`). Nobody who can rewrite the database can delete or alter
  those, so `audit verify` compares the chain with them too, and with the table: a checkpoint row deleted
  or edited in the database while its write-once copy remains is reported as well.

Recording (`record_checkpoint`, hourly from the scheduler, at once with `recertify audit checkpoint`, and
before every purge) first checks the events since the previous checkpoint (`audit.verify_segment`), so a
checkpoint never vouches for a chain that was cut or rewritten since the last one; it records nothing when
the head has not moved. The write-once copy is written before the row, inside the caller's transaction: if
the transaction then fails, the store holds a record of a position that was real, and writing the same
checkpoint again is not an error (the same seq and hash make the same record).

Purged events (reviews.audit.retention): checkpoints at or below the chain's base cannot be compared with
events that are gone. The one at the base must carry the base hash; older ones stand as purged. With a write-
once
store configured, the base itself must be attested there: a purge writes a "base" record before deleting
anything, so someone who deletes the start of the chain and moves the base row (even adding a matching
`audit.purged` event, which the database alone cannot tell from a real one) is caught. A store configured
only after a purge gets the base with `recertify audit checkpoint --attest-base`, dated by the store.
What the write-once store cannot stop: someone holding the bot's own S3 credentials can add records
(never remove or change one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from reviews import audit
from reviews.audit import ChainHead
from reviews.audit.rows import undecodable
from reviews.errors import AuditChainBroken, InvalidArgument
from reviews.ports import CheckpointKind, CheckpointSink, Clock, WrittenCheckpoint
from reviews.storage.models import AuditCheckpoint

CHECKPOINTS = SQLModel.metadata.tables[AuditCheckpoint.__tablename__]
LOOKUP_BATCH = 500


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    hash: str
    recorded_at: datetime
    written_to: str | None  # the write-once copy (s3://bucket/key), None when kept in the database only

    @property
    def head(self) -> ChainHead:
        return ChainHead(self.seq, self.hash)


@dataclass(frozen=True, slots=True)
class _Stored:
    """A checkpoint row as `verify_checkpoints` compares it: without its time, which the comparison has no
    use for, so that a row whose time was edited into something unreadable is still compared, not a crash.
    `hash` and `written_to` are as read: a row edited by hand may hold anything there."""

    seq: int
    hash: Any
    written_to: Any

    @property
    def head(self) -> str:
        return f"{self.seq}:{self.hash}"


@dataclass(frozen=True, slots=True)
class CheckpointReport:
    """What `verify_checkpoints` compared: rows of the table, and write-once records (None: no store)."""

    in_database: int
    write_once: int | None
    location: str | None


def latest(session: Session) -> Checkpoint | None:
    try:
        row = session.execute(select(CHECKPOINTS).order_by(CHECKPOINTS.c.seq.desc()).limit(1)).first()
    except Exception as exc:
        if not undecodable(exc):
            raise
        # A time edited by hand into something unreadable: name the row rather than fail with the driver.
        seq = session.execute(select(func.max(CHECKPOINTS.c.seq))).scalar_one()
        raise AuditChainBroken(seq, "malformed checkpoint: recorded_at is not a time") from None
    return None if row is None else Checkpoint(row.seq, row.hash, row.recorded_at, row.written_to)


def record_checkpoint(session: Session, sink: CheckpointSink | None, *, clock: Clock) -> Checkpoint | None:
    """Record the current head, in the caller's transaction; None when there is nothing new to record (no
    events yet, or the last checkpoint is the head and already has its write-once copy when a store is
    configured). Raises `AuditChainBroken` when the events since the last checkpoint do not check out, and
    the sink's errors (`SourceUnavailable`, `Misconfigured`) when the write-once copy cannot be written."""
    current = audit.head(session)
    if current.seq == 0:
        return None
    last = latest(session)
    if last is not None and last.head == current and (sink is None or last.written_to is not None):
        return None
    start = audit.base(session)
    if last is not None and last.seq >= start.seq:
        if last.seq > current.seq:
            raise AuditChainBroken(
                last.seq,
                f"checkpoint {last.head} is past the head {current}: events were deleted (truncated)",
            )
        if last.seq == current.seq and last.hash != current.hash:
            raise AuditChainBroken(
                last.seq, f"checkpoint {last.head} and the head {current} disagree (rewritten)"
            )
        start = last.head
    try:
        audit.verify_segment(session, start, current)
    except AuditChainBroken as exc:
        raise exc.with_consequence("no checkpoint recorded over it") from None
    recorded_at = clock.now()
    written_to = sink.write(current.seq, current.hash, recorded_at) if sink is not None else None
    checkpoint = Checkpoint(current.seq, current.hash, recorded_at, written_to)
    if last is not None and last.seq == current.seq:
        session.execute(
            CHECKPOINTS.update().where(CHECKPOINTS.c.seq == current.seq).values(written_to=written_to)
        )
        return Checkpoint(current.seq, current.hash, last.recorded_at, written_to)
    session.execute(
        CHECKPOINTS.insert().values(
            seq=checkpoint.seq, hash=checkpoint.hash, recorded_at=recorded_at, written_to=written_to
        )
    )
    return checkpoint


def verify_checkpoints(session: Session, sink: CheckpointSink | None) -> CheckpointReport:
    """Every checkpoint (table rows, and write-once records when `sink` is given) must be in the chain at
    its seq with its hash; every write-once checkpoint must have its row, with the same hash; every row
    that says it was written to this store must be there; with a store, a purged chain's base must be
    attested there. Raises `AuditChainBroken` naming the first problem: a checkpoint missing from the chain
    (lowest seq; the write-once copy before the row) before a disagreement between table and store. Run
    it after `audit.verify`, which proves the chain itself from its base to its head."""
    start = audit.base(session)
    columns = (CHECKPOINTS.c.seq, CHECKPOINTS.c.hash, CHECKPOINTS.c.written_to)
    rows = [_Stored(*r) for r in session.execute(select(*columns).order_by(CHECKPOINTS.c.seq)).all()]
    records = sorted(sink.read_all(), key=lambda r: (r.seq, r.kind)) if sink is not None else []
    chain = _hashes_at(session, {r.seq for r in rows} | {r.seq for r in records}, start)
    # Checkpoints missing from the chain first (the write-once copy before the row at the same seq), then
    # disagreements between the table and the store; the lowest seq first within each.
    missing: list[tuple[int, int, AuditChainBroken]] = []
    for row in rows:
        problem = _compare(row.seq, row.hash, f"checkpoint {row.head} (database)", chain, start)
        if problem is not None:
            missing.append((row.seq, 1, problem))
    disagreements: list[AuditChainBroken] = []
    if sink is not None:
        attested = start.seq == 0 or any(
            r.kind is CheckpointKind.BASE and (r.seq, r.hash) == (start.seq, start.hash) for r in records
        )
        if not attested:
            missing.append((start.seq, 0, _unattested(start, sink.location)))
        for record in records:
            what = f"write-once {record.kind.value} {record.seq}:{record.hash} ({record.location})"
            problem = _compare(record.seq, record.hash, what, chain, start)
            if problem is not None:
                missing.append((record.seq, 0, problem))
        disagreements = _cross_check(rows, records, sink.location)
    problems = [p for _, _, p in sorted(missing, key=lambda m: m[:2])] + sorted(
        disagreements, key=lambda p: p.seq
    )
    if problems:
        first = problems[0]
        more = {1: "", 2: " (and 1 more problem)"}.get(
            len(problems), f" (and {len(problems) - 1} more problems)"
        )
        raise AuditChainBroken(first.seq, first.reason + more)
    return CheckpointReport(
        in_database=len(rows),
        write_once=len(records) if sink is not None else None,
        location=sink.location if sink is not None else None,
    )


def _hashes_at(session: Session, seqs: Iterable[int], start: ChainHead) -> dict[int, str]:
    wanted = sorted(seq for seq in seqs if seq > start.seq)
    found: dict[int, str] = {}
    for i in range(0, len(wanted), LOOKUP_BATCH):
        batch = wanted[i : i + LOOKUP_BATCH]
        query = select(audit.EVENTS.c.seq, audit.EVENTS.c.hash).where(audit.EVENTS.c.seq.in_(batch))
        found.update({row.seq: row.hash for row in session.execute(query)})
    return found


def _compare(
    seq: int, digest: str, what: str, chain: dict[int, str], start: ChainHead
) -> AuditChainBroken | None:
    if seq > start.seq:
        present = chain.get(seq)
        if present is None:
            return AuditChainBroken(seq, f"{what} is not in the chain: event {seq} is gone (truncated?)")
        if present != digest:
            return AuditChainBroken(seq, f"{what} is not in the chain: event {seq} now has hash {present}")
        return None
    if seq == start.seq:
        if digest != start.hash:
            return AuditChainBroken(seq, f"{what} does not match the chain's base {start}")
        return None
    return None  # purged: the base stands for it (audit.verify checks it, and _unattested with a store)


def _unattested(start: ChainHead, location: str) -> AuditChainBroken:
    return AuditChainBroken(
        start.seq,
        f"the chain starts after {start} (purged), but {location} holds no record of that purge (a purge "
        "writes one before deleting): events deleted outside `recertify audit purge`? If the store was "
        "configured after the purge, attest the base with `recertify audit checkpoint --attest-base`",
    )


def attest_base(session: Session, sink: CheckpointSink, *, clock: Clock) -> str:
    """Write the chain's current base to the write-once store, for a store configured after a purge (a
    purge attests its own base). The chain must check out first. The object's own date, set by the store,
    shows that the attestation came later than the purge, for an auditor to weigh."""
    start = audit.base(session)
    if start.seq == 0:
        raise InvalidArgument(
            "nothing was purged: the chain starts at its genesis, there is no base to attest"
        )
    audit.verify(session)
    return sink.write(start.seq, start.hash, clock.now(), kind=CheckpointKind.BASE)


def _cross_check(
    rows: list[_Stored], records: list[WrittenCheckpoint], location: str
) -> list[AuditChainBroken]:
    """The table against the write-once copies, which are the trustworthy ones."""
    problems = []
    by_seq = {row.seq: row for row in rows}
    written = {r.location for r in records}
    for record in records:
        if record.kind is not CheckpointKind.CHECKPOINT:
            continue
        row = by_seq.get(record.seq)
        if row is None:
            problems.append(
                AuditChainBroken(
                    record.seq,
                    f"write-once checkpoint {record.seq}:{record.hash} ({record.location}) has no row in "
                    "audit_checkpoint (deleted from the database)",
                )
            )
        elif row.hash != record.hash:
            problems.append(
                AuditChainBroken(
                    record.seq,
                    f"checkpoint {row.head} in the database differs from its write-once copy "
                    f"{record.seq}:{record.hash} ({record.location}): the row was edited",
                )
            )
    for row in rows:
        claimed = row.written_to if isinstance(row.written_to, str) else ""
        if claimed.startswith(location) and claimed not in written:
            problems.append(
                AuditChainBroken(
                    row.seq,
                    f"checkpoint {row.head} says it was written to {row.written_to}, which the write-once "
                    "store does not hold",
                )
            )
    return problems
