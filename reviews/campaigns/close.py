"""Closing a campaign at its deadline: every item still pending follows the cycle's no-response policy,
within the safety envelope (DESIGN §3.7): silence revokes only access whose reviewer was reached (a digest
delivered) and reminded, and only when that reviewer answered something in the campaign or the item had
already been escalated to the fallback. Everything else expires: access unchanged, reported.

A cycle whose policy is "escalate" does not close while escalated items are pending: at the deadline its
silent items go to the fallback, and the campaign stays open (overdue, reminded daily) until they are
decided or an admin closes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import defer
from sqlmodel import Session, SQLModel, col, select

from reviews import audit
from reviews.actors import Actor
from reviews.campaigns.escalation import hand_to_fallback, reviewers_who_answered
from reviews.cycles.definition import CycleDefinition, NoResponse
from reviews.cycles.manage import cycle_definition
from reviews.errors import CampaignRefused, NotAuthorized
from reviews.people.by_email import person_id_for
from reviews.ports import Clock
from reviews.storage.models import (
    Campaign,
    CampaignStatus,
    DecidedVia,
    Decision,
    DecisionOutcome,
    ItemStatus,
    ReviewItem,
)

DECISIONS = SQLModel.metadata.tables[Decision.__tablename__]


@dataclass
class CloseSummary:
    closed: bool
    kept: int = 0
    revoked: int = 0
    expired: int = 0
    escalated: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


def close_campaign(
    session: Session, campaign: Campaign, *, actor: Actor, clock: Clock, force: bool = False
) -> CloseSummary:
    """Apply the no-response policy and close. Before the deadline only an admin may close (`force`)."""
    if campaign.status != CampaignStatus.OPEN:
        raise CampaignRefused(f"campaign {campaign.id} is already closed")
    now = clock.now()
    if now < campaign.due_at and not force:
        raise CampaignRefused(
            f"campaign {campaign.id} is due {campaign.due_at:%Y-%m-%d %H:%M} UTC; closing early needs --force"
        )
    if force and not actor.is_admin:
        raise NotAuthorized("only an admin can close a campaign early or with items still escalated")
    definition = cycle_definition(session, campaign)
    pending = session.exec(
        select(ReviewItem)
        .options(defer(ReviewItem.frozen_grant), defer(ReviewItem.recommendation_evidence))  # type: ignore[arg-type]
        .where(ReviewItem.campaign_id == campaign.id, ReviewItem.status == ItemStatus.PENDING)
        .order_by(col(ReviewItem.id))
    ).all()
    summary = CloseSummary(closed=False)
    if definition.on_no_response is NoResponse.ESCALATE and not force:
        if _escalate_at_deadline(session, campaign, definition, pending, clock, summary):
            return summary
    answered = reviewers_who_answered(session, campaign.id)
    decisions: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []  # one executemany, not an ORM flush of 20,000 objects
    events: list[audit.NewEvent] = []
    for item in pending:
        outcome, reason = _no_response(item, definition, campaign, answered, now)
        summary.reasons[reason] += 1
        if outcome is None:
            status = ItemStatus.EXPIRED
            updates.append({"id": item.id, "status": status})
            summary.expired += 1
        else:
            status = ItemStatus.REVOKED if outcome is DecisionOutcome.REVOKE else ItemStatus.KEPT
            updates.append({"id": item.id, "status": status, "decided_at": now})
            summary.revoked += outcome is DecisionOutcome.REVOKE
            summary.kept += outcome is DecisionOutcome.KEEP
            decisions.append(
                {
                    "review_item_id": item.id,
                    "stage": item.stage,
                    "outcome": outcome.value,
                    "decided_at": now,
                    "via": DecidedVia.POLICY.value,
                    "context": {"actor": f"policy:{definition.name}", "reason": reason},
                    "superseded": False,
                }
            )
        events.append(
            audit.NewEvent(
                f"policy:{definition.name}",
                "item.closed_without_response",
                f"item:{item.id}",
                {"campaign": campaign.id, "status": status.value, "reason": reason},
            )
        )
    session.flush()
    for status_only in (True, False):  # executemany needs the same columns in every row
        batch = [row for row in updates if ("decided_at" not in row) == status_only]
        if batch:
            session.execute(update(ReviewItem), batch)
    if decisions:
        session.execute(insert(DECISIONS), decisions)
    campaign.status, campaign.closed_at, campaign.closed_by = CampaignStatus.CLOSED, now, actor.id
    session.add(campaign)
    events.append(
        audit.NewEvent(
            actor.id,
            "campaign.closed",
            f"campaign:{campaign.id}",
            {
                "kept_by_policy": summary.kept,
                "revoked_by_policy": summary.revoked,
                "expired": summary.expired,
                "reasons": dict(summary.reasons),
                "forced": force,
            },
        )
    )
    audit.append_many(session, events, clock=clock)
    summary.closed = True
    return summary


def _no_response(
    item: ReviewItem, definition: CycleDefinition, campaign: Campaign, answered: set[int], now: Any
) -> tuple[DecisionOutcome | None, str]:
    policy = definition.on_no_response
    if policy is NoResponse.KEEP:
        return DecisionOutcome.KEEP, "no response: the cycle keeps access"
    wants_revoke = policy is NoResponse.REVOKE or (
        policy is NoResponse.RECOMMENDATION and item.recommendation == DecisionOutcome.REVOKE
    )
    if policy is NoResponse.RECOMMENDATION and item.recommendation == DecisionOutcome.KEEP:
        return DecisionOutcome.KEEP, "no response: kept as recommended"
    if not wants_revoke:
        return None, "no response and no recommendation: access unchanged"
    if item.reviewer_person_id is None:
        return None, "no reviewer could be assigned: access unchanged"
    if item.delivered_at is None:
        return None, "the reviewer was never reached: access unchanged"
    if definition.reminders.days_before and item.reminded_at is None:
        return None, "the reviewer was not reminded: access unchanged"
    if item.escalated_at is None and item.reviewer_person_id not in answered:
        return None, "the reviewer answered nothing and was not escalated: access unchanged"
    return DecisionOutcome.REVOKE, "no response after delivery and reminders: revoked by the cycle's policy"


def _escalate_at_deadline(
    session: Session,
    campaign: Campaign,
    definition: CycleDefinition,
    pending: Sequence[ReviewItem],
    clock: Clock,
    summary: CloseSummary,
) -> bool:
    """Hand silent items to the fallback; True while the campaign must stay open for them."""
    assert definition.reviewers.fallback is not None  # noqa: S101  (validated with the cycle)
    now = clock.now()
    fallback_id = person_id_for(session, definition.reviewers.fallback, now)
    waiting = False
    for item in pending:
        if item.escalated_at is not None or item.reviewer_person_id == fallback_id:
            waiting = True  # already with the fallback: wait for them (reminded daily while overdue)
            continue
        if item.holder_person_id == fallback_id:
            continue  # the fallback cannot review their own access: this item expires at close
        previous = hand_to_fallback(item, fallback_id, now)
        session.add(item)
        summary.escalated += 1
        waiting = True
        audit.append(
            session,
            audit.NewEvent(
                f"policy:{definition.name}",
                "item.escalated",
                f"item:{item.id}",
                {
                    "campaign": campaign.id,
                    "from": previous,
                    "to": fallback_id,
                    "reason": "deadline passed without a decision",
                },
            ),
            clock=clock,
        )
    session.flush()
    return waiting
