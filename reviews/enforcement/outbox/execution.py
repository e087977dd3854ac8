"""Executing the outbox: claim, call the provider, record, verify (live); or ask what would happen (dry
run)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from reviews import audit
from reviews.enforcement.outbox.envelope import stop_before_apply
from reviews.enforcement.outbox.rows import (
    DEFAULT_MAX_SYNC_AGE,
    VERIFY_FAILED,
    S,
    cas,
    due,
    event,
    row_id,
    rowcount,
    stored_action,
)
from reviews.enforcement.settings import EnforcementSettings
from reviews.entitlements import RevocationResult
from reviews.errors import (
    IncompleteSnapshot,
    Misconfigured,
    RevocationRefused,
    SourceUnavailable,
)
from reviews.inventory.source_health import source_health
from reviews.ports import Clock, Connector
from reviews.protection import Protection
from reviews.storage.db import session_scope
from reviews.storage.models import ItemStatus, ReviewItem, Revocation
from reviews.storage.revocation_links import item_ids

logger = logging.getLogger(__name__)


@dataclass
class ExecutionSummary:
    """What one `execute` call did. `outcomes`: resulting state per row touched (applied, already_absent:
    read back, for the next sync to verify; failed_retryable, failed_permanent; refused or held by the
    safety envelope re-checked at apply time; in dry-run would_apply, would_refuse, would_hold,
    already_absent, error; lost_claim when a slower worker found its claim taken over). `blocked`: reason →
    rows left waiting, not claimed."""

    mode: str
    outcomes: Counter[str] = field(default_factory=Counter)
    blocked: Counter[str] = field(default_factory=Counter)

    @property
    def processed(self) -> int:
        return sum(self.outcomes.values())

    @property
    def skipped(self) -> int:
        return sum(self.blocked.values())


@dataclass(frozen=True, slots=True)
class _Claim:
    """A row this worker holds: (worker, attempts) is the fence every later record checks."""

    id: int
    system: str
    action: dict[str, Any]
    worker: str
    attempts: int
    was: str  # the state it was claimed from
    verify_only: bool  # applied before by a worker that died before verifying
    items: tuple[int, ...] = ()  # the review items the change ends, for the audit events


def execute(
    engine: Engine,
    connectors: Mapping[str, Connector],
    *,
    settings: EnforcementSettings,
    clock: Clock,
    worker: str,
    limit: int | None = None,
    max_sync_age: timedelta = DEFAULT_MAX_SYNC_AGE,
    protection: Protection | None = None,
) -> ExecutionSummary:
    """Run due revocations, one short transaction per step, until none is due (or `limit` rows).
    `protection`: who is protected now (the composition root adds the bot's own identities); by default the
    configured list and name patterns of `settings`. Checked again before each provider call."""
    protected = protection or Protection.of(settings.protected, settings.protected_names)
    run = _Execution(
        engine, connectors, settings, clock, worker, max_sync_age, ExecutionSummary(settings.mode), protected
    )
    if settings.mode == "live":
        run.live(limit)
    else:
        run.dry_run(limit)
    run.count_blocked()
    return run.summary


@dataclass
class _Execution:
    engine: Engine
    connectors: Mapping[str, Connector]
    settings: EnforcementSettings
    clock: Clock
    worker: str
    max_sync_age: timedelta
    summary: ExecutionSummary
    protection: Protection
    blocked: dict[str, str] = field(default_factory=dict)  # system → why its rows wait

    @property
    def actor(self) -> str:
        return f"worker:{self.worker}"

    def live(self, limit: int | None) -> None:
        while limit is None or self.summary.processed < limit:
            claim = self.claim()
            if claim is None:
                return
            self.summary.outcomes[str(self.run(self.connectors[claim.system], claim))] += 1

    def claim(self) -> _Claim | None:
        """Claim one due row and commit the claim, or None when nothing (claimable) is due."""
        while True:
            now = self.clock.now()
            with session_scope(self.engine) as session:
                row = self._next(session, due(now), now, lock=True)
                if row is None:
                    return None
                was = str(row.state)  # (the CAS below updates `row` in the session too)
                verify_only = was in (S.APPLIED, S.ALREADY_ABSENT)
                if row.attempts >= self.settings.max_attempts:  # claims taken over and never finished
                    why = (
                        f"gave up after {row.attempts} attempts: {row.last_error or 'no worker finished it'}"
                    )
                    if cas(session, row, now, state=S.FAILED_PERMANENT, next_attempt_at=None, last_error=why):
                        audit.append(
                            session, event(self.actor, "revocation.dead_lettered", row, {}), clock=self.clock
                        )
                        self.summary.outcomes[str(S.FAILED_PERMANENT)] += 1
                    continue
                if not verify_only and row.applied_at is None and self.stopped(session, row, now):
                    continue  # refused or held under the configuration in force: the next row
                attempt = row.attempts + 1
                expires = now + timedelta(seconds=self.settings.claim_timeout_seconds)
                values: dict[str, Any] = {
                    "claimed_by": self.worker,
                    "attempts": attempt,
                    "next_attempt_at": expires,
                }
                if not verify_only:
                    values |= {"state": S.CLAIMED, "dry_run": False}
                if not cas(session, row, now, **values):
                    continue  # another worker took it between our read and our write (SQLite): the next one
                payload = {"worker": self.worker, "attempt": attempt, "verify_only": verify_only, "was": was}
                audit.append(session, event(self.actor, "revocation.claimed", row, payload), clock=self.clock)
                items = tuple(item_ids(session, row.id, row.review_item_id))
                return _Claim(
                    row_id(row), row.system, dict(row.action), self.worker, attempt, was, verify_only, items
                )

    def stopped(self, session: Session, row: Revocation, now: datetime) -> bool:
        """Re-check the safety envelope before any provider call (envelope.py); record a stop. True when the
        row must not run now (whether or not this worker won the race to record it)."""
        stop = stop_before_apply(session, row, self.settings, self.protection)
        if stop is None:
            return False
        refused = stop.state == S.FAILED_PERMANENT
        values = {"last_error": stop.reason} if refused else {"hold_reason": stop.reason, "approved_by": None}
        if cas(session, row, now, state=stop.state, next_attempt_at=None, **values):
            kind = "revocation.refused" if refused else "revocation.held"
            audit.append(session, event(self.actor, kind, row, {"reason": stop.reason}), clock=self.clock)
            if refused:
                for item_id in item_ids(session, row.id, row.review_item_id):
                    leave_to_a_person(session, item_id, stop.reason)
            self.summary.outcomes["refused" if refused else "held"] += 1
        return True

    def run(self, connector: Connector, claim: _Claim) -> str:
        """The provider calls for one claimed row (no transaction open), each followed by its record."""
        state = claim.was
        try:
            action = stored_action(claim.action, claim.system)
            if not claim.verify_only:
                result = connector.revoke(action, dry_run=False)
                if result == RevocationResult.DRY_RUN:
                    raise Misconfigured(f"{claim.system} connector answered a live revoke with a dry run")
                state = S.APPLIED if result == RevocationResult.APPLIED else S.ALREADY_ABSENT
                payload = {"action": action.description}
                applied = {"applied_at": self.clock.now()} if state == S.APPLIED else {}  # a write happened
                if not self.record(claim, f"revocation.{state}", payload, state=state, **applied):
                    return "lost_claim"
            gone = connector.verify(action)
        except SourceUnavailable as exc:
            return self.failed(claim, str(exc), retryable=exc.retryable)
        except (RevocationRefused, Misconfigured, IncompleteSnapshot) as exc:
            return self.failed(claim, str(exc), retryable=False)
        if not gone:
            return self.failed(claim, VERIFY_FAILED, retryable=True)
        # The change (or the target's absence) is read back: the action ran. Whether the access is gone is for
        # the next sync to say (reviews.inventory.settle.settle_revocations): another path may still grant it.
        values = {"read_back_at": self.clock.now(), "next_attempt_at": None, "last_error": None}
        return (
            state if self.record(claim, "revocation.read_back", {"state": state}, **values) else "lost_claim"
        )

    def failed(self, claim: _Claim, error: str, *, retryable: bool) -> str:
        settings, now = self.settings, self.clock.now()
        if retryable and claim.attempts < settings.max_attempts:
            backoff = min(settings.retry_max_seconds, settings.retry_base_seconds * 2 ** (claim.attempts - 1))
            state, next_at, kind = S.FAILED_RETRYABLE, now + timedelta(seconds=backoff), "retry_scheduled"
        else:
            state, next_at, kind = S.FAILED_PERMANENT, None, "dead_lettered" if retryable else "failed"
        logger.warning("revocation %s attempt %s: %s (%s)", claim.id, claim.attempts, error, state)
        payload = {"error": error, "next_attempt_at": next_at}
        if not self.record(
            claim, f"revocation.{kind}", payload, state=state, next_attempt_at=next_at, last_error=error
        ):
            return "lost_claim"
        return str(state)

    def record(self, claim: _Claim, kind: str, payload: dict[str, Any], **values: Any) -> bool:
        """Write `values` if this worker still holds the claim, with its audit event; False if it does not."""
        with session_scope(self.engine) as session:
            fence = and_(
                col(Revocation.id) == claim.id,
                col(Revocation.claimed_by) == claim.worker,
                col(Revocation.attempts) == claim.attempts,
                col(Revocation.state).in_([S.CLAIMED, S.APPLIED, S.ALREADY_ABSENT]),
            )
            if rowcount(session.execute(update(Revocation).where(fence).values(**values))) != 1:
                logger.warning(
                    "revocation %s: the claim of %s was taken over; not recorded", claim.id, claim.worker
                )
                return False
            full = {"worker": claim.worker, "attempt": claim.attempts, "items": list(claim.items), **payload}
            audit.append(
                session, audit.NewEvent(self.actor, kind, f"revocation:{claim.id}", full), clock=self.clock
            )
        return True

    def dry_run(self, limit: int | None) -> None:
        """Ask each connector what it would do for every approved row; record it; write nothing anywhere."""
        last_id, approved = 0, col(Revocation.state) == S.APPROVED
        while limit is None or self.summary.processed < limit:
            now = self.clock.now()
            with session_scope(self.engine) as session:
                row = self._next(session, and_(approved, col(Revocation.id) > last_id), now, lock=False)
                stop = (
                    None if row is None else stop_before_apply(session, row, self.settings, self.protection)
                )
            if row is None:
                return
            last_id, error = row_id(row), None
            if stop is not None:  # what the live run would do under the configuration in force now
                outcome = "would_refuse" if stop.state == S.FAILED_PERMANENT else "would_hold"
                error = stop.reason
            else:
                outcome, error = self._ask(row)
            with session_scope(self.engine) as session:
                still = and_(col(Revocation.id) == last_id, approved)
                values = {"dry_run": True, "dry_run_result": outcome, "last_error": error}
                if rowcount(session.execute(update(Revocation).where(still).values(**values))) == 1:
                    payload = {"result": outcome, "error": error, "worker": self.worker}
                    audit.append(
                        session, event(self.actor, "revocation.dry_run", row, payload), clock=self.clock
                    )
            self.summary.outcomes[outcome] += 1

    def _ask(self, row: Revocation) -> tuple[str, str | None]:
        """What the connector says it would do for `row`: (outcome, error)."""
        try:
            result = self.connectors[row.system].revoke(stored_action(row.action, row.system), dry_run=True)
            if result == RevocationResult.APPLIED:
                raise Misconfigured(f"{row.system} connector wrote during a dry run")
        except (SourceUnavailable, RevocationRefused, Misconfigured, IncompleteSnapshot) as exc:
            return "error", str(exc)
        return ("would_apply" if result == RevocationResult.DRY_RUN else "already_absent"), None

    def _next(
        self, session: Session, due: ColumnElement[bool], now: datetime, *, lock: bool
    ) -> Revocation | None:
        """The first due row of a system fit to act on (noting those that are not)."""
        for system in session.exec(select(Revocation.system).where(due).distinct()).all():
            if system not in self.connectors:
                self.blocked[system] = f"{system}: no connector configured"
                continue
            problem = source_health(session, system, now=now, max_age=self.max_sync_age).problem
            if problem is not None:  # DESIGN §3.5: a failed or stale latest sync stops revocations
                self.blocked[system] = problem
            else:
                self.blocked.pop(system, None)
        query = select(Revocation).where(due, col(Revocation.system).not_in(list(self.blocked)))
        query = query.order_by(col(Revocation.id)).limit(1)
        return session.exec(query.with_for_update(skip_locked=True) if lock else query).first()

    def count_blocked(self) -> None:
        if not self.blocked:
            return
        now = self.clock.now()
        waiting_rule = due(now) if self.settings.mode == "live" else col(Revocation.state) == S.APPROVED
        with Session(self.engine) as session:
            waiting = session.exec(
                select(Revocation.system, func.count())
                .where(waiting_rule, col(Revocation.system).in_(list(self.blocked)))
                .group_by(col(Revocation.system))
            ).all()
        for system, count in waiting:
            self.summary.blocked[self.blocked[system]] += count


def leave_to_a_person(session: Session, item_id: int, reason: str) -> None:
    """The review item of a refused revocation: its access stays, and a person must look at it."""
    item = session.get(ReviewItem, item_id)
    if item is not None:
        item.status, item.human_review_reason = ItemStatus.NEEDS_HUMAN_REVIEW, reason
        session.add(item)
