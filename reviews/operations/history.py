"""What happened to access, as one timeline: granted, reviewed, decided (by whom, how, why), revoked,
verified, undone, ended. Built from the tables each step writes (grant validity intervals, review items,
decisions, the revocation outbox), each row written in the same transaction as its audit event; filtered by
store, principal, person, campaign and time.

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
from reviews.errors import NotAuthorized, NotFound
from reviews.models import (
    AccessGrant,
    Campaign,
    Decision,
    Person,
    Principal,
    ReviewItem,
    Revocation,
    Store,
)
from reviews.operations.history_entries import (
    COLUMNS,
    ORDER,
    GrantRow,
    HistoryEntry,
    grant_entries,
    item_entries,
    revocation_entries,
)
from reviews.operations.query_access import principal_ids, store_ids

__all__ = ["COLUMNS", "HistoryEntry", "HistoryFilter", "history"]


@dataclass(frozen=True)
class HistoryFilter:
    store: str | None = None  # provider id (ARN, object id) or name
    principal: str | None = None  # provider id, name or email
    person: str | None = None  # a person's email: every principal linked to them
    campaign: int | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


def history(session: Session, actor: Actor, where: HistoryFilter) -> list[HistoryEntry]:
    """Oldest first. Auditors and admins only."""
    if Role.AUDITOR not in actor.roles and not actor.is_admin:
        raise NotAuthorized(f"only auditors and admins may read history ({actor.id} is neither)")
    stores, principals = _scope(session, where)
    grants = _grants(session, where, stores, principals)
    items = _items(session, where, stores, principals)
    ids = {item.id for item, *_ in items}
    decisions = (
        session.exec(select(Decision).where(col(Decision.review_item_id).in_(ids))).all() if ids else []
    )
    revocations = _revocations(session, where, stores, principals)
    people = _people(
        session,
        {g.principal.person_id for g in grants}
        | {i.holder_person_id for i, *_ in items}
        | {i.reviewer_person_id for i, *_ in items}
        | {d.decided_by_person_id for d in decisions}
        | {d.on_behalf_of_person_id for d in decisions}
        | {p.person_id for _r, _a, _s, p in revocations},
    )
    entries = [*grant_entries(grants, people)]
    entries += item_entries(items, decisions, people)
    entries += revocation_entries(revocations, people)
    kept = [e for e in entries if _in_window(e.at, where)]
    return sorted(kept, key=lambda e: (e.at, ORDER.get(e.event, 99), e.store, e.principal))


def _in_window(at: datetime, where: HistoryFilter) -> bool:
    return (where.since is None or at >= where.since) and (where.until is None or at < where.until)


def _scope(session: Session, where: HistoryFilter) -> tuple[set[int] | None, set[int] | None]:
    """The store and principal ids the filters name (None: any), refusing a filter that names nothing."""
    stores = store_ids(session, where.store) if where.store is not None else None
    principals = principal_ids(session, where.principal) if where.principal is not None else None
    if where.person is not None:
        person = session.exec(select(Person).where(col(Person.email) == where.person.strip().lower())).first()
        if person is None:
            raise NotFound(f"no person has the email {where.person!r}")
        linked = {
            i
            for i in session.exec(select(Principal.id).where(col(Principal.person_id) == person.id))
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
    session: Session, where: HistoryFilter, stores: set[int] | None, principals: set[int] | None
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
    return list(session.exec(query).all())


def _people(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    wanted = sorted(i for i in ids if i is not None)
    found: dict[int | None, str] = {}
    for start in range(0, len(wanted), 1000):  # bounded IN lists
        chunk = wanted[start : start + 1000]
        found |= dict(session.exec(select(Person.id, Person.email).where(col(Person.id).in_(chunk))).all())
    return found


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
