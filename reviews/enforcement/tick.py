"""What the scheduler's tick does, in order, each step idempotent: remind and escalate, close the campaigns
that are due, plan what they decided to revoke. (Executing the outbox is reviews.enforcement.outbox, which
owns its transactions.) Each step runs in a unit of work the caller provides: the scheduler's is fenced by
its lease, the CLI's is a plain transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session, col, select

from reviews.actors import Actor
from reviews.campaigns.close import CloseSummary, close_campaign
from reviews.campaigns.notify import NotifySummary, advance_notifications
from reviews.cycles.manage import cycle_definition
from reviews.enforcement.plan import PlanSummary, plan_revocations
from reviews.enforcement.settings import EnforcementSettings
from reviews.errors import NotFound
from reviews.ports import Clock, Connector, Notifier
from reviews.protection import Protection
from reviews.storage.models import Campaign, CampaignStatus, ItemStatus, ReviewItem, RevocationItem

UnitOfWork = Callable[[], AbstractContextManager[Session]]


@dataclass
class TickSummary:
    notified: NotifySummary | None = None
    closed: dict[int, CloseSummary] = field(default_factory=dict)
    planned: dict[int, PlanSummary] = field(default_factory=dict)


def run_tick(
    unit_of_work: UnitOfWork,
    *,
    notifier: Notifier | None,
    connectors: Mapping[str, Connector],
    settings: EnforcementSettings,
    protection: Protection,
    actor: Actor,
    clock: Clock,
    max_sync_age: timedelta = timedelta(hours=26),
) -> TickSummary:
    summary = TickSummary()
    if notifier is not None:
        with unit_of_work() as session:
            summary.notified = advance_notifications(session, notifier, clock=clock)
    with unit_of_work() as session:
        due = [
            c.id
            for c in session.exec(
                select(Campaign).where(
                    Campaign.status == CampaignStatus.OPEN, col(Campaign.due_at) <= clock.now()
                )
            )
        ]
    for campaign_id in due:
        with unit_of_work() as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign is not None and campaign.status == CampaignStatus.OPEN and campaign.id is not None:
                summary.closed[campaign.id] = close_campaign(session, campaign, actor=actor, clock=clock)
    for campaign_id in campaigns_to_plan(unit_of_work):
        with unit_of_work() as session:
            summary.planned[campaign_id] = plan_campaign(
                session,
                campaign_id,
                connectors,
                settings=settings,
                protection=protection,
                clock=clock,
                max_sync_age=max_sync_age,
            )
    return summary


def plan_campaign(
    session: Session,
    campaign_id: int,
    connectors: Mapping[str, Connector],
    *,
    settings: EnforcementSettings,
    protection: Protection,
    clock: Clock,
    max_sync_age: timedelta = timedelta(hours=26),
) -> PlanSummary:
    """Plan one campaign's revocations with its cycle's own settings (auto-apply, name)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} does not exist")
    definition = cycle_definition(session, campaign)
    return plan_revocations(
        session,
        campaign,
        connectors,
        settings=settings,
        protection=protection,
        auto_apply=definition.auto_apply,
        cycle_name=definition.name,
        clock=clock,
        max_sync_age=max_sync_age,
    )


def campaigns_to_plan(unit_of_work: UnitOfWork) -> list[int]:
    """Closed campaigns with revoked items that have no outbox row yet (new, or waiting on a source)."""
    with unit_of_work() as session:
        rows = session.exec(
            select(ReviewItem.campaign_id)
            .join(Campaign, col(Campaign.id) == ReviewItem.campaign_id)
            .outerjoin(RevocationItem, col(RevocationItem.review_item_id) == ReviewItem.id)
            .where(
                Campaign.status == CampaignStatus.CLOSED,
                ReviewItem.status == ItemStatus.REVOKED,
                col(RevocationItem.revocation_id).is_(None),
            )
            .distinct()
        ).all()
    return sorted(rows)
