"""The clock of `recertify serve`: APScheduler 3.11, run only by the replica that holds the lease.

Every replica runs a small supervisor thread. A follower polls `Leadership.try_acquire()`; when it wins, it
starts a BackgroundScheduler whose job store is a table of our own database (`apscheduler_jobs`), brings the
stored jobs in line with the configured ones, then lets it run. A leader re-checks its lease at the same
pace and stops its scheduler as soon as it has lost it. Two schedulers on one job store would double-run
jobs (DESIGN §6), so the lease, not APScheduler, decides who runs; `run_job` checks it again before each run.

Missed runs: coalesce (runs missed while no replica led become one run), a misfire grace of hours rather
than APScheduler's default second (which silently drops them), one instance of a job at a time. APScheduler
stores a job's next run when it hands the run to a thread, so a leader killed during a run loses it: jobs
marked `catch_up` (idempotent ones: a cycle's start) run once whenever a replica starts leading.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from scheduler.jobs import RUN_JOB, JobContext, ScheduledJob, activate, deactivate
from scheduler.leadership import Leadership, LeadershipUnavailable

logger = logging.getLogger(__name__)

JOBS_TABLE = "apscheduler_jobs"  # created by APScheduler itself; ignored by our migrations


class _SharedEngineJobStore(SQLAlchemyJobStore):
    """APScheduler disposes the engine of its store on shutdown; this one belongs to the application."""

    def shutdown(self) -> None:
        pass


class RecertifyScheduler:
    def __init__(
        self,
        engine: Engine,
        *,
        jobs: Sequence[ScheduledJob],
        leadership: Leadership,
        misfire_grace: timedelta,
        poll_interval: timedelta,
        services: Any = None,
    ) -> None:
        self._engine = engine
        self._leadership = leadership
        self._grace_seconds = int(misfire_grace.total_seconds())  # stored with each job
        self._poll = poll_interval.total_seconds()
        self._context = JobContext(engine, leadership, services)
        self._jobs = _checked(jobs)
        self._lock = threading.RLock()
        self._clock: BackgroundScheduler | None = None
        self._stop = threading.Event()
        self._supervisor: threading.Thread | None = None

    @property
    def leading(self) -> bool:
        """Whether this replica's scheduler is running (it held the lease at the last check)."""
        return self._clock is not None

    def start(self) -> None:
        """Try to lead at once (so a database that cannot carry the lock stops `serve` with
        `LeadershipUnavailable`), then keep trying, or keep checking, in a background thread."""
        if self._supervisor is not None:
            raise RuntimeError("the scheduler is already started")
        self._stop.clear()
        self._step()
        self._supervisor = threading.Thread(target=self._supervise, name="recertify-scheduler", daemon=True)
        self._supervisor.start()

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the supervisor and the scheduler (waiting for running jobs when `wait`, while still holding
        the lease), then release the lease."""
        self._stop.set()
        if self._supervisor is not None:
            self._supervisor.join()
            self._supervisor = None
        with self._lock:
            self._stop_clock(wait=wait)
        self._leadership.release()

    def sync_jobs(self, jobs: Sequence[ScheduledJob]) -> None:
        """Make the job store hold exactly `jobs` (now if leading, else when this replica next leads)."""
        with self._lock:
            self._jobs = _checked(jobs)
            if self._clock is not None:
                self._apply(self._clock)

    # --- internals ---------------------------------------------------------------------------------------

    def _supervise(self) -> None:
        while not self._stop.wait(self._poll):
            try:
                self._step()
            except LeadershipUnavailable as exc:
                logger.error("scheduler stopped: %s", exc)
                return
            except Exception:  # a broken job store must not kill the supervisor: retry at the next poll
                logger.exception("scheduler supervisor: unexpected error, retrying")

    def _step(self) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            if self._clock is not None:
                if not self._leadership.is_leader():
                    self._stop_clock(wait=False)
                return
            if self._leadership.try_acquire():
                try:
                    self._start_clock()
                except (OperationalError, InterfaceError) as exc:
                    logger.warning("scheduler could not start (%s): releasing the lease", exc.orig)
                    self._leadership.release()
                except BaseException:
                    self._leadership.release()
                    raise

    def _start_clock(self) -> None:
        clock = BackgroundScheduler(
            jobstores={"default": _SharedEngineJobStore(engine=self._engine, tablename=JOBS_TABLE)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": self._grace_seconds,
            },
            timezone=UTC,
            daemon=True,
        )
        activate(self._context)
        try:
            clock.start(paused=True)  # align the stored jobs before anything runs
            self._apply(clock)
            self._catch_up(clock)
            clock.resume()
        except BaseException:
            if clock.running:
                clock.shutdown(wait=False)
            deactivate(self._context)
            raise
        self._clock = clock
        logger.info("scheduler running on %s (%s jobs)", self._leadership.holder, len(self._jobs))

    def _stop_clock(self, *, wait: bool) -> None:
        clock, self._clock = self._clock, None
        if clock is None:
            return
        clock.shutdown(wait=wait)
        deactivate(self._context)
        logger.info("scheduler stopped on %s", self._leadership.holder)

    def _apply(self, clock: BackgroundScheduler) -> None:
        wanted = {job.id: job for job in self._jobs}
        for stored in clock.get_jobs():
            job = wanted.get(stored.id)
            if job is None:
                clock.remove_job(stored.id)
                logger.info("scheduled job %s removed", stored.id)
            elif (
                stored.name == job.fingerprint
                and tuple(stored.args) == self._args(job)
                and stored.misfire_grace_time == self._grace_seconds
            ):
                del wanted[stored.id]  # unchanged: keep its next run time, and the runs it missed
        for job in wanted.values():
            clock.add_job(
                RUN_JOB,
                trigger=job.trigger(),
                args=self._args(job),
                id=job.id,
                name=job.fingerprint,
                replace_existing=True,
            )
            logger.info("scheduled job %s: %s", job.id, job.fingerprint)

    def _catch_up(self, clock: BackgroundScheduler) -> None:
        """Due now: the jobs that make up, idempotently, a run a dead leader may have lost. The run after
        it comes from the trigger as usual, so no scheduled run is skipped."""
        now = datetime.now(UTC)
        for job in self._jobs:
            if job.catch_up:
                clock.modify_job(job.id, next_run_time=now)
                logger.info("scheduled job %s: catching up now", job.id)

    def _args(self, job: ScheduledJob) -> tuple[Any, ...]:
        return (self._leadership.name, job.target, job.kwargs)


def _checked(jobs: Sequence[ScheduledJob]) -> tuple[ScheduledJob, ...]:
    ids = [job.id for job in jobs]
    duplicates = sorted({job_id for job_id in ids if ids.count(job_id) > 1})
    if duplicates:
        raise ValueError(f"scheduled job ids must be unique: {', '.join(duplicates)}")
    return tuple(jobs)


def build_scheduler(
    engine: Engine,
    *,
    jobs: Sequence[ScheduledJob],
    leadership: Leadership,
    misfire_grace: timedelta = timedelta(hours=6),
    poll_interval: timedelta = timedelta(seconds=5),
    services: Any = None,
) -> RecertifyScheduler:
    """`poll_interval` bounds how long a takeover waits after the leader dies (plus PostgreSQL noticing
    the dead connection, immediate when the process is killed), and how long a leader that lost its lease
    keeps its scheduler running (its writes are fenced meanwhile)."""
    if misfire_grace < timedelta(seconds=1) or poll_interval <= timedelta(0):
        raise ValueError("misfire_grace must be a second or more, and poll_interval positive")
    return RecertifyScheduler(
        engine,
        jobs=jobs,
        leadership=leadership,
        misfire_grace=misfire_grace,
        poll_interval=poll_interval,
        services=services,
    )
