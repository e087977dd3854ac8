"""What the scheduler runs, and the one function APScheduler ever calls.

APScheduler pickles jobs into its table, so a job names its function as text. Every job in the store names
`run_job` below, with the target's reference and keyword arguments as its arguments: `run_job` checks that
this replica still leads, resolves the target and calls it with the `JobContext` of the running scheduler.

A target is a module-level function:

    def start_due_campaigns(context: JobContext, /, **kwargs) -> None:
        with context.fenced_session() as session:   # fails with LeadershipLost after a takeover
            ...

Targets must be idempotent (by cycle and period, by outbox row…): a run may repeat after a crash or a
takeover, and runs missed while no replica led are coalesced into one.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlmodel import Session

from reviews.cycles.definition import Schedule
from reviews.storage.db import session_scope
from scheduler.leadership import Leadership, LeadershipLost

logger = logging.getLogger(__name__)

RUN_JOB = "scheduler.jobs:run_job"  # what every stored job names (keep it stable: stored jobs refer to it)


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a target receives: the database, the lease to fence its writes with, and whatever the
    composition root hands over (settings, notifier, connectors…) as `services`."""

    engine: Engine
    leadership: Leadership
    services: Any = None

    @contextmanager
    def fenced_session(self) -> Iterator[Session]:
        """A unit of work that commits only if this replica still holds the lease (checked first, held
        until commit)."""
        with session_scope(self.engine) as session:
            self.leadership.fence(session)
            yield session


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    """One job: `target` is "package.module:function", `kwargs` plain JSON values; exactly one of
    `cron` (a cycle's schedule) or `every` (an interval)."""

    id: str
    target: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    cron: Schedule | None = None
    every: timedelta | None = None
    # Run once as soon as a replica starts leading, then on schedule. APScheduler records a job's next run
    # before the run, so a leader killed mid-run loses that run; an idempotent target (a cycle's start, by
    # period) made up at takeover closes that window.
    catch_up: bool = False

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a scheduled job needs an id")
        if (self.cron is None) == (self.every is None):
            raise ValueError(f"job {self.id!r}: give exactly one of cron or every")
        if self.every is not None and self.every <= timedelta(0):
            raise ValueError(f"job {self.id!r}: the interval must be positive")
        try:
            plain = json.loads(json.dumps(self.kwargs, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"job {self.id!r}: kwargs must be plain JSON values ({exc})") from None
        if plain != self.kwargs:
            raise ValueError(f"job {self.id!r}: kwargs must be plain JSON values (tuples, non-str keys…)")
        resolve_target(self.target)  # fail at configuration, not at 3 a.m.

    def trigger(self) -> BaseTrigger:
        if self.cron is not None:
            return self.cron.trigger()
        assert self.every is not None  # noqa: S101  (checked in __post_init__)
        return IntervalTrigger(seconds=self.every.total_seconds(), timezone=UTC)

    @property
    def when(self) -> str:
        if self.cron is not None:
            return f"cron {self.cron.cron!r} {self.cron.timezone}"
        assert self.every is not None  # noqa: S101
        return f"every {self.every.total_seconds():g}s"

    @property
    def fingerprint(self) -> str:
        """Stored as the APScheduler job's name: an unchanged job keeps its next run time (and so the runs
        it missed) across restarts; a changed one is replaced."""
        return f"{self.target} {self.when}" + (" catch-up" if self.catch_up else "")


def resolve_target(reference: str) -> Callable[..., Any]:
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{reference!r}: expected 'package.module:function'")
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"{reference!r} cannot be imported: {exc}") from None
    if not callable(target):
        raise ValueError(f"{reference!r} is not callable")
    return target


_ACTIVE: dict[str, JobContext] = {}
_ACTIVE_LOCK = threading.Lock()


def activate(context: JobContext) -> None:
    """Make `context` what the jobs of lease `context.leadership.name` run with, in this process."""
    with _ACTIVE_LOCK:
        current = _ACTIVE.get(context.leadership.name)
        if current is not None and current is not context:
            raise RuntimeError(
                f"a scheduler for lease {context.leadership.name!r} already runs in this process"
            )
        _ACTIVE[context.leadership.name] = context


def deactivate(context: JobContext) -> None:
    with _ACTIVE_LOCK:
        if _ACTIVE.get(context.leadership.name) is context:
            del _ACTIVE[context.leadership.name]


def run_job(lease: str, target: str, kwargs: dict[str, Any]) -> None:
    """The function every stored job names. Runs `target` only while this replica leads."""
    with _ACTIVE_LOCK:
        context = _ACTIVE.get(lease)
    if context is None:
        logger.warning("job %s skipped: no scheduler for lease %s runs in this process", target, lease)
        return
    if not context.leadership.is_leader():
        logger.info("job %s skipped: %s does not lead", target, context.leadership.holder)
        return
    try:
        resolve_target(target)(context, **kwargs)
    except LeadershipLost as exc:
        logger.warning("job %s stopped: %s", target, exc)
