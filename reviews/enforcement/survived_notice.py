"""Telling admins and the store's owner that a revocation did not remove the access (issue 15).

A revocation survives when the sync after it still finds the same access through another path (a second
group, a role, a change made out of band). That is the failure a review exists to prevent, so it is always
told, whatever `notify_revoked` says: to the admin channel (`[slack] admin_channel`; without one, to each
admin linked to Slack, by DM) and to each owner of the store, by DM. Each message is a Notification row
(kind "survived") and an audit event; a failed delivery is retried on later ticks, three times in all. Only
revocations that survived in the last week are told, so turning Slack on does not replay old alerts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, or_, select

from reviews import audit
from reviews.actors import SCHEDULER
from reviews.entitlements import stored_path_steps
from reviews.ports import Clock, Notifier, SurvivalNotice
from reviews.storage.models import (
    AccessGrant,
    Campaign,
    Notification,
    Person,
    Principal,
    ReviewCycle,
    Revocation,
    RevocationState,
    Store,
)

NOTICE_WINDOW = timedelta(days=7)
MAX_ATTEMPTS = 3
KIND = "survived"


@dataclass(frozen=True, slots=True)
class _Recipient:
    to: str  # a chat channel id, or a person's chat user id
    person_id: int | None  # None: the admin channel
    email: str | None


@dataclass
class SurvivalSummary:
    told: int = 0
    failed: int = 0
    nobody_to_tell: int = 0  # an owner or admin with no linked chat account


def tell_survived(
    session: Session,
    notifier: Notifier,
    *,
    clock: Clock,
    admin_channel: str,
    admins: Sequence[str],
) -> SurvivalSummary:
    """`admins`: emails or chat user ids of the admins (`[slack] admins`), told by DM when there is no
    `admin_channel`."""
    summary = SurvivalSummary()
    rows = session.exec(
        select(Revocation, Store, Principal)
        .join(Store, col(Store.id) == Revocation.store_id)
        .join(Principal, col(Principal.id) == Revocation.principal_id)
        .where(
            Revocation.state == RevocationState.SURVIVED,
            col(Revocation.survived_at) >= clock.now() - NOTICE_WINDOW,
            col(Revocation.campaign_id).is_not(None),
            col(Revocation.review_item_id).is_not(None),
        )
        .order_by(col(Revocation.id))
    ).all()
    if not rows:
        return summary
    admins_told = _admin_recipients(admin_channel, _people(session, list(admins)))
    owners: dict[int | None, list[_Recipient]] = {}  # store id -> its owners, looked up once per run
    delivered, failures = _earlier(session)
    for revocation, store, principal in rows:
        assert revocation.campaign_id is not None and revocation.review_item_id is not None  # noqa: S101
        notice = _notice(session, revocation, store, principal)
        if store.id not in owners:
            owners[store.id] = _owners(session, store, summary)
        recipients = admins_told + owners[store.id]
        for recipient in recipients:
            key = (revocation.review_item_id, recipient.person_id, recipient.to)
            if key in delivered or failures[key] >= MAX_ATTEMPTS:
                continue
            delivery = notifier.tell_survived(notice, recipient.to)
            session.add(
                Notification(
                    campaign_id=revocation.campaign_id,
                    person_id=recipient.person_id,
                    kind=KIND,
                    item_ids=[revocation.review_item_id],
                    sent_at=clock.now(),
                    delivered=delivery.delivered,
                    channel=recipient.to,  # where it was addressed: the key of the retry rule
                    message_ts=delivery.message_ts,
                    error=delivery.error,
                )
            )
            payload = {"to": recipient.email or recipient.to, "delivered": delivery.delivered}
            if delivery.error:
                payload["error"] = delivery.error
            subject = f"revocation:{revocation.id}"
            audit.append(
                session,
                audit.NewEvent(SCHEDULER.id, "revocation.survival_told", subject, payload),
                clock=clock,
            )
            summary.told += delivery.delivered
            summary.failed += not delivery.delivered
        session.flush()
    return summary


def _notice(session: Session, revocation: Revocation, store: Store, principal: Principal) -> SurvivalNotice:
    assert revocation.id is not None and revocation.survived_at is not None  # noqa: S101  (state survived)
    campaign = session.get(Campaign, revocation.campaign_id)
    cycle = session.get(ReviewCycle, campaign.cycle_id) if campaign else None
    again = session.exec(
        select(Campaign.id).where(Campaign.period_key == f"survived:{revocation.id}")
    ).first()
    revoked = revocation.action.get("description", "")
    return SurvivalNotice(
        revocation_id=revocation.id,
        store=store.name,
        store_system=store.system,
        principal=principal.name,
        access=_access(session, revocation),
        surviving_path=stored_path_steps(revocation.surviving_path),
        campaign=f"{cycle.name if cycle else 'review'} {campaign.period_key if campaign else ''}".strip(),
        survived_at=revocation.survived_at,
        review_opened=again is not None,
        change=str(revoked),
    )


def _access(session: Session, revocation: Revocation) -> str:
    grant = session.get(AccessGrant, revocation.grant_id)
    return grant.access if grant else ""


def _admin_recipients(channel: str, admins: list[Person]) -> list[_Recipient]:
    if channel:
        return [_Recipient(channel, None, None)]
    return [_Recipient(p.slack_user_id, p.id, p.email) for p in admins if p.slack_user_id]


def _owners(session: Session, store: Store, summary: SurvivalSummary) -> list[_Recipient]:
    owners = _people(session, list(store.owners))
    summary.nobody_to_tell += len(store.owners) - sum(1 for p in owners if p.slack_user_id)
    return [_Recipient(p.slack_user_id, p.id, p.email) for p in owners if p.slack_user_id]


def _people(session: Session, who: list[str]) -> list[Person]:
    """People by email or chat user id, in the order given, each once."""
    if not who:
        return []
    emails = [w.lower() for w in who if "@" in w]
    ids = [w for w in who if "@" not in w]
    found = session.exec(
        select(Person).where(or_(col(Person.email).in_(emails), col(Person.slack_user_id).in_(ids)))
    ).all()
    return sorted(found, key=lambda p: p.id or 0)


Key = tuple[int, int | None, str]  # (review item, person or None for the channel, where it was addressed)


def _earlier(session: Session) -> tuple[set[Key], Counter[Key]]:
    delivered: set[Key] = set()
    failures: Counter[Key] = Counter()
    for note in session.exec(select(Notification).where(Notification.kind == KIND)).all():
        for item_id in note.item_ids:
            key = (item_id, note.person_id, note.channel or "")
            if note.delivered:
                delivered.add(key)
            else:
                failures[key] += 1
    return delivered, failures
