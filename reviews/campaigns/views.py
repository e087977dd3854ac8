"""Read models of campaigns for people: the CLI's `campaign list|show` and Slack's `/recertify status`."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from reviews.campaigns.delegation import delegators
from reviews.campaigns.notify import item_view
from reviews.errors import NotFound
from reviews.outcomes import ORDER, Classified, Outcome, RevocationFacts, classify
from reviews.ports import ItemView
from reviews.storage.models import Campaign, Person, ReviewCycle, ReviewItem, Revocation, RevocationItem


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    id: int
    cycle: str
    cycle_version: int
    period: str
    kind: str
    status: str
    started_at: datetime
    due_at: datetime
    closed_at: datetime | None
    population_count: int
    population_sha256: str
    items: dict[str, int]  # by outcome (reviews.outcomes), in the legend's order

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("started_at", "due_at", "closed_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


@dataclass(frozen=True, slots=True)
class ItemLine:
    view: ItemView
    stage: int
    reviewer: str | None
    delivery: str | None
    revocation: str | None  # the outbox state, when one was planned
    human_review_reason: str | None
    outcome: Classified = Classified(Outcome.PENDING)
    revocation_id: int | None = None  # its revocation (shared with the items the same change ends)

    def as_json(self) -> dict[str, Any]:
        return {
            **asdict(self.view),
            "stage": self.stage,
            "reviewer": self.reviewer,
            "delivery": self.delivery,
            "revocation": self.revocation,
            "human_review_reason": self.human_review_reason,
            "outcome": str(self.outcome.outcome),
            "outcome_why": self.outcome.why,
            "revocation_id": self.revocation_id,
        }


def list_campaigns(session: Session, *, status: str | None = None) -> list[CampaignSummary]:
    query = select(Campaign, ReviewCycle.name).join(ReviewCycle, col(ReviewCycle.id) == Campaign.cycle_id)
    if status:
        query = query.where(Campaign.status == status)
    rows = session.exec(query.order_by(col(Campaign.id))).all()
    counts = outcome_counts(session, [campaign.id for campaign, _ in rows if campaign.id is not None])
    return [_summary(campaign, name, counts.get(campaign.id or 0, {})) for campaign, name in rows]


def outcome_counts(session: Session, campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """Items by outcome per campaign: grouped in the database by what decides the outcome, then classified."""
    if not campaign_ids:
        return {}
    revocation = Revocation
    verified = col(revocation.verified_at).is_not(None)
    keys = (
        col(ReviewItem.campaign_id),
        col(ReviewItem.status),
        col(ReviewItem.human_review_reason),
        col(revocation.state),
        verified,
        col(revocation.hold_reason),
        col(revocation.last_error),
    )
    query = (
        sa_select(*keys, func.count())
        .select_from(ReviewItem)
        .outerjoin(RevocationItem, col(RevocationItem.review_item_id) == ReviewItem.id)
        .outerjoin(revocation, col(revocation.id) == RevocationItem.revocation_id)
        .where(col(ReviewItem.campaign_id).in_(campaign_ids))
        .group_by(*keys)
    )
    counters: dict[int, Counter[str]] = {}
    for campaign_id, status, reason, state, verified, hold, error, count in session.execute(query).tuples():
        facts = RevocationFacts(state, bool(verified), hold, error) if state is not None else None
        counters.setdefault(campaign_id, Counter())[classify(status, facts, reason).outcome] += count
    return {cid: _ordered(counter) for cid, counter in counters.items()}


def _ordered(counter: Counter[str]) -> dict[str, int]:
    return {str(o): counter[o] for o in ORDER if counter[o]}


def campaign_and_cycle_name(session: Session, campaign_id: int) -> tuple[Campaign, str]:
    """The campaign and its cycle's name, or NotFound naming the id."""
    found = session.exec(
        select(Campaign, ReviewCycle.name)
        .join(ReviewCycle, col(ReviewCycle.id) == Campaign.cycle_id)
        .where(Campaign.id == campaign_id)
    ).first()
    if found is None:
        raise NotFound(f"campaign {campaign_id} does not exist (see `recertify campaign list`)")
    return found


