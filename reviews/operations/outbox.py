"""The revocation outbox after planning (DESIGN §1.5, §3.1, §3.8–9): approve, execute, undo, retry.

Rows arrive PLANNED, HELD (over the blast radius) or APPROVED (reviews.campaigns.plan). From there:

    approved ─claim─> claimed ─provider write─> applied | already_absent ─verify read─> verified
                         └─ error ─> failed_retryable (backoff) ─> … ─> failed_permanent (dead letter)

Intent before effect: a worker commits its claim (and its audit event) before it calls the provider, calls
the provider with no transaction open, then records what happened in a new transaction. A worker killed at
any point leaves a claim that expires (`claim_timeout_seconds`); whoever takes it over calls `revoke` again,
which observes first, so a write that did happen comes back ALREADY_ABSENT instead of being made twice. A
worker killed after recording APPLIED but before verifying leaves the row due for verification only. Every
record is fenced on (claimed_by, attempts): a worker whose claim was taken over records nothing.

Claims take one row at a time with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers share a
batch; SQLite serializes writers, and the claim's UPDATE re-checks that the row is still due (a
compare-and-set), which is what makes it safe there. Rows of a source whose latest sync is unhealthy, or
with no connector configured, are not claimed at all (DESIGN §3.5). Dry-run mode claims nothing: it asks
each connector what it would do and records the answer on the row, which stays APPROVED, so switching to
live executes exactly that plan.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, and_, or_, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from reviews import audit
from reviews.actors import Actor
from reviews.db import session_scope
from reviews.entitlements import RevocationAction, RevocationResult, action_from_json
from reviews.errors import (
    IncompleteSnapshot,
    InvalidArgument,
    Misconfigured,
    NotAuthorized,
    NotFound,
    RevocationRefused,
    SourceUnavailable,
)
from reviews.models import Revocation, RevocationState
from reviews.operations.source_health import source_health
from reviews.ports import Clock, Connector
from reviews.settings import EnforcementSettings

logger = logging.getLogger(__name__)

S = RevocationState
APPROVABLE = (S.PLANNED, S.HELD)
UNDOABLE = (S.APPLIED, S.VERIFIED)
VERIFY_FAILED = "verify read still shows the access"
DEFAULT_MAX_SYNC_AGE = timedelta(hours=26)


@dataclass
class ExecutionSummary:
    """What one `execute` call did. `outcomes`: resulting state per row touched (verified, already_absent,
    failed_retryable, failed_permanent; in dry-run would_apply, already_absent, error; lost_claim when a
    slower worker found its claim taken over). `blocked`: reason → rows left waiting, not claimed."""

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
class UndoResult:
    revocation_id: int
    dry_run: bool
    result: RevocationResult  # of applying the inverse; ALREADY_ABSENT: the access was already back


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


# ── approve / retry_dead: in the caller's transaction ────────────────────────────────────────────────


def approve(
    session: Session, ids: list[int] | None, *, campaign_id: int | None, actor: Actor, clock: Clock
) -> list[int]:
    """PLANNED/HELD → APPROVED. Named ids must all be approvable (or already approved: a no-op); with only a
    campaign, its planned and held rows are approved. Returns the ids this call approved."""
    _require_admin(actor, "approve revocations")
    if ids is None and campaign_id is None:
        raise InvalidArgument("name the revocations to approve: their ids, or a campaign")
    query = select(Revocation).order_by(col(Revocation.id)).with_for_update()
    if ids is not None:
        query = query.where(col(Revocation.id).in_(ids))
    if campaign_id is not None:
        query = query.where(Revocation.campaign_id == campaign_id)
    if ids is None:
        query = query.where(col(Revocation.state).in_(APPROVABLE))
    rows = session.exec(query).all()
    if ids is not None:
        _require_found(ids, rows, f" in campaign {campaign_id}" if campaign_id is not None else "")
        _require_states(rows, (*APPROVABLE, S.APPROVED), "approved: only planned or held ones can be")
    now, changed, events = clock.now(), [], []
    for row in rows:
        if row.state == S.APPROVED:
            continue
        events.append(
            _event(actor.id, "revocation.approved", row, {"was": row.state, "hold": row.hold_reason})
        )
        row.state, row.approved_by, row.approved_at = S.APPROVED, actor.id, now
        session.add(row)
        changed.append(_id(row))
    session.flush()
    audit.append_many(session, events, clock=clock)
    return changed


def retry_dead(session: Session, ids: list[int], actor: Actor, clock: Clock) -> list[int]:
    """FAILED_PERMANENT → APPROVED with attempts reset: an admin who fixed the cause tries again."""
    _require_admin(actor, "retry dead-lettered revocations")
    rows = session.exec(
        select(Revocation).where(col(Revocation.id).in_(ids)).order_by(col(Revocation.id)).with_for_update()
    ).all()
    _require_found(ids, rows, "")
    _require_states(rows, (S.FAILED_PERMANENT,), "retried: only failed_permanent ones can be")
    now, events = clock.now(), []
    for row in rows:
        events.append(
            _event(
                actor.id, "revocation.retried", row, {"attempts": row.attempts, "last_error": row.last_error}
            )
        )
        row.state, row.attempts, row.next_attempt_at, row.last_error = S.APPROVED, 0, None, None
        row.approved_by, row.approved_at, row.claimed_by = actor.id, now, None
        session.add(row)
    session.flush()
    audit.append_many(session, events, clock=clock)
    return [_id(row) for row in rows]


# ── execute ───────────────────────────────────────────────────────────────────────────────────────────


def execute(
    engine: Engine,
    connectors: Mapping[str, Connector],
    *,
    settings: EnforcementSettings,
    clock: Clock,
    worker: str,
    limit: int | None = None,
    max_sync_age: timedelta = DEFAULT_MAX_SYNC_AGE,
) -> ExecutionSummary:
    """Run due revocations, one short transaction per step, until none is due (or `limit` rows)."""
    run = _Execution(
        engine, connectors, settings, clock, worker, max_sync_age, ExecutionSummary(settings.mode)
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
                row = self._next(session, _due(now), now, lock=True)
                if row is None:
                    return None
                was = str(row.state)  # (the CAS below updates `row` in the session too)
                verify_only = was in (S.APPLIED, S.ALREADY_ABSENT)
                if row.attempts >= self.settings.max_attempts:  # claims taken over and never finished
                    why = (
                        f"gave up after {row.attempts} attempts: {row.last_error or 'no worker finished it'}"
                    )
                    if _cas(
                        session, row, now, state=S.FAILED_PERMANENT, next_attempt_at=None, last_error=why
                    ):
                        audit.append(
                            session, _event(self.actor, "revocation.dead_lettered", row, {}), clock=self.clock
                        )
                        self.summary.outcomes[str(S.FAILED_PERMANENT)] += 1
                    continue
                attempt = row.attempts + 1
                expires = now + timedelta(seconds=self.settings.claim_timeout_seconds)
                values: dict[str, Any] = {
                    "claimed_by": self.worker,
                    "attempts": attempt,
                    "next_attempt_at": expires,
                }
                if not verify_only:
                    values |= {"state": S.CLAIMED, "dry_run": False}
                if not _cas(session, row, now, **values):
                    continue  # another worker took it between our read and our write (SQLite): the next one
                payload = {"worker": self.worker, "attempt": attempt, "verify_only": verify_only, "was": was}
                audit.append(
                    session, _event(self.actor, "revocation.claimed", row, payload), clock=self.clock
                )
                return _Claim(_id(row), row.system, dict(row.action), self.worker, attempt, was, verify_only)

    def run(self, connector: Connector, claim: _Claim) -> str:
        """The provider calls for one claimed row (no transaction open), each followed by its record."""
        state = claim.was
        try:
            action = _action(claim.action, claim.system)
            if not claim.verify_only:
                result = connector.revoke(action, dry_run=False)
                if result == RevocationResult.DRY_RUN:
                    raise Misconfigured(f"{claim.system} connector answered a live revoke with a dry run")
                state = S.APPLIED if result == RevocationResult.APPLIED else S.ALREADY_ABSENT
                payload = {"action": action.description}
                if not self.record(
                    claim, f"revocation.{state}", payload, state=state, applied_at=self.clock.now()
                ):
                    return "lost_claim"
            gone = connector.verify(action)
        except SourceUnavailable as exc:
            return self.failed(claim, str(exc), retryable=exc.retryable)
        except (RevocationRefused, Misconfigured, IncompleteSnapshot) as exc:
            return self.failed(claim, str(exc), retryable=False)
        if not gone:
            return self.failed(claim, VERIFY_FAILED, retryable=True)
        # A target found already absent keeps that state (no write was needed), now confirmed by a read.
        final = S.VERIFIED if state == S.APPLIED else S.ALREADY_ABSENT
        values = {
            "state": final,
            "verified_at": self.clock.now(),
            "next_attempt_at": None,
            "last_error": None,
        }
        return final if self.record(claim, "revocation.verified", {}, **values) else "lost_claim"

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
            if _rowcount(session.execute(update(Revocation).where(fence).values(**values))) != 1:
                logger.warning(
                    "revocation %s: the claim of %s was taken over; not recorded", claim.id, claim.worker
                )
                return False
            full = {"worker": claim.worker, "attempt": claim.attempts, **payload}
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
            if row is None:
                return
            last_id, error = _id(row), None
            try:
                result = self.connectors[row.system].revoke(_action(row.action, row.system), dry_run=True)
                if result == RevocationResult.APPLIED:
                    raise Misconfigured(f"{row.system} connector wrote during a dry run")
                outcome = "would_apply" if result == RevocationResult.DRY_RUN else "already_absent"
            except (SourceUnavailable, RevocationRefused, Misconfigured, IncompleteSnapshot) as exc:
                outcome, error = "error", str(exc)
            with session_scope(self.engine) as session:
                still = and_(col(Revocation.id) == last_id, approved)
                values = {"dry_run": True, "dry_run_result": outcome, "last_error": error}
                if _rowcount(session.execute(update(Revocation).where(still).values(**values))) == 1:
                    payload = {"result": outcome, "error": error, "worker": self.worker}
                    audit.append(
                        session, _event(self.actor, "revocation.dry_run", row, payload), clock=self.clock
                    )
            self.summary.outcomes[outcome] += 1

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
        due = _due(now) if self.settings.mode == "live" else col(Revocation.state) == S.APPROVED
        with Session(self.engine) as session:
            waiting = session.exec(
                select(Revocation.system, func.count())
                .where(due, col(Revocation.system).in_(list(self.blocked)))
                .group_by(col(Revocation.system))
            ).all()
        for system, count in waiting:
            self.summary.blocked[self.blocked[system]] += count


# ── undo ──────────────────────────────────────────────────────────────────────────────────────────────


def undo(
    engine: Engine,
    revocation_id: int,
    connectors: Mapping[str, Connector],
    *,
    actor: Actor,
    clock: Clock,
    settings: EnforcementSettings,
) -> UndoResult:
    """Apply the recorded inverse of an applied revocation (DESIGN §3.9). Dry-run mode only reports."""
    _require_admin(actor, "undo revocations")
    live = settings.mode == "live"
    with session_scope(engine) as session:
        row = session.exec(select(Revocation).where(Revocation.id == revocation_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"no revocation {revocation_id}")
        inverse = _undoable(row, connectors, clock.now())
        if live:  # intent first; and no worker verifies this row any more
            row.next_attempt_at = None
            session.add(row)
            session.flush()
            audit.append(
                session,
                _event(actor.id, "revocation.undo_started", row, {"inverse": inverse.description}),
                clock=clock,
            )
    try:
        result = connectors[row.system].revoke(inverse, dry_run=not live)
    except (SourceUnavailable, RevocationRefused, Misconfigured) as exc:
        if live:
            with session_scope(engine) as session:
                audit.append(
                    session, _event(actor.id, "revocation.undo_failed", row, {"error": str(exc)}), clock=clock
                )
        raise
    with session_scope(engine) as session:
        payload = {"result": result, "inverse": inverse.description}
        if live:
            still = and_(col(Revocation.id) == revocation_id, col(Revocation.state).in_(UNDOABLE))
            undone = update(Revocation).where(still).values(state=S.UNDONE, undone_at=clock.now())
            if _rowcount(session.execute(undone)) != 1:
                raise InvalidArgument(f"revocation {revocation_id} changed state while it was being undone")
        kind = "revocation.undone" if live else "revocation.undo_dry_run"
        audit.append(session, _event(actor.id, kind, row, payload), clock=clock)
    return UndoResult(revocation_id, not live, result)


def _undoable(row: Revocation, connectors: Mapping[str, Connector], now: datetime) -> RevocationAction:
    if row.state not in UNDOABLE:
        raise InvalidArgument(
            f"revocation {row.id} is {row.state}: only applied or verified revocations can be undone"
        )
    if row.inverse is None:
        raise InvalidArgument(f"revocation {row.id} recorded no inverse: there is nothing to restore")
    if row.verified_at is None and row.next_attempt_at is not None and row.next_attempt_at > now:
        raise InvalidArgument(f"revocation {row.id} is being verified by {row.claimed_by}; try again shortly")
    if row.system not in connectors:
        raise Misconfigured(f"no {row.system} connector is configured: cannot undo revocation {row.id}")
    return _action(row.inverse, row.system)


# ── helpers ───────────────────────────────────────────────────────────────────────────────────────────


def _due(now: datetime) -> ColumnElement[bool]:
    """Rows a live worker may take: approved; retries whose time came; claims that expired; applied rows
    whose worker died before verifying (their claim expired too)."""
    state, next_at = col(Revocation.state), col(Revocation.next_attempt_at)
    return or_(
        state == S.APPROVED,
        and_(state.in_([S.FAILED_RETRYABLE, S.CLAIMED]), next_at <= now),
        and_(state.in_([S.APPLIED, S.ALREADY_ABSENT]), col(Revocation.verified_at).is_(None), next_at <= now),
    )


def _cas(session: Session, row: Revocation, now: datetime, **values: Any) -> bool:
    """Update `row` only if it is still as read and still due."""
    same = and_(
        col(Revocation.id) == row.id,
        col(Revocation.state) == row.state,
        col(Revocation.attempts) == row.attempts,
        _due(now),
    )
    return _rowcount(session.execute(update(Revocation).where(same).values(**values))) == 1


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


def _action(data: dict[str, Any], system: str) -> RevocationAction:
    action = action_from_json(data)
    if action.system != system:
        raise IncompleteSnapshot(f"a stored {action.system} action sits on a {system} revocation")
    return action


def _event(actor: str, kind: str, row: Revocation, payload: dict[str, Any]) -> audit.NewEvent:
    body = {"item": row.review_item_id, "campaign": row.campaign_id, **payload}
    return audit.NewEvent(actor, kind, f"revocation:{row.id}", body)


def _require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise NotAuthorized(f"only an admin may {what} ({actor.id} is not one)")


def _require_found(ids: list[int], rows: Any, where: str) -> None:
    missing = sorted(set(ids) - {row.id for row in rows})
    if missing:
        raise NotFound(f"no revocation {', '.join(map(str, missing))}{where}")


def _require_states(rows: Any, allowed: tuple[str, ...], why: str) -> None:
    refused = [f"{row.id} is {row.state}" for row in rows if row.state not in allowed]
    if refused:
        raise InvalidArgument(f"revocation {'; '.join(refused)}; nothing was {why}")


def _id(row: Revocation) -> int:
    assert row.id is not None  # noqa: S101  (rows read from the database have ids)
    return row.id
