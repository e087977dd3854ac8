"""A revocation that did not remove the access opens a new review of the path that still grants it.

When the sync after a revocation still finds the same access (store, principal, level) by another path, the
revocation is `survived` (reviews.inventory.settle.settle_revocations). The owner decided to remove that
access, so the path that still grants it is put before the reviewer again at once: a one-item campaign of the
cycle that decided the revocation (its newest version), whatever that cycle says about new grants. Idempotent
per revocation (the campaign's period key).
"""

from __future__ import annotations

from sqlalchemy import and_
from sqlmodel import Session, col, select

from reviews.campaigns.triggered import latest_cycles, one_item_review
from reviews.ports import Clock
from reviews.protection import Protection
from reviews.storage.models import (
    AccessGrant,
    Campaign,
    ReviewCycle,
    Revocation,
    RevocationState,
    SyncRun,
)


def open_survival_reviews(
    session: Session, sync_run_id: int, *, clock: Clock, protection: Protection
) -> list[Campaign]:
    """One-item campaigns for the revocations the sync `sync_run_id` found survived."""
    run = session.get(SyncRun, sync_run_id)
    if run is None or run.finished_at is None:
        return []
    revoked = AccessGrant.__table__.alias("revoked")  # type: ignore[attr-defined]
    found = session.exec(
        select(Revocation, AccessGrant)
        .join(revoked, revoked.c.id == Revocation.grant_id)
        .join(
            AccessGrant,
            and_(
                col(AccessGrant.store_id) == Revocation.store_id,
                col(AccessGrant.principal_id) == Revocation.principal_id,
                col(AccessGrant.access) == revoked.c.access,
                col(AccessGrant.valid_to).is_(None),
            ),
        )
        .where(
            Revocation.system == run.source,
            Revocation.state == RevocationState.SURVIVED,
            col(Revocation.survived_at) >= run.started_at,
        )
        .order_by(col(Revocation.id))
    ).all()
    cycles = {row.name: (row, definition) for row, definition in latest_cycles(session)}
    started = []
    for revocation, grant in found:
        cycle_name = _deciding_cycle(session, revocation)
        if cycle_name is None or cycle_name not in cycles:
            continue  # no campaign decided it (nothing to ask again in its name): the alert still goes out
        cycle, definition = cycles[cycle_name]
        assert grant.id is not None  # noqa: S101  (read from the database)
        again = one_item_review(
            session, cycle, definition, grant.id, f"survived:{revocation.id}", clock, protection
        )
        if again is not None:
            started.append(again)
    return started


def _deciding_cycle(session: Session, revocation: Revocation) -> str | None:
    if revocation.campaign_id is None:
        return None
    return session.exec(
        select(ReviewCycle.name)
        .join(Campaign, col(Campaign.cycle_id) == ReviewCycle.id)
        .where(Campaign.id == revocation.campaign_id)
    ).first()
