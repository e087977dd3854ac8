"""What the notifier posted, read back: a chat message is a digest page only if a notification row says it
was posted, to whom and with which items (reviews.campaigns.notify records one row per message).

A click names a message (its channel and ts); everything redrawn into it comes from this record and the
database, never from what the click's payload says the message holds (block ids, a modal's
private_metadata): those come back from the client, and trusting them let one reviewer have another's whole
digest drawn into their own message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from reviews.campaigns.delegation import delegators
from reviews.campaigns.notify import item_view
from reviews.campaigns.resume import deliveries
from reviews.ports import ReviewerMessage
from reviews.storage.models import Campaign, Notification, Person, ReviewCycle, ReviewItem

DIGEST_KINDS = ("digest", "reminder", "escalation")


@dataclass(frozen=True, slots=True)
class PostedPage:
    """One page of a digest, reminder or escalation, as posted to one person."""

    campaign_id: int
    person_id: int  # to whom it was posted: the reviewer, or their delegate
    kind: str
    page: int  # 1-based, of `pages`
    pages: int
    item_ids: tuple[int, ...]  # the items this page shows
    digest_item_ids: tuple[int, ...]  # the items of every page of the same delivery
    messages: tuple[tuple[str, str], ...]  # (channel, ts) of every page of the same delivery, in order


def posted_page(session: Session, *, channel: str, message_ts: str, person_id: int) -> PostedPage | None:
    """The page posted at (`channel`, `message_ts`) to `person_id`; None for any other message, including one
    posted to someone else."""
    row = session.exec(
        select(Notification)
        .where(
            Notification.channel == channel,
            Notification.message_ts == message_ts,
            col(Notification.delivered).is_(True),
            col(Notification.kind).in_(DIGEST_KINDS),
        )
        .order_by(col(Notification.id).desc())
    ).first()
    if row is None or row.person_id != person_id or row.id is None:
        return None
    # The pages of one delivery: its person, kind and channel, written by one attempt (one time), or by the
    # attempts that resumed it after it stopped part-way (reviews.campaigns.resume). Only two deliveries to
    # the same person at the same instant, which a frozen test clock can make, would be taken for one.
    rows = session.exec(
        select(Notification)
        .where(
            Notification.campaign_id == row.campaign_id,
            Notification.person_id == person_id,
            Notification.kind == row.kind,
        )
        .order_by(col(Notification.id))
    ).all()
    (delivery,) = [rows for rows in deliveries(rows) if any(sibling.id == row.id for sibling in rows)]
    siblings = [sibling for sibling in delivery if sibling.delivered and sibling.channel == channel]
    ids = [sibling.id for sibling in siblings]
    return PostedPage(
        campaign_id=row.campaign_id,
        person_id=person_id,
        kind=row.kind,
        page=ids.index(row.id) + 1,
        pages=len(siblings),
        item_ids=tuple(int(item_id) for item_id in row.item_ids),
        digest_item_ids=tuple(int(item_id) for sibling in siblings for item_id in sibling.item_ids),
        messages=tuple((channel, str(sibling.message_ts)) for sibling in siblings if sibling.message_ts),
    )


def page_message(session: Session, page: PostedPage, now: datetime) -> ReviewerMessage:
    """The page's delivery as it stands now, for redrawing: its items the person still holds (as reviewer or
    as a delegate), decided or not; items handed on since (a second stage, an escalation) drop out, as they
    are no longer theirs to decide."""
    campaign, cycle = session.exec(
        select(Campaign, ReviewCycle.name)
        .join(ReviewCycle, col(ReviewCycle.id) == Campaign.cycle_id)
        .where(Campaign.id == page.campaign_id)
    ).one()
    person = session.get(Person, page.person_id)
    assert person is not None  # noqa: S101  (foreign key)
    deciders = {page.person_id, *delegators(session, page.person_id, now)}
    items = session.exec(
        select(ReviewItem)
        .where(col(ReviewItem.id).in_(page.digest_item_ids), ReviewItem.campaign_id == page.campaign_id)
        .order_by(col(ReviewItem.id))
    ).all()
    return ReviewerMessage(
        kind=page.kind,
        campaign_id=page.campaign_id,
        campaign=f"{cycle} ({campaign.period_key})",
        due_at=campaign.due_at,
        reviewer_email=person.email,
        reviewer_chat_id=person.slack_user_id,
        items=tuple(
            item_view(item)
            for item in items
            if item.reviewer_person_id in deciders and item.holder_person_id != page.person_id
        ),
    )
