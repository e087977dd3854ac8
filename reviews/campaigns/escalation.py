"""Escalation to the cycle's fallback reviewer, shared by the tick (a silent or unreachable reviewer,
reviews.campaigns.notify) and the deadline (reviews.campaigns.close): who answered, and the hand-over.

A reviewer who decided anything in the campaign is not silent: the tick leaves their items with them, and at
the deadline the cycle's revoke-on-silence applies to their unanswered items.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from reviews.storage.models import DecidedVia, Decision, ReviewItem


def reviewers_who_answered(session: Session, campaign_id: int | None) -> set[int]:
    """People who decided at least one item of the campaign themselves (or for whom a delegate did)."""
    rows = session.exec(
        select(Decision.decided_by_person_id, Decision.on_behalf_of_person_id)
        .join(ReviewItem, col(ReviewItem.id) == Decision.review_item_id)
        .where(ReviewItem.campaign_id == campaign_id, Decision.via != DecidedVia.POLICY)
    ).all()
    return {person for pair in rows for person in pair if person is not None}


def hand_to_fallback(item: ReviewItem, fallback_id: int, now: datetime) -> int | None:
    """Reassign an item to the fallback; it will get a fresh digest. Returns the previous reviewer."""
    previous = item.reviewer_person_id
    item.reviewer_person_id, item.reviewer_source, item.escalated_at = fallback_id, "escalation", now
    item.delivered_at, item.delivery_status, item.reminded_at = None, None, None
    return previous
