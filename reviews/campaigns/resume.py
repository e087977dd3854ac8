"""A delivery that stopped part-way is resumed, never repeated.

A digest too long for one chat message goes out as several pages, one message each. When a later page
fails (Slack down, rate limits beyond the retries), the pages before it have reached the person: the next
attempt must post only the pages that did not. The notification rows say which: one delivered row per page
posted (with the items it shows) and one failed row for the items that did not go out, all stamped with the
attempt's time (reviews.campaigns.notify). `deliveries` groups a person's rows of one kind back into
deliveries: an attempt that lists only items of an unfinished delivery continues it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from reviews.storage.models import ItemStatus, Notification, ReviewItem


@dataclass(frozen=True, slots=True)
class Resumption:
    """What to tell a person: the items, and those of them already posted to them (not posted again)."""

    items: list[ReviewItem]
    already_posted: frozenset[int]


def deliveries(rows: Sequence[Notification]) -> list[list[Notification]]:
    """`rows` (one campaign, person and kind, in id order) grouped into deliveries. An attempt is the rows
    written together (one `sent_at`); it continues the delivery before it when that one ended with a failed
    row and the attempt lists no item that delivery did not."""
    grouped: list[list[Notification]] = []
    for attempt in _attempts(rows):
        if grouped and not grouped[-1][-1].delivered:
            listed = {item_id for row in grouped[-1] for item_id in row.item_ids}
            if {item_id for row in attempt for item_id in row.item_ids} <= listed:
                grouped[-1].extend(attempt)
                continue
        grouped.append(list(attempt))
    return grouped


def resumption(
    session: Session, *, campaign_id: int, person_id: int, kind: str, items: list[ReviewItem]
) -> Resumption:
    """`items` afresh; or, when the last delivery of `kind` to the person stopped part-way and listed every
    one of `items`, that delivery's items again (decided ones included, as its pages showed them, so the
    pages come out the same) with those its posted pages showed: only the rest is posted."""
    rows = session.exec(
        select(Notification)
        .where(
            Notification.campaign_id == campaign_id,
            Notification.person_id == person_id,
            Notification.kind == kind,
        )
        .order_by(col(Notification.id))
    ).all()
    found = deliveries(rows)
    last = found[-1] if found else []
    if not last or last[-1].delivered:
        return Resumption(items, frozenset())
    listed = [item_id for row in last for item_id in row.item_ids]
    wanted = {item.id for item in items}
    if not wanted <= set(listed):
        return Resumption(items, frozenset())
    posted = frozenset(item_id for row in last if row.delivered for item_id in row.item_ids)
    if not posted:
        return Resumption(items, frozenset())  # nothing reached the person: tell it as it stands now
    again = session.exec(
        select(ReviewItem).where(col(ReviewItem.id).in_(listed)).order_by(col(ReviewItem.id))
    ).all()
    # an item handed to someone else since (an escalation) is no longer this person's to see
    kept = [item for item in again if item.id in wanted or item.status != ItemStatus.PENDING]
    return Resumption(kept, posted)


def _attempts(rows: Sequence[Notification]) -> list[list[Notification]]:
    attempts: list[list[Notification]] = []
    for row in rows:
        if attempts and attempts[-1][-1].sent_at == row.sent_at:
            attempts[-1].append(row)
        else:
            attempts.append([row])
    return attempts
