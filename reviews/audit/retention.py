"""Retention: old audit events leave only through an audited purge, and never the last `retention_months`.

`[audit] retention_months` (default 24, at least 1) is the least the chain keeps. Nothing is purged on a
schedule: an admin runs `recertify audit purge` (a dry run unless `--yes`), which

1. plans: the events to go are the longest run at the start of the remaining chain whose every event is
   older than the cut-off (`--before`, default and at most: now minus the retention). A `--before` newer
   than the retention allows is refused; an event newer than the cut-off stops the run, so nothing newer
   ever goes, even if clocks disagreed;
2. verifies the whole chain and its checkpoints, and refuses to purge one that does not check out (a purge
   must never destroy the evidence of tampering);
3. checkpoints the head (reviews.audit.checkpoints), committed before anything is deleted;
4. writes a write-once "base" record (when a store is configured): the last event that goes and its hash,
   so the write-once store can tell this purge from a deletion made behind its back;
5. in one transaction, under the chain's lock: deletes the events, moves the `audit_base` row to the last
   purged event (the first remaining event links to its hash) and appends an `audit.purged` event naming
   the range, the count, the base hash, the cut-off, the checkpoint and who purged. `audit verify` then
   walks from that base and requires the last `audit.purged` event to name it exactly.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlmodel import Session

from reviews import audit
from reviews.actors import Actor
from reviews.audit import ChainHead, checkpoints
from reviews.errors import AuditChainBroken, InvalidArgument, NotAuthorized, RecertifyError
from reviews.ports import CheckpointKind, CheckpointSink, Clock

EVENTS = audit.EVENTS


@dataclass(frozen=True, slots=True)
class PurgePlan:
    cutoff: datetime  # events older than this may go
    oldest_allowed: datetime  # the retention's limit when the plan was made: now minus retention_months
    retention_months: int
    base: ChainHead  # where the chain starts now
    through: ChainHead | None  # the last event that goes; None: nothing to purge
    count: int
    oldest_at: datetime | None  # when the first and the last of them happened
    newest_at: datetime | None

    @property
    def first_seq(self) -> int:
        return self.base.seq + 1


@dataclass(frozen=True, slots=True)
class PurgeResult:
    plan: PurgePlan
    checkpoint: ChainHead  # the head checkpointed before anything was deleted
    attested_at: str | None  # the write-once base record, when a store is configured
    event: ChainHead  # the audit.purged event


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock time `months` calendar months earlier (31 March minus one month: 28/29 Feb)."""
    year, month0 = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month0 + 1)[1])
    return moment.replace(year=year, month=month0 + 1, day=day)


def plan_purge(
    session: Session, *, retention_months: int, before: datetime | None, clock: Clock
) -> PurgePlan:
    """What a purge would remove now; changes nothing. Refuses a `before` newer than the retention allows."""
    if retention_months < 1:
        raise InvalidArgument("the retention must be at least one month")
    limit = months_before(clock.now(), retention_months)
    if before is not None and before.tzinfo is None:
        raise InvalidArgument(f"--before {before.isoformat()}: a time zone is needed")
    if before is not None and before > limit:
        raise InvalidArgument(
            f"--before {before.isoformat()} is newer than the retention allows: [audit] retention_months = "
            f"{retention_months} keeps every event since {limit.isoformat(timespec='seconds')}"
        )
    cutoff = limit if before is None else before
    start = audit.base(session)
    first_kept = session.execute(
        select(func.min(EVENTS.c.seq)).where(EVENTS.c.seq > start.seq, EVENTS.c.occurred_at >= cutoff)
    ).scalar()
    last = session.execute(select(func.max(EVENTS.c.seq))).scalar() if first_kept is None else first_kept - 1
    nothing = PurgePlan(cutoff, limit, retention_months, start, None, 0, None, None)
    if last is None or last <= start.seq:
        return nothing
    ends = session.execute(
        select(EVENTS.c.seq, EVENTS.c.hash, EVENTS.c.occurred_at)
        .where(EVENTS.c.seq.in_([start.seq + 1, last]))
        .order_by(EVENTS.c.seq)
    ).all()
    if [row.seq for row in ends] != sorted({start.seq + 1, last}):
        raise AuditChainBroken(start.seq + 1, "events are missing at the start of the chain; nothing purged")
    count = session.execute(
        select(func.count()).select_from(EVENTS).where(EVENTS.c.seq > start.seq, EVENTS.c.seq <= last)
    ).scalar_one()
    through = ChainHead(ends[-1].seq, ends[-1].hash)
    return PurgePlan(
        cutoff, limit, retention_months, start, through, count, ends[0].occurred_at, ends[-1].occurred_at
    )


