"""What an admin does to the outbox: approve (held or planned rows), retry dead letters, undo."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, update
from sqlmodel import Session, col, select

from reviews import audit
from reviews.actors import Actor
from reviews.enforcement.outbox.rows import (
    APPROVABLE,
    UNDOABLE,
    S,
    event,
    require_admin,
    require_found,
    require_states,
    row_id,
    rowcount,
    stored_action,
)
from reviews.enforcement.settings import EnforcementSettings
from reviews.entitlements import RevocationAction, RevocationResult
from reviews.errors import (
    InvalidArgument,
    Misconfigured,
    NotFound,
    RevocationRefused,
    SourceUnavailable,
)
from reviews.ports import Clock, Connector
from reviews.storage.db import session_scope
from reviews.storage.models import Revocation
from reviews.storage.revocation_links import item_ids


def approve(
    session: Session, ids: list[int] | None, *, campaign_id: int | None, actor: Actor, clock: Clock
) -> list[int]:
    """PLANNED/HELD → APPROVED. Named ids must all be approvable (or already approved: a no-op); with only a
    campaign, its planned and held rows are approved. Returns the ids this call approved."""
    require_admin(actor, "approve revocations")
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
        require_found(ids, rows, f" in campaign {campaign_id}" if campaign_id is not None else "")
        require_states(rows, (*APPROVABLE, S.APPROVED), "approved: only planned or held ones can be")
    now, changed, events = clock.now(), [], []
    for row in rows:
        if row.state == S.APPROVED:
            continue
        events.append(
            event(actor.id, "revocation.approved", row, {"was": row.state, "hold": row.hold_reason})
        )
        row.state, row.approved_by, row.approved_at = S.APPROVED, actor.id, now
        session.add(row)
        changed.append(row_id(row))
    session.flush()
    audit.append_many(session, events, clock=clock)
    return changed


def retry_dead(session: Session, ids: list[int], actor: Actor, clock: Clock) -> list[int]:
    """FAILED_PERMANENT → APPROVED with attempts reset: an admin who fixed the cause tries again."""
    require_admin(actor, "retry dead-lettered revocations")
    rows = session.exec(
        select(Revocation).where(col(Revocation.id).in_(ids)).order_by(col(Revocation.id)).with_for_update()
    ).all()
    require_found(ids, rows, "")
    require_states(rows, (S.FAILED_PERMANENT,), "retried: only failed_permanent ones can be")
    now, events = clock.now(), []
    for row in rows:
        events.append(
            event(
                actor.id, "revocation.retried", row, {"attempts": row.attempts, "last_error": row.last_error}
            )
        )
        row.state, row.attempts, row.next_attempt_at, row.last_error = S.APPROVED, 0, None, None
        row.approved_by, row.approved_at, row.claimed_by = actor.id, now, None
        session.add(row)
    session.flush()
    audit.append_many(session, events, clock=clock)
    return [row_id(row) for row in rows]


@dataclass(frozen=True, slots=True)
class UndoResult:
    revocation_id: int
    dry_run: bool
    result: RevocationResult  # of applying the inverse; ALREADY_ABSENT: the access was already back


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
    require_admin(actor, "undo revocations")
    live = settings.mode == "live"
    with session_scope(engine) as session:
        row = session.exec(select(Revocation).where(Revocation.id == revocation_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"no revocation {revocation_id}")
        inverse = _undoable(row, connectors, clock.now())
        items = item_ids(session, row.id, row.review_item_id)  # one change, undone once for all its items
        if live:  # intent first; and no worker verifies this row any more
            row.next_attempt_at = None
            session.add(row)
            session.flush()
            audit.append(
                session,
                event(actor.id, "revocation.undo_started", row, {"inverse": inverse.description}, items),
                clock=clock,
            )
    try:
        result = connectors[row.system].revoke(inverse, dry_run=not live)
    except (SourceUnavailable, RevocationRefused, Misconfigured) as exc:
        if live:
            with session_scope(engine) as session:
                audit.append(
                    session,
                    event(actor.id, "revocation.undo_failed", row, {"error": str(exc)}, items),
                    clock=clock,
                )
        raise
    with session_scope(engine) as session:
        payload = {"result": result, "inverse": inverse.description}
        if live:
            still = and_(col(Revocation.id) == revocation_id, col(Revocation.state).in_(UNDOABLE))
            undone = update(Revocation).where(still).values(state=S.UNDONE, undone_at=clock.now())
            if rowcount(session.execute(undone)) != 1:
                raise InvalidArgument(f"revocation {revocation_id} changed state while it was being undone")
        kind = "revocation.undone" if live else "revocation.undo_dry_run"
        audit.append(session, event(actor.id, kind, row, payload, items), clock=clock)
    return UndoResult(revocation_id, not live, result)


def _undoable(row: Revocation, connectors: Mapping[str, Connector], now: datetime) -> RevocationAction:
    if row.state not in UNDOABLE or row.applied_at is None:
        raise InvalidArgument(
            f"revocation {row.id} is {row.state}: only revocations whose change was applied can be undone"
        )
    if row.inverse is None:
        raise InvalidArgument(f"revocation {row.id} recorded no inverse: there is nothing to restore")
    if row.read_back_at is None and row.next_attempt_at is not None and row.next_attempt_at > now:
        raise InvalidArgument(f"revocation {row.id} is being verified by {row.claimed_by}; try again shortly")
    if row.system not in connectors:
        raise Misconfigured(f"no {row.system} connector is configured: cannot undo revocation {row.id}")
    return stored_action(row.inverse, row.system)
