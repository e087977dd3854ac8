"""What happened to access, as one timeline told from the audit chain, event by event: granted, who was
asked (each delivery, reminder and escalation, from whom to whom), who decided, through which channel, under
which rule, with which justification; each step of a revocation (planned, held, refused, approved, applied,
read back, verified or survived, failed, undone). The tables only choose which events a filter covers (by
store, principal, person, campaign, reviewer, actor and time); every word of an entry comes from its event
(reviews.queries.history_chain), so a later state is never shown as an earlier event.

The same query answers `recertify audit history` and `/recertify history` in Slack, behind the auditor role.
Filters are bound parameters, never spliced into SQL: whatever an auditor types is only ever text. A filter
that names nothing (an unknown store, principal, person or campaign) is an error, not an empty history: an
auditor must not read "no events" for a typo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from reviews.actors import Actor, Role
from reviews.errors import InvalidArgument, NotAuthorized, NotFound
from reviews.queries.access import parse_window, principal_ids, store_ids
from reviews.queries.history_chain import Subjects, told
from reviews.queries.history_entries import COLUMNS, GrantRow, HistoryEntry
from reviews.storage.models import (
    AccessGrant,
    AuditEvent,
    Campaign,
    Decision,
    Person,
    Principal,
    ReviewItem,
    Revocation,
    Store,
)

__all__ = ["COLUMNS", "HistoryEntry", "HistoryFilter", "history", "history_window"]


@dataclass(frozen=True)
class HistoryFilter:
    store: str | None = None  # provider id (ARN, object id) or name
    principal: str | None = None  # provider id, name or email
    person: str | None = None  # a person's email: every principal linked to them
    campaign: int | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    reviewer: str | None = None  # a person's email: the items they were asked to review or decided
    actor: str | None = None  # who did it, as the entries name it: an email, "sync", "policy", "cli:…"


def history_window(
    since: str | None, until: str | None, *, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """`--since` (inclusive) and `--until` (inclusive: a date is its whole UTC day) as [since, until). A
    since after now, or after until, is an error that says so, not "0 events"."""
    start = parse_window(since, name="since")[0] if since is not None else None
    end = parse_window(until, name="until")[1] if until is not None else None
    if start is not None and start > now:
        raise InvalidArgument(
            f"since {since!r} is in the future (it is now {now:%Y-%m-%d %H:%M} UTC): nothing has happened "
            "since"
        )
    if start is not None and end is not None and start >= end:
        raise InvalidArgument(f"since {since!r} is after until {until!r}: no moment is in that range")
    return start, end


def history(session: Session, actor: Actor, where: HistoryFilter) -> list[HistoryEntry]:
    """In chain order (oldest first): one entry per audit event, per item it concerns. Auditors and admins
    only."""
    if Role.AUDITOR not in actor.roles and not actor.is_admin:
        raise NotAuthorized(f"only auditors and admins may read history ({actor.id} is neither)")
    stores, principals = _scope(session, where)
    reviewer = _person_id(session, where.reviewer) if where.reviewer is not None else None
    items = _items(session, where, stores, principals, reviewer)
    subjects = Subjects()
    for item, campaign, store, principal in items:
        subjects.add_item(item, campaign, store, principal)
    # A reviewer's history is their items: what they were asked and what was decided, not the grants' own
    # nor the revocations that followed.
    if reviewer is None:
        for grant in _grants(session, where, stores, principals):
            subjects.add_grant(grant)
        for row, access, store, principal in _revocations(session, where, stores, principals):
            subjects.add_revocation(row, access, store, principal)
    entries = told(session, subjects, since=where.since, until=where.until)
    if where.actor is not None:
        entries = _by_actor(session, entries, where.actor)
    return entries


def _by_actor(session: Session, entries: list[HistoryEntry], actor: str) -> list[HistoryEntry]:
    """The entries `actor` did (an email in any case); an actor found nowhere in this history is an error
    naming the actors it has, unless it is a known person's email (who simply did nothing here)."""
    wanted = actor.strip().lower() if "@" in actor else actor.strip()
    found = [e for e in entries if _is_actor(e.actor, wanted)]
    if found or ("@" in wanted and _person_id(session, wanted, missing_ok=True) is not None):
        return found
    seen = sorted({e.actor for e in entries})
    shown = ", ".join(seen[:8]) + (", …" if len(seen) > 8 else "")
    raise NotFound(f"no event has the actor {actor!r}" + (f" (actors here: {shown})" if seen else ""))


def _is_actor(actor: str, wanted: str) -> bool:
    """ "policy" names every cycle's policy ("policy:<cycle>"), "sync" the system actor "system:sync"."""
    actor = actor.lower() if "@" in actor else actor
    return actor == wanted or actor == f"system:{wanted}" or actor.startswith(f"{wanted}:")


def _person_id(session: Session, email: str, *, missing_ok: bool = False) -> int | None:
    person = session.exec(select(Person.id).where(col(Person.email) == email.strip().lower())).first()
    if person is None and not missing_ok:
        raise NotFound(f"no person has the email {email!r}")
    return person


