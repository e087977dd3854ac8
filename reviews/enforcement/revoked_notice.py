"""Telling people their access was removed, why and by whom (`[slack] notify_revoked`, off by default).

Only for live revocations whose change was applied and whose access a later sync found gone (state
verified): a dry run, an access that was already absent, one that survived through another path or a
revocation still in flight tells nobody. Only for revocations verified in the last week, so switching the
setting on does not message people about last year's review. Each notice is a Notification row (kind
"revoked") and an audit event; a failed delivery is retried on later ticks, at most three times in all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from reviews import audit
from reviews.actors import SCHEDULER
from reviews.campaigns.frozen import frozen_grant_of
from reviews.ports import Clock, Notifier, RevocationNotice
from reviews.storage.models import (
    Campaign,
    Decision,
    Notification,
    Person,
    ReviewCycle,
    ReviewItem,
    Revocation,
    RevocationState,
    Store,
)
from reviews.storage.revocation_links import item_ids

NOTICE_WINDOW = timedelta(days=7)
MAX_ATTEMPTS = 3
KIND = "revoked"


@dataclass
class NoticeSummary:
    told: int = 0
    failed: int = 0
    nobody_to_tell: int = 0  # the account is linked to no person


def tell_revoked(session: Session, notifier: Notifier, *, clock: Clock) -> NoticeSummary:
    summary = NoticeSummary()
    rows = session.exec(
        select(Revocation, ReviewItem, Campaign, Store)
        .join(ReviewItem, col(ReviewItem.id) == Revocation.review_item_id)
        .join(Campaign, col(Campaign.id) == ReviewItem.campaign_id)
        .join(Store, col(Store.id) == Revocation.store_id)
        .where(
            Revocation.state == RevocationState.VERIFIED,
            col(Revocation.dry_run).is_(False),
            col(Revocation.applied_at).is_not(None),  # Recertify removed it (not: it was already gone)
            col(Revocation.verified_at) >= clock.now() - NOTICE_WINDOW,
        )
        .order_by(col(Revocation.id))
    ).all()
    delivered, failures = _earlier_notices(session, {campaign.id for _r, _i, campaign, _s in rows})
    for revocation, item, campaign, store in rows:
        assert item.id is not None and campaign.id is not None  # noqa: S101  (rows read back)
        if item.id in delivered or failures[item.id] >= MAX_ATTEMPTS:
            continue
        holder = session.get(Person, item.holder_person_id) if item.holder_person_id else None
        if holder is None:
            summary.nobody_to_tell += 1
            continue
        ended = item_ids(session, revocation.id, item.id)  # one change may end read and write: one notice
        notice = _notice(session, revocation, item, campaign, store, holder, _levels(session, ended))
        delivery = notifier.tell_revoked(notice)
        session.add(
            Notification(
                campaign_id=campaign.id,
                person_id=holder.id,
                kind=KIND,
                item_ids=ended,
                sent_at=clock.now(),
                delivered=delivery.delivered,
                channel=delivery.channel,
                message_ts=delivery.message_ts,
                error=delivery.error,
            )
        )
        payload = {
            "item": item.id,
            "items": ended,
            "campaign": campaign.id,
            "to": holder.email,
            "delivered": delivery.delivered,
        }
        if delivery.error:
            payload["error"] = delivery.error
        event = audit.NewEvent(SCHEDULER.id, "revocation.holder_told", f"revocation:{revocation.id}", payload)
        audit.append(session, event, clock=clock)
        summary.told += delivery.delivered
        summary.failed += not delivery.delivered
    session.flush()
    return summary


def _levels(session: Session, item_ids: list[int]) -> str:
    """The access levels the items name, as words: "read", "read and write"."""
    items = session.exec(select(ReviewItem).where(col(ReviewItem.id).in_(item_ids))).all()
    levels = sorted({frozen_grant_of(i).access for i in items} - {""})
    return " and ".join(levels)


def _earlier_notices(session: Session, campaign_ids: set[int | None]) -> tuple[set[int], Counter[int]]:
    delivered: set[int] = set()
    failures: Counter[int] = Counter()
    if not campaign_ids:
        return delivered, failures
    earlier = session.exec(
        select(Notification).where(Notification.kind == KIND, col(Notification.campaign_id).in_(campaign_ids))
    ).all()
    for notification in earlier:
        for item_id in notification.item_ids:
            if notification.delivered:
                delivered.add(item_id)
            else:
                failures[item_id] += 1
    return delivered, failures


def _notice(
    session: Session,
    revocation: Revocation,
    item: ReviewItem,
    campaign: Campaign,
    store: Store,
    holder: Person,
    levels: str,
) -> RevocationNotice:
    decision = session.exec(
        select(Decision)
        .where(Decision.review_item_id == item.id, col(Decision.superseded).is_(False))
        .order_by(col(Decision.decided_at).desc(), col(Decision.id).desc())
    ).first()
    if decision is None or decision.via == "policy" or decision.decided_by_person_id is None:
        decided_by = "the review policy"
        why = item.recommendation_evidence.get("reason") if item.recommendation == "revoke" else None
        reason = why or "nobody confirmed this access before the review's deadline"
    else:
        reviewer = session.get(Person, decision.decided_by_person_id)
        decided_by = reviewer.email if reviewer else "a reviewer"
        reason = decision.justification or "the reviewer did not confirm it was still needed"
    cycle = session.get(ReviewCycle, campaign.cycle_id)
    frozen = frozen_grant_of(item)
    assert revocation.verified_at is not None  # noqa: S101  (selected by state verified)
    return RevocationNotice(
        person_email=holder.email,
        person_chat_id=holder.slack_user_id,
        principal=frozen.principal.name,
        store=store.name,
        store_system=store.system,
        access=levels or frozen.access,
        path=frozen.path_steps,
        decided_by=decided_by,
        reason=str(reason),
        campaign=f"{cycle.name if cycle else 'review'} {campaign.period_key}",
        revoked_at=revocation.verified_at,
    )
