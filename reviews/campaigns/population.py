"""The population a campaign reviews: every open grant, with its store, principal and holder, read in one
query as plain rows (100,000 grants must load in seconds, so no ORM objects), then filtered by the cycle's
scope and exclusions. Pure functions below the query."""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, SQLModel, col

from reviews.campaigns.frozen import FrozenGrant, FrozenPrincipal, FrozenStore
from reviews.campaigns.recommend import SignIn, Usage
from reviews.cycles.definition import Exclusion, Scope
from reviews.exposure import Exposed, exposed, is_personless
from reviews.storage.models import AccessGrant, Person, Principal, Store


@dataclass(frozen=True, slots=True)
class GrantView:
    grant_id: int
    access: str
    path: list[dict[str, str]]
    conditional: bool
    needs_human_review: bool
    usage: Usage
    store_id: int
    store_system: str
    store_kind: str
    store_provider_id: str
    store_name: str
    store_owners: list[str]
    store_classification: str
    store_tags: dict[str, str]
    principal_id: int
    principal_type: str
    principal_provider_id: str
    principal_name: str
    principal_email: str | None
    enabled: bool | None
    guest: bool
    sign_in: SignIn | None  # the holder's last sign-in, as the connector read it
    holder_person_id: int | None
    holder_email: str | None
    holder_manager: str | None

    @property
    def key(self) -> str:
        return f"{self.store_provider_id}\t{self.principal_provider_id}\t{self.access}"

    def exposure(self) -> Exposed | None:
        """The exposure this grant is (anyone, or an account nobody here reviews, holds it), or None."""
        return exposed(
            principal_type=self.principal_type,
            principal_provider_id=self.principal_provider_id,
            principal_name=self.principal_name,
            guest=self.guest,
            store_name=self.store_name,
            store_tags=self.store_tags,
            access=self.access,
            conditional=self.conditional,
            path=self.path,
        )

    def frozen(self) -> FrozenGrant:
        """The grant as the campaign saw it: the evidence keeps this even after the grant changes."""
        return FrozenGrant(
            store=FrozenStore(
                provider_id=self.store_provider_id,
                name=self.store_name,
                system=self.store_system,
                kind=self.store_kind,
                owners=tuple(self.store_owners),
                classification=self.store_classification,
            ),
            principal=FrozenPrincipal(
                provider_id=self.principal_provider_id,
                type=self.principal_type,
                name=self.principal_name,
                email=self.principal_email,
                enabled=self.enabled,
                guest=self.guest,
            ),
            access=self.access,
            path=tuple(self.path),
            conditional=self.conditional,
            needs_human_review=self.needs_human_review,
            last_used=self.usage.last_used_at.isoformat() if self.usage.last_used_at else None,
            last_used_source=self.usage.source,
        )


def open_grants(session: Session, *, grant_ids: Iterable[int] | None = None) -> list[GrantView]:
    """Stores and principals are read once each; grants as plain rows of columns (no ORM objects)."""
    grants = SQLModel.metadata.tables[AccessGrant.__tablename__]
    query = (
        select(
            grants.c.id,
            grants.c.store_id,
            grants.c.principal_id,
            grants.c.access,
            grants.c.path,
            grants.c.conditional,
            grants.c.needs_human_review,
            grants.c.last_used_at,
            grants.c.last_used_source,
            grants.c.last_used_window_start,
            grants.c.last_used_window_end,
        )
        .where(grants.c.valid_to.is_(None))
        .order_by(grants.c.id)
    )
    if grant_ids is not None:
        query = query.where(grants.c.id.in_(list(grant_ids)))
    rows = session.execute(query).all()
    stores = {
        store.id: store
        for store in session.scalars(select(Store).where(col(Store.id).in_({r.store_id for r in rows})))
    }
    holders = _principals(session, {row.principal_id for row in rows})
    return [_view(row, stores[row.store_id], *holders[row.principal_id]) for row in rows]


def _principals(session: Session, ids: set[int]) -> dict[int, tuple[Principal, Person | None]]:
    found: dict[int, tuple[Principal, Person | None]] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 5_000):  # bounded IN lists
        chunk = ordered[start : start + 5_000]
        for principal, person in session.execute(
            select(Principal, Person)
            .outerjoin(Person, col(Person.id) == Principal.person_id)
            .where(col(Principal.id).in_(chunk))
        ).tuples():
            assert principal.id is not None  # noqa: S101
            found[principal.id] = (principal, person)
    return found


def _view(row: Any, store: Store, principal: Principal, person: Person | None) -> GrantView:
    assert store.id is not None and principal.id is not None  # noqa: S101
    # Anyone, an outside account, a service: nobody *is* them, so no holder to route around or to tell (an
    # account's contact email, if a source gave one, is not a person reviewing their own access).
    if is_personless(principal.type):
        person, email = None, None
    else:
        email = person.email if person else principal.email
    return GrantView(
        grant_id=row.id,
        access=row.access,
        path=row.path,
        conditional=row.conditional,
        needs_human_review=row.needs_human_review,
        usage=Usage(
            row.last_used_at, row.last_used_source, row.last_used_window_start, row.last_used_window_end
        ),
        store_id=store.id,
        store_system=store.system,
        store_kind=store.kind,
        store_provider_id=store.provider_id,
        store_name=store.name,
        store_owners=store.owners,
        store_classification=store.classification,
        store_tags=store.tags,
        principal_id=principal.id,
        principal_type=principal.type,
        principal_provider_id=principal.provider_id,
        principal_name=principal.name,
        principal_email=principal.email,
        enabled=principal.enabled,
        guest=principal.guest,
        sign_in=_sign_in(principal),
        holder_person_id=person.id if person else None,
        holder_email=email,
        holder_manager=person.manager_email if person else None,
    )


def _sign_in(principal: Principal) -> SignIn | None:
    if principal.last_sign_in_source is None:
        return None
    return SignIn(
        principal.last_sign_in_at,
        principal.last_sign_in_source,
        covers_all_use=principal.last_sign_in_covers_all_use,
        account_created_at=principal.created_at,
        observed_until=principal.last_sign_in_observed_until,
    )


def in_scope(view: GrantView, scope: Scope) -> bool:
    return (
        (not scope.systems or view.store_system in scope.systems)
        and (not scope.store_kinds or view.store_kind in scope.store_kinds)
        and (not scope.store_names or any(fnmatch.fnmatchcase(view.store_name, p) for p in scope.store_names))
        and all(view.store_tags.get(key) == value for key, value in scope.store_tags.items())
        and (not scope.access or view.access in scope.access)
        and (not scope.principal_types or view.principal_type in scope.principal_types)
        and (not scope.guests_only or view.guest)
    )


def exclusion_of(view: GrantView, exclusions: list[Exclusion]) -> Exclusion | None:
    stores = (view.store_provider_id, view.store_name)
    principals = (view.principal_provider_id, view.principal_name, view.principal_email or "")
    return next((rule for rule in exclusions if rule.matches(stores, principals)), None)


def population_sha256(grants: Iterable[GrantView | FrozenGrant]) -> str:
    """Order-independent fingerprint of what a campaign froze (the same lines as a sync's population)."""
    return hashlib.sha256("\n".join(sorted(grant.key for grant in grants)).encode("utf-8")).hexdigest()
