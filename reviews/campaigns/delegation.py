"""Delegation: a reviewer hands all their items to someone else for a period. Recorded, audited, and read
by the decision rules (a delegate may decide) and by the notifier (the delegate gets the digest)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from reviews import audit
from reviews.actors import Actor
from reviews.errors import InvalidArgument, NotAuthorized
from reviews.ports import Clock
from reviews.storage.models import Delegation


def is_delegate(session: Session, person_id: int, delegate_id: int, now: datetime) -> bool:
    return (
        session.exec(
            select(Delegation.id).where(
                Delegation.person_id == person_id,
                Delegation.delegate_person_id == delegate_id,
                col(Delegation.valid_from) <= now,
                col(Delegation.valid_to) > now,
                col(Delegation.revoked_at).is_(None),
            )
        ).first()
        is not None
    )


def delegate(
    session: Session,
    *,
    person_id: int,
    delegate_person_id: int,
    valid_from: datetime,
    valid_to: datetime,
    actor: Actor,
    clock: Clock,
) -> Delegation:
    """A reviewer (or an admin for them) hands every item to someone else for a period."""
    if actor.person_id != person_id and not actor.is_admin:
        raise NotAuthorized("only the reviewer themself or an admin can set their delegate")
    if delegate_person_id == person_id:
        raise InvalidArgument("a reviewer cannot delegate to themself")
    if valid_to <= valid_from:
        raise InvalidArgument("a delegation must end after it starts")
    row = Delegation(
        person_id=person_id,
        delegate_person_id=delegate_person_id,
        valid_from=valid_from,
        valid_to=valid_to,
        created_at=clock.now(),
        created_by=actor.id,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        audit.NewEvent(
            actor.id,
            "delegation.created",
            f"person:{person_id}",
            {"delegate": delegate_person_id, "from": valid_from.isoformat(), "to": valid_to.isoformat()},
        ),
        clock=clock,
    )
    return row


def active_delegate(session: Session, person_id: int, now: datetime) -> int | None:
    return session.exec(
        select(Delegation.delegate_person_id)
        .where(
            Delegation.person_id == person_id,
            col(Delegation.valid_from) <= now,
            col(Delegation.valid_to) > now,
            col(Delegation.revoked_at).is_(None),
        )
        .order_by(col(Delegation.created_at).desc(), col(Delegation.id).desc())
    ).first()


def end_delegations(session: Session, *, person_id: int, actor: Actor, clock: Clock) -> int:
    """The reviewer takes their items back: every delegation of theirs still running ends now."""
    if actor.person_id != person_id and not actor.is_admin:
        raise NotAuthorized("only the reviewer themself or an admin can remove their delegate")
    now = clock.now()
    running = session.exec(
        select(Delegation).where(
            Delegation.person_id == person_id,
            col(Delegation.valid_to) > now,
            col(Delegation.revoked_at).is_(None),
        )
    ).all()
    for row in running:
        row.revoked_at = now
        session.add(row)
    session.flush()
    if running:
        audit.append(
            session,
            audit.NewEvent(
                actor.id, "delegation.ended", f"person:{person_id}", {"delegations": len(running)}
            ),
            clock=clock,
        )
    return len(running)


def delegators(session: Session, delegate_id: int, now: datetime) -> list[int]:
    """Whose items this person may decide now, as their delegate."""
    return list(
        session.exec(
            select(Delegation.person_id).where(
                Delegation.delegate_person_id == delegate_id,
                col(Delegation.valid_from) <= now,
                col(Delegation.valid_to) > now,
                col(Delegation.revoked_at).is_(None),
            )
        ).all()
    )


def active_delegations(session: Session, now: datetime) -> dict[int, int]:
    """Every reviewer handing their items to someone now → that delegate (the latest, as active_delegate)."""
    rows = session.exec(
        select(Delegation.person_id, Delegation.delegate_person_id)
        .where(
            col(Delegation.valid_from) <= now,
            col(Delegation.valid_to) > now,
            col(Delegation.revoked_at).is_(None),
        )
        .order_by(col(Delegation.created_at), col(Delegation.id))
    ).all()
    return dict(rows)  # later rows overwrite earlier ones: the latest delegation wins