def _in_window(at: datetime, where: HistoryFilter) -> bool:
    return (where.since is None or at >= where.since) and (where.until is None or at < where.until)


def _scope(session: Session, where: HistoryFilter) -> tuple[set[int] | None, set[int] | None]:
    """The store and principal ids the filters name (None: any), refusing a filter that names nothing."""
    stores = store_ids(session, where.store) if where.store is not None else None
    principals = principal_ids(session, where.principal) if where.principal is not None else None
    if where.person is not None:
        person = _person_id(session, where.person)
        linked = {
            i
            for i in session.exec(select(Principal.id).where(col(Principal.person_id) == person))
            if i is not None
        }
        principals = linked if principals is None else principals & linked
    if where.campaign is not None and session.get(Campaign, where.campaign) is None:
        raise NotFound(f"no campaign {where.campaign}")
    return stores, principals


def _narrowed(query: Any, table: Any, stores: set[int] | None, principals: set[int] | None) -> Any:
    """Rows of `table` (store_id, principal_id) for the stores and principals asked about."""
    if stores is not None:
        query = query.where(col(table.store_id).in_(stores))
    if principals is not None:
        query = query.where(col(table.principal_id).in_(principals))
    return query


def _grants(
    session: Session, where: HistoryFilter, stores: set[int] | None, principals: set[int] | None
) -> list[GrantRow]:
    query = (
        select(AccessGrant, Store, Principal)
        .join(Store, col(Store.id) == AccessGrant.store_id)
        .join(Principal, col(Principal.id) == AccessGrant.principal_id)
    )
    query = _narrowed(query, AccessGrant, stores, principals)
    if where.campaign is not None:  # the grants that campaign reviewed
        reviewed = select(ReviewItem.grant_id).where(col(ReviewItem.campaign_id) == where.campaign)
        query = query.where(col(AccessGrant.id).in_(reviewed))
    if where.until is not None:  # a grant opened after the window has no event in it
        query = query.where(col(AccessGrant.valid_from) < where.until)
    if where.since is not None:
        query = query.where(
            or_(col(AccessGrant.valid_to).is_(None), col(AccessGrant.valid_to) >= where.since)
        )
    return [GrantRow(g, s, p) for g, s, p in session.exec(query)]


def _items(
    session: Session,
    where: HistoryFilter,
    stores: set[int] | None,
    principals: set[int] | None,
    reviewer: int | None = None,
) -> list[tuple[ReviewItem, Campaign, Store, Principal]]:
    query = (
        select(ReviewItem, Campaign, Store, Principal)
        .join(Campaign, col(Campaign.id) == ReviewItem.campaign_id)
        .join(Store, col(Store.id) == ReviewItem.store_id)
        .join(Principal, col(Principal.id) == ReviewItem.principal_id)
    )
    query = _narrowed(query, ReviewItem, stores, principals)
    if where.campaign is not None:
        query = query.where(col(ReviewItem.campaign_id) == where.campaign)
    if where.until is not None:
        query = query.where(col(Campaign.started_at) < where.until)
    found = list(session.exec(query).all())
    if (
        reviewer is not None
    ):  # asked (first, by escalation, rerouting or a later stage) or decided, as delegate too
        theirs = _asked_or_decided(session, reviewer)
        found = [row for row in found if row[0].id in theirs]
    return found


ASKED = ("item.opened", "item.escalated", "item.rerouted", "decision.recorded")


def _asked_or_decided(session: Session, reviewer: int) -> set[int]:
    """The items `reviewer` was ever asked about or decided, as the chain recorded it (the item row names only
    its last reviewer: an escalated item's silent owner is found here, not there)."""
    decided = select(Decision.review_item_id).where(
        or_(
            col(Decision.decided_by_person_id) == reviewer,
            col(Decision.on_behalf_of_person_id) == reviewer,
        )
    )
    current = select(ReviewItem.id).where(col(ReviewItem.reviewer_person_id) == reviewer)
    items: set[int | None] = {*session.exec(decided).all(), *session.exec(current).all()}
    events = select(AuditEvent.subject, AuditEvent.payload).where(col(AuditEvent.kind).in_(ASKED))
    for subject, payload in session.exec(events):
        named = payload if isinstance(payload, dict) else {}
        if reviewer in (named.get("reviewer"), named.get("to"), named.get("next_reviewer")):
            items.add(int(subject.removeprefix("item:")))
    return {i for i in items if i is not None}


def _revocations(
    session: Session, where: HistoryFilter, stores: set[int] | None, principals: set[int] | None
) -> list[tuple[Revocation, str, Store, Principal]]:
    query = (
        select(Revocation, AccessGrant.access, Store, Principal)
        .join(AccessGrant, col(AccessGrant.id) == Revocation.grant_id)
        .join(Store, col(Store.id) == Revocation.store_id)
        .join(Principal, col(Principal.id) == Revocation.principal_id)
    )
    query = _narrowed(query, Revocation, stores, principals)
    if where.campaign is not None:
        query = query.where(col(Revocation.campaign_id) == where.campaign)
    return list(session.exec(query).all())