def show_campaign(session: Session, campaign_id: int) -> tuple[CampaignSummary, list[ItemLine]]:
    campaign, name = campaign_and_cycle_name(session, campaign_id)
    rows = (
        session.execute(
            select(ReviewItem, Person.email, Revocation)
            .outerjoin(Person, col(Person.id) == ReviewItem.reviewer_person_id)
            .outerjoin(RevocationItem, col(RevocationItem.review_item_id) == ReviewItem.id)
            .outerjoin(Revocation, col(Revocation.id) == RevocationItem.revocation_id)
            .where(ReviewItem.campaign_id == campaign_id)
            .order_by(col(ReviewItem.id))
        )
        .tuples()
        .all()
    )
    lines = [
        ItemLine(
            item_view(item),
            item.stage,
            reviewer,
            item.delivery_status,
            row.state if row else None,
            item.human_review_reason,
            classify(item.status, revocation_facts(row), item.human_review_reason),
            row.id if row else None,
        )
        for item, reviewer, row in rows
    ]
    counts = Counter(str(line.outcome.outcome) for line in lines)
    return _summary(campaign, name, _ordered(counts)), lines


def revocation_facts(row: Revocation | None) -> RevocationFacts | None:
    if row is None:
        return None
    return RevocationFacts(row.state, row.verified_at is not None, row.hold_reason, row.last_error)


def _summary(campaign: Campaign, cycle: str, counts: dict[str, int]) -> CampaignSummary:
    assert campaign.id is not None  # noqa: S101
    return CampaignSummary(
        id=campaign.id,
        cycle=cycle,
        cycle_version=campaign.cycle_version,
        period=campaign.period_key,
        kind=campaign.kind,
        status=campaign.status,
        started_at=campaign.started_at,
        due_at=campaign.due_at,
        closed_at=campaign.closed_at,
        population_count=campaign.population_count,
        population_sha256=campaign.population_sha256,
        items=counts,
    )


def outbox_rows(session: Session, *, campaign_id: int | None = None) -> list[Revocation]:
    query = select(Revocation).order_by(col(Revocation.id))
    if campaign_id is not None:
        query = query.where(Revocation.campaign_id == campaign_id)
    return list(session.exec(query).all())


def item_views(session: Session, item_ids: list[int]) -> dict[int, ItemView]:
    """The items as a reviewer sees them now (after a decision, to redraw the message they are in)."""
    if not item_ids:
        return {}
    items = session.exec(select(ReviewItem).where(col(ReviewItem.id).in_(item_ids))).all()
    return {item.id: item_view(item) for item in items if item.id is not None}


def pending_for(session: Session, person_id: int, now: datetime) -> list[tuple[str, list[ItemView]]]:
    """Every pending item a person reviews, or decides as someone's delegate now, by open campaign (their
    App Home). Never their own access: nobody may decide it (a delegate's goes to someone else)."""
    reviewers = {person_id, *delegators(session, person_id, now)}
    rows = session.exec(
        select(ReviewItem, Campaign, ReviewCycle.name)
        .join(Campaign, col(Campaign.id) == ReviewItem.campaign_id)
        .join(ReviewCycle, col(ReviewCycle.id) == Campaign.cycle_id)
        .where(
            col(ReviewItem.reviewer_person_id).in_(sorted(reviewers)),
            or_(col(ReviewItem.holder_person_id).is_(None), col(ReviewItem.holder_person_id) != person_id),
            ReviewItem.status == "pending",
            Campaign.status == "open",
        )
        .order_by(col(Campaign.due_at), col(ReviewItem.id))
    ).all()
    grouped: dict[str, list[ItemView]] = {}
    for item, campaign, cycle in rows:
        label = f"{cycle} ({campaign.period_key}), due {campaign.due_at:%Y-%m-%d}"
        grouped.setdefault(label, []).append(item_view(item))
    return list(grouped.items())
