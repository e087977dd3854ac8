"""Reaching reviewers: one digest per reviewer per campaign, reminders on the cycle's days, escalation of
silent reviewers to the fallback. Every attempt is recorded (notification rows, the item's delivery state):
the no-response rule revokes only what reached a reviewer who was reminded (DESIGN §3.7). A reviewer's
items reach their delegate, except the delegate's own access (reviews.campaigns.handover). Each message
posted is its own notification row (channel, ts, the items it shows): what the bot redraws after a click,
and what a digest that stopped part-way resumes from, never posting a page twice (reviews.campaigns.resume).

`advance_notifications` is idempotent: run it as often as you like (the scheduler's tick does); it sends
only what is due and not yet sent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from reviews import audit
from reviews.campaigns.delegation import active_delegations
from reviews.campaigns.escalation import hand_to_fallback, reviewers_who_answered
from reviews.campaigns.frozen import frozen_grant_of
from reviews.campaigns.handover import reroute_own_access
from reviews.campaigns.resume import resumption
from reviews.cycles.definition import CycleDefinition
from reviews.cycles.manage import cycle_definition
from reviews.people.by_email import person_id_for
from reviews.ports import Clock, Delivery, ItemView, Notifier, ReviewerMessage
from reviews.storage.models import Campaign, CampaignStatus, ItemStatus, Notification, Person, ReviewItem

ACTOR = "system:notifier"


@dataclass
class NotifySummary:
    sent: int = 0
    failed: int = 0
    escalated: int = 0
    rerouted: int = 0  # a delegate's own access, handed to the next reviewer in its chain
    unassigned: int = 0
    errors: list[str] = field(default_factory=list)


def advance_notifications(session: Session, notifier: Notifier, *, clock: Clock) -> NotifySummary:
    summary = NotifySummary()
    campaigns = session.exec(select(Campaign).where(Campaign.status == CampaignStatus.OPEN)).all()
    for campaign in campaigns:
        definition = cycle_definition(session, campaign)
        _escalate_silent(session, campaign, definition, clock, summary)
        summary.rerouted += reroute_own_access(session, actor=ACTOR, clock=clock, campaign_id=campaign.id)
        _send(session, campaign, definition, notifier, clock, summary)
    return summary


def _escalate_silent(
    session: Session, campaign: Campaign, definition: CycleDefinition, clock: Clock, summary: NotifySummary
) -> None:
    """Items delivered N days ago to a reviewer who decided nothing in this campaign go to the fallback."""
    if definition.escalate_after_days is None or definition.reviewers.fallback is None:
        return
    now = clock.now()
    cutoff = now - timedelta(days=definition.escalate_after_days)
    stale = session.exec(
        select(ReviewItem).where(
            ReviewItem.campaign_id == campaign.id,
            ReviewItem.status == ItemStatus.PENDING,
            col(ReviewItem.escalated_at).is_(None),
            col(ReviewItem.delivered_at).is_not(None),
            col(ReviewItem.delivered_at) <= cutoff,
        )
    ).all()
    fallback_id = person_id_for(session, definition.reviewers.fallback, now)
    active = reviewers_who_answered(session, campaign.id)
    for item in stale:
        if item.reviewer_person_id in active or item.reviewer_person_id == fallback_id:
            continue
        if item.holder_person_id == fallback_id:
            continue  # the fallback would review their own access: leave it with the reviewer
        previous = hand_to_fallback(item, fallback_id, now)
        session.add(item)
        summary.escalated += 1
        audit.append(
            session,
            audit.NewEvent(
                ACTOR,
                "item.escalated",
                f"item:{item.id}",
                {
                    "campaign": campaign.id,
                    "from": previous,
                    "to": fallback_id,
                    "silent_days": definition.escalate_after_days,
                },
            ),
            clock=clock,
        )
    session.flush()


def reminders_due(definition: CycleDefinition, campaign: Campaign, now: datetime) -> int:
    """How many reminders a reviewer should have had by now: one per configured day passed, then (when the
    campaign runs past its deadline) one a day."""
    count = sum(
        1 for days in definition.reminders.days_before if now >= campaign.due_at - timedelta(days=days)
    )
    if now > campaign.due_at and definition.reminders.daily_when_overdue:
        count += 1 + int((now - campaign.due_at) / timedelta(days=1))
    return count


def _send(
    session: Session,
    campaign: Campaign,
    definition: CycleDefinition,
    notifier: Notifier,
    clock: Clock,
    summary: NotifySummary,
) -> None:
    now = clock.now()
    pending = session.exec(
        select(ReviewItem)
        .where(ReviewItem.campaign_id == campaign.id, ReviewItem.status == ItemStatus.PENDING)
        .order_by(col(ReviewItem.id))
    ).all()
    delegations = active_delegations(session, now)
    by_recipient: dict[tuple[int, int], list[ReviewItem]] = defaultdict(list)
    for item in pending:
        if item.reviewer_person_id is None:
            summary.unassigned += 1
            continue
        reviewer_id = item.reviewer_person_id
        recipient_id = delegations.get(reviewer_id, reviewer_id)
        if recipient_id == item.holder_person_id:  # nobody else in its chain could take it (handover)
            recipient_id = reviewer_id
        by_recipient[(reviewer_id, recipient_id)].append(item)
    due = reminders_due(definition, campaign, now)
    label = f"{definition.name} ({campaign.period_key})"
    for (reviewer_id, recipient_id), items in by_recipient.items():
        to = (reviewer_id, recipient_id)
        fresh = [item for item in items if item.delivered_at is None]
        if fresh:
            kind = "escalation" if any(item.escalated_at for item in fresh) else "digest"
            # The digest carries everything pending, so the reviewer sees one list, not fragments.
            _deliver(session, campaign, label, kind, to, items, notifier, clock, summary)
            for item in items:
                item.reminders_sent = max(item.reminders_sent, due)  # reminders already passed are not owed
        elif due and min(item.reminders_sent for item in items) < due:
            if _deliver(session, campaign, label, "reminder", to, items, notifier, clock, summary):
                for item in items:
                    item.reminders_sent, item.reminded_at = due, now
                    session.add(item)
    session.flush()


def _deliver(
    session: Session,
    campaign: Campaign,
    label: str,
    kind: str,
    to: tuple[int, int],
    items: list[ReviewItem],
    notifier: Notifier,
    clock: Clock,
    summary: NotifySummary,
) -> bool:
    """`items` of reviewer `to[0]`, to person `to[1]` (the reviewer, or their delegate)."""
    now = clock.now()
    reviewer_id, target_id = to
    person = session.get(Person, target_id)
    assert person is not None and campaign.id is not None  # noqa: S101
    told = resumption(session, campaign_id=campaign.id, person_id=target_id, kind=kind, items=items)
    if told.already_posted and all(item.id in told.already_posted for item in items):
        return True  # what is still pending reached the person before the delivery stopped
    message = ReviewerMessage(
        kind=kind,
        campaign_id=campaign.id,
        campaign=label,
        due_at=campaign.due_at,
        reviewer_email=person.email,
        reviewer_chat_id=person.slack_user_id,
        items=tuple(item_view(item) for item in told.items),
        already_posted=told.already_posted,
    )
    delivery = notifier.notify(message)
    _record(session, campaign.id, target_id, kind, items, delivery, now, told.already_posted)
    shown = {item_id for posted in delivery.messages for item_id in posted.item_ids}
    reached = [item for item in items if delivery.delivered or item.id in shown]
    missed = [item for item in items if not (delivery.delivered or item.id in shown)]
    for item in reached:
        if item.delivered_at is None:
            item.delivered_at = now
        item.delivery_status = "delivered"
        session.add(item)
    if delivery.delivered:
        summary.sent += 1
    else:
        summary.failed += 1
        summary.errors.append(f"{person.email}: {delivery.error}")
        for item in missed:
            if item.delivered_at is None:
                item.delivery_status = "unreachable" if delivery.unreachable else "failed"
                session.add(item)
        if delivery.unreachable:
            summary.escalated += _escalate_unreachable(session, campaign, missed, clock)
    audit.append(
        session,
        audit.NewEvent(
            ACTOR,
            f"notification.{kind}",
            f"campaign:{campaign.id}",
            {
                "person": target_id,
                "reviewer": reviewer_id,
                "items": len(items),
                # Which items: who was asked about an item, and when, is told from the chain (issue 16).
                "item_ids": [item.id for item in items],
                "delivered": delivery.delivered,
                "error": delivery.error,
                # A failed delivery may still have posted some pages: the items those listed.
                **({} if delivery.delivered else {"reached": [item.id for item in reached]}),
            },
        ),
        clock=clock,
    )
    return delivery.delivered


def _escalate_unreachable(session: Session, campaign: Campaign, items: list[ReviewItem], clock: Clock) -> int:
    """A reviewer Slack cannot reach at all hands their items to the fallback now: waiting would only run
    out the clock, and silence never revokes what nobody saw (DESIGN §3.7)."""
    fallback = cycle_definition(session, campaign).reviewers.fallback
    now = clock.now()
    fallback_id = person_id_for(session, fallback, now) if fallback else None
    moved = 0
    for item in items:
        if (
            fallback_id is None
            or item.reviewer_person_id == fallback_id
            or item.holder_person_id == fallback_id
        ):
            continue
        previous = hand_to_fallback(item, fallback_id, now)
        session.add(item)
        moved += 1
        audit.append(
            session,
            audit.NewEvent(
                ACTOR,
                "item.escalated",
                f"item:{item.id}",
                {
                    "campaign": campaign.id,
                    "from": previous,
                    "to": fallback_id,
                    "reason": "reviewer unreachable",
                },
            ),
            clock=clock,
        )
    return moved


def _record(
    session: Session,
    campaign_id: int,
    person_id: int,
    kind: str,
    items: list[ReviewItem],
    delivery: Delivery,
    now: datetime,
    already_posted: frozenset[int],
) -> None:
    """One row per message posted (where, and the items it shows), and one for what did not go out (not
    what an earlier attempt of the same delivery posted)."""
    ids = [item.id for item in items if item.id is not None and item.id not in already_posted]
    rows = [
        Notification(
            campaign_id=campaign_id,
            person_id=person_id,
            kind=kind,
            item_ids=list(posted.item_ids),
            sent_at=now,
            delivered=True,
            channel=posted.channel,
            message_ts=posted.message_ts,
        )
        for posted in delivery.messages
    ]
    shown = {item_id for row in rows for item_id in row.item_ids}
    if not rows or not delivery.delivered:
        rows.append(
            Notification(
                campaign_id=campaign_id,
                person_id=person_id,
                kind=kind,
                item_ids=[item_id for item_id in ids if item_id not in shown],
                sent_at=now,
                delivered=delivery.delivered,
                channel=delivery.channel,
                message_ts=delivery.message_ts,
                error=delivery.error,
            )
        )
    session.add_all(rows)


def item_view(item: ReviewItem) -> ItemView:
    grant = frozen_grant_of(item)
    evidence = item.recommendation_evidence
    assert item.id is not None  # noqa: S101
    return ItemView(
        item_id=item.id,
        store=grant.store.name,
        store_system=grant.store.system,
        store_kind=grant.store.kind,
        holder=grant.principal.name,
        holder_email=grant.principal.email,
        access=grant.access,
        path=grant.path_steps,
        last_used=grant.last_used,
        last_used_source=grant.last_used_source,
        recommendation=item.recommendation,
        recommendation_reason=str(evidence.get("reason", "")),
        justification_required=item.justification_required,
        status=item.status,
        exposure=str(evidence["exposure_sentence"]) if evidence.get("exposure") else None,
    )
