"""The scheduler's jobs: which run when, and their bodies, each calling use cases with what `wiring.py`
built (the JobContext's services). Their targets are "jobs:<function>"; the scheduler stores them in the
database, and `app.py` keeps the "app:<function>" names of earlier versions resolvable."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import Engine

from cli import campaigns
from cli.common import out
from reviews.actors import SCHEDULER
from reviews.audit import checkpoints
from reviews.campaigns.start import record_refusal, start_scheduled
from reviews.campaigns.triggered import latest_cycles
from reviews.clock import SystemClock
from reviews.cycles.manage import latest_cycle
from reviews.errors import CampaignRefused, RecertifyError
from reviews.storage.db import session_scope
from scheduler import JobContext, LeadershipLost, ScheduledJob
from wiring import Wiring

logger = logging.getLogger("recertify.serve")
TICK_EVERY = timedelta(minutes=5)
CHECKPOINT_EVERY = timedelta(minutes=60)  # [audit] checkpoint_every_minutes
MISFIRE_GRACE = timedelta(hours=6)  # a start missed while no replica ran is made up this late, and no later


def scheduled_jobs(engine: Engine, *, checkpoint_every: timedelta = CHECKPOINT_EVERY) -> list[ScheduledJob]:
    """One job per scheduled cycle (its cron, its zone), the tick and the audit checkpoint."""
    with session_scope(engine) as session:
        applied = latest_cycles(session)
    jobs = [
        ScheduledJob(
            id=f"cycle:{row.name}",
            target="jobs:scheduled_cycle",
            kwargs={"cycle": row.name},
            cron=definition.schedule,
            catch_up=True,  # a start lost with a killed leader is made up at takeover (idempotent by period)
        )
        for row, definition in applied
        if definition.schedule is not None
    ]
    return [
        *jobs,
        # At takeover too: revocations a dead leader claimed, and reminders, need not wait a whole interval.
        ScheduledJob(id="tick", target="jobs:scheduled_tick", every=TICK_EVERY, catch_up=True),
        ScheduledJob(id="audit:checkpoint", target="jobs:scheduled_checkpoint", every=checkpoint_every),
    ]


def scheduled_cycle(context: JobContext, /, *, cycle: str) -> None:
    """A cycle's start: idempotent by period; a refusal (stale or failed sync) is recorded, not retried."""
    wiring: Wiring = context.services
    clock = SystemClock()
    try:
        with context.fenced_session() as session:
            row, definition = latest_cycle(session, cycle)
            started = start_scheduled(
                session,
                row,
                definition,
                actor=SCHEDULER,
                clock=clock,
                protection=wiring.protection(),
                grace=MISFIRE_GRACE,
            )
            outcome = None
            if started is not None:
                outcome = (started.campaign.period_key, started.campaign.id, started.created)
    except CampaignRefused as exc:
        with context.fenced_session() as session:
            record_refusal(session, cycle, str(exc), actor=SCHEDULER, clock=clock)
        logger.warning("scheduler: %s", exc, extra={"job": f"cycle:{cycle}"})  # stderr carries the logs
        return
    if outcome is not None:  # committed: a repeat (a catch-up, a takeover) finds the period's campaign
        period, campaign_id, created = outcome
        logger.info(
            "scheduler: cycle %s, period %s: campaign %s %s",
            *(cycle, period, campaign_id, "started" if created else "already started"),
            extra={"job": f"cycle:{cycle}"},
        )


def scheduled_tick(context: JobContext, /) -> None:
    wiring: Wiring = context.services
    campaigns.report_tick(*wiring.tick(context.fenced_session))


def scheduled_checkpoint(context: JobContext, /) -> None:
    """Record the audit chain's head (and its write-once copy) when it moved since the last checkpoint.
    A failure is logged and retried at the next run; a chain that no longer checks out is never
    checkpointed over."""
    wiring: Wiring = context.services
    try:
        sink = wiring.checkpoint_sink()
        with context.fenced_session() as session:
            recorded = checkpoints.record_checkpoint(session, sink, clock=SystemClock())
    except LeadershipLost:
        raise
    except RecertifyError as exc:
        logger.warning("scheduler: audit checkpoint failed: %s", exc, extra={"job": "audit:checkpoint"})
        return
    if recorded is not None:
        out.print(f"scheduler: audit checkpoint {recorded.head} recorded", markup=False)
