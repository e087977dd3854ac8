"""The people, stores and principals of a snapshot, written as rows: inserted or updated when the snapshot
holds them; a store or principal it no longer holds is marked removed, never deleted, so an old review or
audit event still names what it was about. These writes append no audit event of their own; the grants'
intervals (grant_intervals.py) and the sync's summary do."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from sqlmodel import Session, col, select

from reviews.entitlements import Person, Principal, Snapshot, Store
from reviews.storage.models import Person as PersonRow
from reviews.storage.models import Principal as PrincipalRow
from reviews.storage.models import Store as StoreRow

RowT = TypeVar("RowT", StoreRow, PrincipalRow)
ItemT = TypeVar("ItemT", Store, Principal)


def upsert_people(session: Session, people: tuple[Person, ...], now: datetime) -> dict[str, PersonRow]:
    emails = [p.email for p in people]
    existing = {
        row.email: row for row in session.exec(select(PersonRow).where(col(PersonRow.email).in_(emails)))
    }
    for person in people:
        row = existing.get(person.email) or PersonRow(email=person.email, first_seen_at=now, updated_at=now)
        # Only what the source knows overwrites: one system does not erase another's link.
        for attr in ("entra_object_id", "slack_user_id", "manager_email"):
            if getattr(person, attr) is not None:
                setattr(row, attr, getattr(person, attr))
        if person.display_name:
            row.display_name = person.display_name
        row.updated_at = now
        session.add(row)
        existing[person.email] = row
    session.flush()
    return existing


def upsert_stores(session: Session, snapshot: Snapshot, now: datetime) -> dict[str, StoreRow]:
    def new(store: Store) -> StoreRow:
        return StoreRow(
            provider_id=store.provider_id,
            system=store.system,
            kind=store.kind,
            name=store.name,
            first_seen_at=now,
            last_seen_at=now,
        )

    return _upsert_seen(session, StoreRow, snapshot, snapshot.stores, new, _copy_store, now)


def _copy_store(store: Store, row: StoreRow) -> None:
    row.system, row.kind, row.name = store.system, store.kind, store.name
    row.owners, row.classification, row.tags = list(store.owners), store.classification, dict(store.tags)


def upsert_principals(
    session: Session, snapshot: Snapshot, people: dict[str, PersonRow], now: datetime
) -> dict[str, PrincipalRow]:
    def new(principal: Principal) -> PrincipalRow:
        return PrincipalRow(
            provider_id=principal.provider_id,
            system=principal.system,
            type=principal.type,
            name=principal.name,
            first_seen_at=now,
            last_seen_at=now,
        )

    def copy(principal: Principal, row: PrincipalRow) -> None:
        _copy_principal(principal, row, people)

    return _upsert_seen(session, PrincipalRow, snapshot, snapshot.principals, new, copy, now)


def _upsert_seen(
    session: Session,
    model: type[RowT],
    snapshot: Snapshot,
    items: Sequence[ItemT],
    new: Callable[[ItemT], RowT],
    copy: Callable[[ItemT, RowT], None],
    now: datetime,
) -> dict[str, RowT]:
    """Insert or update what the snapshot holds; mark (never delete) what it no longer holds."""
    rows = {
        row.provider_id: row for row in session.exec(select(model).where(model.system == snapshot.system))
    }
    for item in items:
        row = rows.get(item.provider_id) or new(item)
        copy(item, row)
        row.last_seen_at, row.removed_at = now, None
        session.add(row)
        rows[item.provider_id] = row
    seen = {item.provider_id for item in items}
    for provider_id, row in rows.items():
        if provider_id not in seen and row.removed_at is None:
            row.removed_at = now
            session.add(row)
    session.flush()
    return rows


def _copy_principal(principal: Principal, row: PrincipalRow, people: dict[str, PersonRow]) -> None:
    row.type, row.name, row.email = principal.type, principal.name, principal.email
    row.enabled, row.guest, row.created_at = principal.enabled, principal.guest, principal.created_at
    sign_in = principal.last_sign_in
    row.last_sign_in_at = sign_in.at if sign_in else None
    row.last_sign_in_source = sign_in.source if sign_in else None
    row.last_sign_in_covers_all_use = sign_in.covers_all_use if sign_in else False
    row.last_sign_in_observed_until = sign_in.window_end if sign_in else None
    person = people.get(principal.person_email) if principal.person_email else None
    row.person_id = person.id if person else None
