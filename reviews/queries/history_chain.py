"""Reading history from the audit chain: the events about the grants, review items and revocations a
history covers, told one by one (reviews.queries.history_events), in chain order.

Tables only say what each event is about (which store, whose access, which campaign): facts fixed when the
row was written. What happened, when, by whom and why comes from the event itself, so the history is what
the chain recorded and a later state never stands in for an earlier event.

A message to a reviewer is one event about a campaign, naming the items it listed (`item_ids`): it is told
once for each item of the history it names. So is a revocation's event: one provider change can end several
items (read and write from one membership, reviews.storage.revocation_links), and its events list them
(`items`). Chains written before items were recorded per event (no `item.opened`, notifications without
`item_ids`) are
told as far as they recorded: the campaign's start opens those items' reviews without naming a reviewer, and
a message naming no items is not attributed to any.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, or_, select
from sqlmodel import Session, SQLModel

from reviews.campaigns.frozen import frozen_grant_of
from reviews.exposure import exposed
from reviews.queries.history_entries import About, GrantRow, HistoryEntry
from reviews.queries.history_events import tell
from reviews.storage.models import AuditEvent, Campaign, Person, Principal, ReviewItem, Revocation, Store

EVENTS = SQLModel.metadata.tables[AuditEvent.__tablename__]
PEOPLE = SQLModel.metadata.tables[Person.__tablename__]
CHUNK = 1000  # bounded IN lists
CAMPAIGN_KINDS = (
    "notification.digest",
    "notification.reminder",
    "notification.escalation",
    "campaign.started",
)
PERSON_KEYS = ("by", "reviewer", "from", "to", "person", "on_behalf_of", "next_reviewer", "delegate")


@dataclass
class Subjects:
    """What a history covers, by the audit subject its events carry."""

    items: dict[str, About] = field(default_factory=dict)  # "item:N"
    revocations: dict[str, About] = field(default_factory=dict)  # "revocation:N"
    campaigns: dict[str, dict[int, About]] = field(default_factory=dict)  # "campaign:N" → its items here
    # "store:<provider id>" → (principal provider id, access) → each grant row's validity and what it is
    # about (grant events; the same access granted again is another row, and maybe not in this history)
    grants: dict[str, dict[tuple[str, str], list[tuple[GrantRow, About]]]] = field(default_factory=dict)
    reappeared: dict[str, About] = field(default_factory=dict)  # "grant:N"

    def add_item(self, item: ReviewItem, campaign: Campaign, store: Store, principal: Principal) -> None:
        assert item.id is not None and campaign.id is not None  # noqa: S101  (stored rows)
        access = frozen_grant_of(item).access
        person = None  # filled in by `told`, which names everyone at once
        about = About(
            store,
            principal,
            person,
            access,
            campaign.id,
            item.id,
            holder_id=item.holder_person_id,
            reviewer_id=item.reviewer_person_id,
        )
        self.items[f"item:{item.id}"] = about
        self.campaigns.setdefault(f"campaign:{campaign.id}", {})[item.id] = about

    def add_grant(self, grant: GrantRow) -> None:
        about = About(
            grant.store, grant.principal, None, grant.row.access, holder_id=grant.principal.person_id
        )
        key = (grant.principal.provider_id, grant.row.access)
        self.grants.setdefault(f"store:{grant.store.provider_id}", {}).setdefault(key, []).append(
            (grant, about)
        )
        self.reappeared[f"grant:{grant.row.id}"] = about

    def add_revocation(self, row: Revocation, access: str, store: Store, principal: Principal) -> None:
        about = About(
            store, principal, None, access, row.campaign_id, row.review_item_id, holder_id=principal.person_id
        )
        self.revocations[f"revocation:{row.id}"] = about

    def direct(self) -> list[str]:
        """Subjects whose every event is about this history (a store's: filtered by principal below)."""
        return sorted({*self.items, *self.revocations, *self.reappeared})

    def principals_on(self, store_subject: str) -> list[str]:
        return sorted({principal for principal, _access in self.grants[store_subject]})


def told(
    session: Session, subjects: Subjects, *, since: datetime | None, until: datetime | None
) -> list[HistoryEntry]:
    window = (since, until)
    events = list(_events(session, subjects.direct(), window))
    for store in sorted(subjects.grants):  # a store's events, only those about the principals asked about
        events += _events(session, [store], window, principals=subjects.principals_on(store))
    # Messages: a campaign's events naming one of the reviewers these items ever had (a message names the
    # reviewer whose items it lists, whoever received it), not every message of the campaign.
    reviewers = _reviewers(events, subjects)
    events += _events(session, sorted(subjects.campaigns), window, reviewers=reviewers)
    events.sort(key=lambda e: e.seq)
    opened = {e.subject for e in events if e.kind == "item.opened"}
    pairs = [(event, about) for event in events for about in _about(event, subjects, opened)]
    names = _Names(session, pairs)
    entries = []
    for event, about in pairs:
        what, detail = tell(event.kind, event.payload, names.person)
        if event.kind == "campaign.started":
            what, detail = "review_opened", "the campaign started (its reviewer was not recorded per item)"
        elif event.kind == "grant.opened":
            detail = _exposure(event.payload, about, detail)
        about = about.named(names.person(about.holder_id) if about.holder_id is not None else None)
        by = event.payload.get("by") if event.kind == "decision.recorded" else None
        actor = names.person(by) if isinstance(by, int) else names.actor(event.actor)
        entries.append(about.entry(event.seq, event.occurred_at, what, actor, detail))
    return entries


def _events(
    session: Session,
    subjects: list[str],
    window: tuple[datetime | None, datetime | None],
    *,
    principals: list[str] | None = None,
    reviewers: set[int] | None = None,
) -> Iterator[Row[Any]]:
    since, until = window
    columns = (EVENTS.c.seq, EVENTS.c.occurred_at, EVENTS.c.actor, EVENTS.c.kind, EVENTS.c.subject)
    for start in range(0, len(subjects), CHUNK):
        query = select(*columns, EVENTS.c.payload).where(
            EVENTS.c.subject.in_(subjects[start : start + CHUNK])
        )
        if since is not None:
            query = query.where(EVENTS.c.occurred_at >= since)
        if until is not None:
            query = query.where(EVENTS.c.occurred_at < until)
        if principals is not None and len(principals) <= CHUNK:  # more: every event of the store is wanted
            query = query.where(EVENTS.c.payload["principal"].as_string().in_(principals))
        if reviewers is not None:
            named = sorted(reviewers) if len(reviewers) <= CHUNK else None  # more: every message
            query = query.where(EVENTS.c.kind.in_(CAMPAIGN_KINDS))
            if named is not None:
                query = query.where(
                    or_(
                        EVENTS.c.kind == "campaign.started",
                        EVENTS.c.payload["reviewer"].as_integer().in_(named),
                    )
                )
        yield from session.execute(query)


def _reviewers(events: list[Row[Any]], subjects: Subjects) -> set[int]:
    """Every reviewer the items of this history had, as the chain recorded them (and as the rows say now)."""
    found = {about.reviewer_id for about in subjects.items.values() if about.reviewer_id is not None}
    for event in events:
        payload = event.payload if isinstance(event.payload, dict) else {}
        if event.kind in ("item.opened", "item.escalated", "item.rerouted", "decision.recorded"):
            found |= {v for k in ("reviewer", "to", "next_reviewer") if isinstance(v := payload.get(k), int)}
    return found


def _about(event: Row[Any], subjects: Subjects, opened: set[str]) -> Iterable[About]:
    """What one event is about, within this history: none, one, or (a message listing items) several."""
    subject, payload = event.subject, event.payload if isinstance(event.payload, dict) else {}
    listed = payload.get("items")
    if event.kind.startswith("revocation.") and isinstance(listed, list):  # one change, every item it ends
        linked = [subjects.items[f"item:{i}"] for i in listed if f"item:{i}" in subjects.items]
        if linked:
            return linked
    if subject in subjects.items:
        return [subjects.items[subject]]
    if subject in subjects.revocations:
        return [subjects.revocations[subject]]
    if subject in subjects.reappeared:
        return [subjects.reappeared[subject]]
    if subject in subjects.grants:
        rows = subjects.grants[subject].get((str(payload.get("principal")), str(payload.get("access"))), [])
        return [about for grant, about in rows if event.kind.startswith("grant.") and _during(event, grant)]
    items = subjects.campaigns.get(subject, {})
    if event.kind.startswith("notification."):
        return [items[i] for i in payload.get("item_ids") or () if isinstance(i, int) and i in items]
    if event.kind == "campaign.started":  # an older chain: no item.opened to tell who was asked
        return [about for item_id, about in items.items() if f"item:{item_id}" not in opened]
    return []


def _during(event: Row[Any], grant: GrantRow) -> bool:
    """The event happened while this grant row was open (opened and closed at its ends, inclusive)."""
    ended = grant.row.valid_to
    return grant.row.valid_from <= event.occurred_at and (ended is None or event.occurred_at <= ended)


def _exposure(payload: dict[str, Any], about: About, path_text: str) -> str:
    """A grant that is an exposure says what it means, in words, before its path."""
    exposure = exposed(
        principal_type=about.principal.type,
        principal_provider_id=about.principal.provider_id,
        principal_name=about.principal.name,
        guest=about.principal.guest,
        store_name=about.store.name,
        store_tags=about.store.tags,
        access=about.access,
        conditional=bool(payload.get("conditional")),
        path=payload.get("path") or [],
    )
    return f"{exposure.sentence}; through {path_text}" if exposure else path_text


class _Names:
    """Emails for the person ids events record, and for the actors they name (a Slack user id is its
    person's email when that person is known), read once for the whole history."""

    def __init__(self, session: Session, pairs: list[tuple[Row[Any], About]]) -> None:
        ids: set[int] = {a.holder_id for _e, a in pairs if a.holder_id is not None}
        slack: set[str] = set()
        for event, _about in pairs:
            payload = event.payload if isinstance(event.payload, dict) else {}
            ids |= {v for k in PERSON_KEYS if isinstance(v := payload.get(k), int)}
            if event.actor.startswith("slack:"):
                slack.add(event.actor.removeprefix("slack:"))
        self.emails: dict[int, str] = {}
        self.slack: dict[str, str] = {}
        wanted = sorted(ids)
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            query = select(PEOPLE.c.id, PEOPLE.c.email).where(PEOPLE.c.id.in_(chunk))
            self.emails.update((i, email) for i, email in session.execute(query).tuples())
        users = sorted(slack)
        for start in range(0, len(users), CHUNK):
            query = select(PEOPLE.c.slack_user_id, PEOPLE.c.email).where(
                PEOPLE.c.slack_user_id.in_(users[start : start + CHUNK])
            )
            self.slack |= {user: email for user, email in session.execute(query).tuples() if user}

    def person(self, person_id: Any) -> str:
        if person_id is None:
            return "nobody"
        return (
            self.emails.get(person_id, f"person {person_id}")
            if isinstance(person_id, int)
            else str(person_id)
        )

    def actor(self, actor: str) -> str:
        kind, _, rest = actor.partition(":")
        if kind == "person":
            return rest
        if kind == "slack" and rest in self.slack:
            return self.slack[rest]
        return actor
