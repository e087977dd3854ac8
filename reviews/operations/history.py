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

from collections.abc import Iterable
from dataclasses import asdict, dataclass
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
from reviews.operations.query_access import principal_ids, store_ids

COLUMNS = (
    "at",
    "event",
    "store_id",
    "store",
    "principal_id",
    "principal",
    "person",
    "access",
    "campaign",
    "item",
    "actor",
    "detail",
)


@dataclass(frozen=True)
class HistoryFilter:
    store: str | None = None  # provider id (ARN, object id) or name
    principal: str | None = None  # provider id, name or email
    person: str | None = None  # a person's email: every principal linked to them
    campaign: int | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    event: str  # granted, access_ended, review_opened, escalated, decided, decision_superseded, …
    store_id: str
    store: str
    principal_id: str
    principal: str
    person: str | None  # whose access it is, when known
    access: str
    campaign: int | None
    item: int | None
    actor: str  # who did it: "sync", a person's email, "policy", "cli:…", "slack:…"
    detail: str

    def as_json(self) -> dict[str, Any]:
        row = asdict(self)
        row["at"] = self.at.isoformat()
        return row


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
    entries = [*_grant_entries(grants, people)]
    entries += _item_entries(items, decisions, people)
    entries += _revocation_entries(revocations, people)
    kept = [e for e in entries if _in_window(e.at, where)]
    return sorted(kept, key=lambda e: (e.at, _ORDER.get(e.event, 99), e.store, e.principal))


_ORDER = {
    "granted": 0,
    "review_opened": 1,
    "escalated": 2,
    "decided": 3,
    "decision_superseded": 4,
    "revocation_planned": 5,
    "revocation_approved": 6,
    "revoked": 7,
    "revocation_verified": 8,
    "revocation_undone": 9,
    "access_ended": 10,
}


def _in_window(at: datetime, where: HistoryFilter) -> bool:
    return (where.since is None or at >= where.since) and (where.until is None or at < where.until)


@dataclass(frozen=True)
class _Grant:
    row: AccessGrant
    store: Store
    principal: Principal


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
) -> list[_Grant]:
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
    return [_Grant(g, s, p) for g, s, p in session.exec(query)]


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


@dataclass(frozen=True)
class _About:
    """What an entry is about: one holder's access to one store, in a campaign's item when it has one."""

    store: Store
    principal: Principal
    person: str | None
    access: str
    campaign: int | None = None
    item: int | None = None

    def entry(self, at: datetime, event: str, actor: str, detail: str) -> HistoryEntry:
        return HistoryEntry(
            at=at,
            event=event,
            store_id=self.store.provider_id,
            store=self.store.name,
            principal_id=self.principal.provider_id,
            principal=self.principal.name,
            person=self.person,
            access=self.access,
            campaign=self.campaign,
            item=self.item,
            actor=actor,
            detail=detail,
        )


def _grant_entries(grants: Iterable[_Grant], people: dict[int | None, str]) -> Iterable[HistoryEntry]:
    for g in grants:
        about = _About(g.store, g.principal, people.get(g.principal.person_id), g.row.access)
        path = " → ".join(f"{step['kind']}:{step['name']}" for step in g.row.path) or "direct"
        yield about.entry(g.row.valid_from, "granted", "sync", path)
        if g.row.valid_to is not None:
            yield about.entry(g.row.valid_to, "access_ended", "sync", "no longer found by the sync")


def _people(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    wanted = sorted(i for i in ids if i is not None)
    found: dict[int | None, str] = {}
    for start in range(0, len(wanted), 1000):  # bounded IN lists
        chunk = wanted[start : start + 1000]
        found |= dict(session.exec(select(Person.id, Person.email).where(col(Person.id).in_(chunk))).all())
    return found


def _item_entries(
    items: list[tuple[ReviewItem, Campaign, Store, Principal]],
    decisions: Iterable[Decision],
    people: dict[int | None, str],
) -> Iterable[HistoryEntry]:
    about: dict[int | None, _About] = {}
    for item, campaign, store, principal in items:
        access = str(item.frozen_grant.get("access", ""))
        about[item.id] = it = _About(
            store, principal, people.get(item.holder_person_id), access, campaign.id, item.id
        )
        reviewer = people.get(item.reviewer_person_id, "nobody")
        reason = item.recommendation_evidence.get("reason")
        opened = f"reviewer {reviewer}; recommendation {item.recommendation or 'none'}"
        yield it.entry(
            campaign.started_at, "review_opened", "policy", opened + (f" ({reason})" if reason else "")
        )
        if item.escalated_at is not None:
            to = f"escalated to {reviewer} (no decision by the deadline)"
            yield it.entry(item.escalated_at, "escalated", "policy", to)
    for decision in decisions:
        by = "policy" if decision.via == "policy" else people.get(decision.decided_by_person_id, "unknown")
        detail = f"{decision.outcome} via {decision.via}, stage {decision.stage}"
        if decision.on_behalf_of_person_id is not None:
            detail += f", as delegate of {people.get(decision.on_behalf_of_person_id, 'unknown')}"
        if decision.justification:
            detail += f": {decision.justification}"
        event = "decision_superseded" if decision.superseded else "decided"
        yield about[decision.review_item_id].entry(decision.decided_at, event, by, detail)


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


def _revocation_entries(
    revocations: list[tuple[Revocation, str, Store, Principal]], people: dict[int | None, str]
) -> Iterable[HistoryEntry]:
    for row, access, store, principal in revocations:
        holder = people.get(principal.person_id)
        it = _About(store, principal, holder, access, row.campaign_id, row.review_item_id)
        planned = f"state now {row.state}" + (f" (held: {row.hold_reason})" if row.hold_reason else "")
        if row.last_error:
            planned += f"; last error: {row.last_error}"
        approved = f"held revocation approved by {row.approved_by or 'unknown'}"
        steps = [
            (row.planned_at, "revocation_planned", "policy", planned),
            (row.approved_at, "revocation_approved", row.approved_by or "unknown", approved),
            (
                row.applied_at,
                "revoked",
                "recertify",
                "applied (dry run)" if row.dry_run else "applied (live)",
            ),
            (row.verified_at, "revocation_verified", "recertify", "read back: the access is gone"),
            (row.undone_at, "revocation_undone", "recertify", "restored from the recorded inverse"),
        ]
        for at, event, who, detail in steps:
            if at is not None:
                yield it.entry(at, event, who, detail)