def purge(
    unit_of_work: Callable[[], AbstractContextManager[Session]],
    plan: PurgePlan,
    *,
    sink: CheckpointSink | None,
    actor: Actor,
    clock: Clock,
) -> PurgeResult:
    """Carry out `plan` (from `plan_purge`): verify, checkpoint, attest, then delete and record, as the
    module says. Each step commits before the next starts; the deletion re-checks the plan under the
    chain's lock and changes nothing if the chain moved underneath it."""
    if not actor.is_admin:
        raise NotAuthorized(f"only an admin may purge audit events ({actor.id} is not one)")
    through = plan.through
    if through is None:
        raise InvalidArgument("nothing to purge")
    with unit_of_work() as session:
        try:
            audit.verify(session)
            checkpoints.verify_checkpoints(session, sink)
        except AuditChainBroken as exc:
            raise exc.with_consequence("nothing was purged") from None
    with unit_of_work() as session:
        checkpoints.record_checkpoint(session, sink, clock=clock)
        latest = checkpoints.latest(session)
    if latest is None:  # the chain has events (the plan found some), so a checkpoint was just recorded
        raise RecertifyError("no checkpoint could be recorded; nothing was purged")
    attested = None
    if sink is not None:
        attested = sink.write(through.seq, through.hash, clock.now(), kind=CheckpointKind.BASE)
    with unit_of_work() as session:
        event = _delete_and_record(session, plan, through, latest.head, attested, actor=actor, clock=clock)
    return PurgeResult(plan, latest.head, attested, event)


def _delete_and_record(
    session: Session,
    plan: PurgePlan,
    through: ChainHead,
    checkpoint: ChainHead,
    attested: str | None,
    *,
    actor: Actor,
    clock: Clock,
) -> ChainHead:
    audit.lock_chain(session)
    if audit.base(session) != plan.base:
        raise RecertifyError("another purge moved the chain's base meanwhile; nothing purged: plan again")
    present = session.execute(select(EVENTS.c.hash).where(EVENTS.c.seq == through.seq)).scalar()
    if present != through.hash:
        raise AuditChainBroken(through.seq, "changed while the purge ran; nothing was purged")
    result = session.execute(delete(EVENTS).where(EVENTS.c.seq > plan.base.seq, EVENTS.c.seq <= through.seq))
    deleted = cast(CursorResult[Any], result).rowcount
    if deleted != plan.count:
        raise RecertifyError(f"expected to purge {plan.count} events, found {deleted}; nothing was purged")
    now = clock.now()
    session.execute(
        update(audit.BASE)
        .where(audit.BASE.c.id == 1)
        .values(seq=through.seq, hash=through.hash, purged_at=now, purged_by=actor.id)
    )
    payload = {
        "from_seq": plan.first_seq,
        "through_seq": through.seq,
        "count": plan.count,
        "base_hash": through.hash,
        "before": plan.cutoff,
        "retention_months": plan.retention_months,
        "oldest_at": plan.oldest_at,
        "newest_at": plan.newest_at,
        "checkpoint": str(checkpoint),
        "attested_at": attested,
    }
    return audit.append(session, audit.NewEvent(actor.id, audit.PURGED, "audit:chain", payload), clock=clock)
