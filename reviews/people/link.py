"""Link people to their chat (Slack) accounts by email, caching the answer.

A lookup is made only for people never checked or checked longer ago than `max_age`, a few at a time (the
lookup is rate-limited: Slack allows about 50 a minute), so a large first run spreads over several syncs.
The binding is the chat account's immutable id: a later change of its email or display name changes
nothing. When an address is no longer found (Slack also answers so for a *deactivated* account), the bound
account is checked by its id: still active, the binding stays; deactivated or gone, it is unlinked (it can
no longer act). Two people resolving to one account are not guessed between: neither is linked.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, or_, select

from reviews import audit
from reviews.ports import ChatDirectory, ChatIdentity, Clock
from reviews.storage.models import Person

ACTOR = "system:people"


@dataclass(frozen=True, slots=True)
class LinkSummary:
    checked: int
    linked: int
    not_found: int
    unlinked: int
    conflicts: tuple[str, ...]
    remaining: int  # people still due for a lookup (the next run continues)


def link_chat_accounts(
    *, session: Session, directory: ChatDirectory, clock: Clock, max_age: timedelta, limit: int
) -> LinkSummary:
    now = clock.now()
    due = or_(col(Person.slack_checked_at).is_(None), col(Person.slack_checked_at) < now - max_age)
    people = session.exec(
        select(Person)
        .where(due)
        .order_by(col(Person.slack_checked_at).is_(None).desc(), col(Person.id))
        .limit(limit)
    ).all()
    linked = not_found = unlinked = 0
    conflicts: list[str] = []
    events: list[audit.NewEvent] = []
    for person in people:
        identity = directory.lookup_by_email(person.email)
        person.slack_checked_at = now
        if identity is None and person.slack_user_id is not None:
            identity = directory.account(person.slack_user_id) or ChatIdentity(person.slack_user_id, "", True)
        if identity is None:
            not_found += 1
        elif identity.deleted:
            if person.slack_user_id is not None:
                events.append(
                    audit.NewEvent(
                        ACTOR,
                        "person.chat_unlinked",
                        f"person:{person.email}",
                        {"slack_user_id": person.slack_user_id, "reason": "account deleted"},
                    )
                )
                person.slack_user_id = None
                unlinked += 1
        elif person.slack_user_id != identity.user_id:
            holder = session.exec(select(Person).where(Person.slack_user_id == identity.user_id)).first()
            if holder is not None and holder.id != person.id:
                conflicts.append(
                    f"{person.email} and {holder.email} both resolve to Slack user {identity.user_id}"
                )
                continue
            person.slack_user_id = identity.user_id
            linked += 1
            events.append(
                audit.NewEvent(
                    ACTOR, "person.chat_linked", f"person:{person.email}", {"slack_user_id": identity.user_id}
                )
            )
        session.add(person)
    session.flush()
    if events:
        audit.append_many(session, events, clock=clock)
    remaining = len(session.exec(select(Person.id).where(due)).all())
    return LinkSummary(len(people), linked, not_found, unlinked, tuple(conflicts), remaining)


def link_in_batches(
    unit_of_work: Callable[[], AbstractContextManager[Session]],
    *,
    directory: ChatDirectory,
    clock: Clock,
    max_age: timedelta,
    budget: int,
    batch: int = 50,
) -> LinkSummary:
    """`link_chat_accounts` until `budget` lookups are spent or nobody is due, one commit per `batch` (a
    failure midway keeps what was linked). The summary adds the batches up."""
    checked = linked = not_found = unlinked = remaining = 0
    conflicts: list[str] = []
    while budget > 0:
        with unit_of_work() as session:
            part = link_chat_accounts(
                session=session, directory=directory, clock=clock, max_age=max_age, limit=min(batch, budget)
            )
        checked, linked = checked + part.checked, linked + part.linked
        not_found, unlinked = not_found + part.not_found, unlinked + part.unlinked
        conflicts += part.conflicts
        budget, remaining = budget - part.checked, part.remaining
        if part.checked == 0 or remaining == 0:
            break
    return LinkSummary(checked, linked, not_found, unlinked, tuple(conflicts), remaining)
