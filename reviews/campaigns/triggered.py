"""Reviews triggered by a sync (issue 5 item 5): a new grant to a personal-data store, or access granted
again after Recertify revoked it, opens a one-item campaign with the store's owner, for every cycle whose
scope covers it and that asks for it (`review_new_grants = true`).

The first sync of a source opens none: everything is "new" then, and the scheduled campaigns review it.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from reviews.actors import Actor
from reviews.campaigns.population import exclusion_of, in_scope, open_grants
from reviews.campaigns.start import start_campaign
from reviews.cycles.definition import CycleDefinition
from reviews.ports import Clock
from reviews.protection import Protection
from reviews.storage.models import AccessGrant, Campaign, CampaignKind, ReviewCycle, SyncRun, SyncStatus

ACTOR = Actor("system:sync")


def open_triggered_reviews(
    session: Session, sync_run_id: int, *, clock: Clock, protection: Protection
) -> list[Campaign]:
    run = session.get(SyncRun, sync_run_id)
    if run is None or run.status != SyncStatus.SUCCEEDED or _first_sync(session, run):
        return []
    cycles = [(row, definition) for row, definition in latest_cycles(session) if definition.review_new_grants]
    if not cycles:
        return []
    new_ids = list(session.exec(select(AccessGrant.id).where(AccessGrant.opened_by_sync_id == sync_run_id)))
    started = []
    for view in open_grants(session, grant_ids=[grant_id for grant_id in new_ids if grant_id is not None]):
        for cycle, definition in cycles:
            if not in_scope(view, definition.scope) or exclusion_of(view, definition.exclusions):
                continue
            found = one_item_review(
                session, cycle, definition, view.grant_id, f"grant:{view.grant_id}", clock, protection
            )
            if found is not None:
                started.append(found)
    return started


def one_item_review(
    session: Session,
    cycle: ReviewCycle,
    definition: CycleDefinition,
    grant_id: int,
    period_key: str,
    clock: Clock,
    protection: Protection,
) -> Campaign | None:
    """A one-item campaign of `cycle` about one grant, started by a sync; None when its period (the key
    names what triggered it) already has one."""
    result = start_campaign(
        session,
        cycle,
        definition,
        actor=ACTOR,
        clock=clock,
        protection=protection,
        kind=CampaignKind.EVENT,
        period_key=period_key,
        grant_ids=[grant_id],
    )
    return result.campaign if result.created else None


def latest_cycles(session: Session) -> list[tuple[ReviewCycle, CycleDefinition]]:
    """The newest version of every cycle."""
    newest: dict[str, ReviewCycle] = {}
    for row in session.exec(select(ReviewCycle).order_by(col(ReviewCycle.name), col(ReviewCycle.version))):
        newest[row.name] = row
    return [(row, CycleDefinition.model_validate(row.definition)) for row in newest.values()]


def _first_sync(session: Session, run: SyncRun) -> bool:
    earlier = session.exec(
        select(SyncRun.id).where(
            SyncRun.source == run.source, SyncRun.status == SyncStatus.SUCCEEDED, col(SyncRun.id) < run.id
        )
    ).first()
    return earlier is None
