"""What the outbox modules share: the states, the due rule, the fenced compare-and-set, audit events and the
checks that name what is wrong."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, update
from sqlalchemy.orm import object_session
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from reviews import audit
from reviews.actors import Actor
from reviews.entitlements import RevocationAction, action_from_json
from reviews.errors import (
    IncompleteSnapshot,
    InvalidArgument,
    NotAuthorized,
    NotFound,
)
from reviews.storage.models import Revocation, RevocationState
from reviews.storage.revocation_links import item_ids

S = RevocationState


APPROVABLE = (S.PLANNED, S.HELD)


UNDOABLE = (S.APPLIED, S.VERIFIED, S.SURVIVED)  # of these, only rows whose change was applied (applied_at)


VERIFY_FAILED = "verify read still shows the access"


DEFAULT_MAX_SYNC_AGE = timedelta(hours=26)


def due(now: datetime) -> ColumnElement[bool]:
    """Rows a live worker may take: approved; retries whose time came; claims that expired; applied rows
    whose worker died before reading them back (their claim expired too)."""
    state, next_at = col(Revocation.state), col(Revocation.next_attempt_at)
    return or_(
        state == S.APPROVED,
        and_(state.in_([S.FAILED_RETRYABLE, S.CLAIMED]), next_at <= now),
        and_(
            state.in_([S.APPLIED, S.ALREADY_ABSENT]), col(Revocation.read_back_at).is_(None), next_at <= now
        ),
    )


def cas(session: Session, row: Revocation, now: datetime, **values: Any) -> bool:
    """Update `row` only if it is still as read and still due."""
    same = and_(
        col(Revocation.id) == row.id,
        col(Revocation.state) == row.state,
        col(Revocation.attempts) == row.attempts,
        due(now),
    )
    return rowcount(session.execute(update(Revocation).where(same).values(**values))) == 1


def rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


def stored_action(data: dict[str, Any], system: str) -> RevocationAction:
    action = action_from_json(data)
    if action.system != system:
        raise IncompleteSnapshot(f"a stored {action.system} action sits on a {system} revocation")
    return action


def event(
    actor: str, kind: str, row: Revocation, payload: dict[str, Any], items: list[int] | None = None
) -> audit.NewEvent:
    """An outbox event naming every item the change ends (`items`: read from the row's session if not
    given; the row's first item alone when it has none)."""
    if items is None:
        session = object_session(row)
        items = (
            item_ids(session, row.id, row.review_item_id)  # type: ignore[arg-type]
            if session is not None
            else [row.review_item_id]
            if row.review_item_id is not None
            else []
        )
    body = {"item": row.review_item_id, "items": items, "campaign": row.campaign_id, **payload}
    return audit.NewEvent(actor, kind, f"revocation:{row.id}", body)


def require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise NotAuthorized(f"only an admin may {what} ({actor.id} is not one)")


def require_found(ids: list[int], rows: Any, where: str) -> None:
    missing = sorted(set(ids) - {row.id for row in rows})
    if missing:
        raise NotFound(f"no revocation {', '.join(map(str, missing))}{where}")


def require_states(rows: Any, allowed: tuple[str, ...], why: str) -> None:
    refused = [f"{row.id} is {row.state}" for row in rows if row.state not in allowed]
    if refused:
        raise InvalidArgument(f"revocation {'; '.join(refused)}; nothing was {why}")


def row_id(row: Revocation) -> int:
    assert row.id is not None  # noqa: S101  (rows read from the database have ids)
    return row.id
