"""Who can access what, now or at any past moment, from grant validity intervals (DESIGN §4 contract).

`exposure_only` answers the data-protection officer's first question: every grant held by anyone on the
internet or by an account nobody here reviews (reviews.exposure), public first, then by store.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from reviews.entitlements import EXPOSURE_TYPES
from reviews.errors import InvalidArgument, NotFound
from reviews.exposure import EXPOSURE_ORDER, Exposed, Exposure, exposed
from reviews.storage.models import AccessGrant, Principal, Store, SyncRun, SyncStatus


@dataclass(frozen=True, slots=True)
class AccessRow:
    store: dict[str, Any]
    principal: dict[str, Any]
    access: str
    path: list[str]
    conditional: bool
    needs_human_review: bool
    last_used: str | None
    last_used_source: str | None
    valid_from: str
    valid_to: str | None
    exposure: str | None = None  # public | external | tenant | other-account; None: not an exposure
    exposure_sentence: str | None = None  # "anyone on the internet can read benefit-claims"
    exposure_intended: bool | None = None  # the store's owner marked it as meant to be exposed (tag)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def effective_access(
    *,
    session: Session,
    start: datetime,
    end: datetime,
    store: str | None = None,
    principal: str | None = None,
    exposure_only: bool = False,
) -> list[AccessRow]:
    """Grants valid at any moment of [start, end): a point in time is a one-microsecond window, a day is a
    day. `store` matches a provider id or a name; `principal` an id, a name or an email. `exposure_only`:
    only grants held by public and outside principals, public first, then by store.

    Filters are bound parameters, never spliced into SQL: whatever an auditor types is only ever text. A
    filter that names no store or principal ever seen is an error, not an empty answer: "nobody" must never
    be what a typo reads as.
    """
    grants = effective_grants(
        session=session, start=start, end=end, store=store, principal=principal, exposure_only=exposure_only
    )
    rows = [access_row(grant, store_row, principal_row) for grant, store_row, principal_row in grants]
    if exposure_only:  # stable: within a kind and store, the query's order (principal, level)
        rows.sort(key=_exposure_order)
    return rows


def effective_grants(
    *,
    session: Session,
    start: datetime,
    end: datetime,
    store: str | None = None,
    principal: str | None = None,
    exposure_only: bool = False,
) -> list[tuple[AccessGrant, Store, Principal]]:
    """The stored grants behind `effective_access`, in its order before the exposure sort (an attestation
    needs their ids to find the reviews and revocations of each)."""
    query = (
        select(AccessGrant, Store, Principal)
        .join(Store, col(Store.id) == AccessGrant.store_id)
        .join(Principal, col(Principal.id) == AccessGrant.principal_id)
        .where(
            col(AccessGrant.valid_from) < end,
            or_(col(AccessGrant.valid_to).is_(None), col(AccessGrant.valid_to) > start),
        )
        .order_by(col(Store.name), col(Principal.name), col(AccessGrant.access))
    )
    # The ids first, then the grants by id: the planner (SQLite's without statistics, too) then walks the
    # grant indexes by store or principal instead of scanning every grant ever recorded (bench/evidence.py).
    if store is not None:
        query = query.where(col(AccessGrant.store_id).in_(store_ids(session, store)))
    if principal is not None:
        query = query.where(col(AccessGrant.principal_id).in_(principal_ids(session, principal)))
    if exposure_only:
        query = query.where(col(Principal.type).in_(sorted(EXPOSURE_TYPES)))
    return [(grant, store_row, principal_row) for grant, store_row, principal_row in session.exec(query)]


def _exposure_order(row: AccessRow) -> tuple[bool, str, int]:
    kind = Exposure(str(row.exposure))  # only exposures are sorted so
    return (kind is not Exposure.PUBLIC, str(row.store["name"]), EXPOSURE_ORDER[kind])


def store_ids(session: Session, store: str) -> set[int]:
    """The stores a provider id or name names; NotFound when it names none (a typo is not "nobody")."""
    named = or_(col(Store.provider_id) == store, col(Store.name) == store)
    found = {i for i in session.exec(select(Store.id).where(named)).all() if i is not None}
    if not found:
        raise NotFound(f"no store has the id or name {store!r}")
    return found


def principal_ids(session: Session, principal: str) -> set[int]:
    """The principals a provider id, name or email names; NotFound when it names none."""
    named = or_(
        col(Principal.provider_id) == principal,
        col(Principal.name) == principal,
        and_(col(Principal.email).is_not(None), col(Principal.email) == principal.lower()),
    )
    found = {i for i in session.exec(select(Principal.id).where(named)).all() if i is not None}
    if not found:
        raise NotFound(f"no principal has the id, name or email {principal!r}")
    return found


def grant_exposure(grant: AccessGrant, store: Store, principal: Principal) -> Exposed | None:
    """The exposure a stored grant is (reviews.exposure), or None."""
    return exposed(
        principal_type=principal.type,
        principal_provider_id=principal.provider_id,
        principal_name=principal.name,
        guest=principal.guest,
        store_name=store.name,
        store_tags=store.tags,
        access=grant.access,
        conditional=grant.conditional,
        path=grant.path,
    )


def access_row(grant: AccessGrant, store: Store, principal: Principal) -> AccessRow:
    exposure = grant_exposure(grant, store, principal)
    return AccessRow(
        store={
            "id": store.provider_id,
            "name": store.name,
            "system": store.system,
            "kind": store.kind,
            "owner": store.owners[0] if store.owners else None,
            "owners": store.owners,
        },
        principal={
            "id": principal.provider_id,
            "type": principal.type,
            "name": principal.name,
            "email": principal.email,
            "guest": principal.guest,
        },
        access=grant.access,
        path=[f"{step['kind']}:{step['name']}" for step in grant.path],
        conditional=grant.conditional,
        needs_human_review=grant.needs_human_review,
        last_used=grant.last_used_at.isoformat() if grant.last_used_at else None,
        last_used_source=grant.last_used_source,
        valid_from=grant.valid_from.isoformat(),
        valid_to=grant.valid_to.isoformat() if grant.valid_to else None,
        exposure=exposure.kind.value if exposure else None,
        exposure_sentence=exposure.sentence if exposure else None,
        exposure_intended=exposure.intended if exposure else None,
    )


def access_window(at: str | None, *, now: datetime) -> tuple[datetime, datetime]:
    """What "at" means to an auditor: nothing is now; a date (YYYY-MM-DD) is the whole UTC day (anyone who
    could access at any moment of it); an ISO time is that instant (UTC when no offset is given). A moment
    after `now` is an error: who could access is recorded, what will be is not."""
    if at is None:
        return now, now + timedelta(microseconds=1)
    start, end = parse_window(at, name="at")
    if start > now:
        raise InvalidArgument(
            f"at {at!r} is in the future (it is now {now:%Y-%m-%d %H:%M} UTC): access is known up to now"
        )
    return start, end


def parse_window(text: str, *, name: str) -> tuple[datetime, datetime]:
    """A date (YYYY-MM-DD) as its whole UTC day, an ISO time as that instant (UTC without an offset)."""
    try:
        if len(text) == 10:
            start = datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
            return start, start + timedelta(days=1)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(f"{name} {text!r}: expected YYYY-MM-DD or an ISO 8601 time") from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment, moment + timedelta(microseconds=1)


def first_syncs(session: Session) -> dict[str, datetime]:
    """When each source's first applied (successful) sync finished: nothing of its access is known before."""
    query = (
        select(SyncRun.source, func.min(SyncRun.finished_at))
        .where(col(SyncRun.status) == SyncStatus.SUCCEEDED, col(SyncRun.finished_at).is_not(None))
        .group_by(col(SyncRun.source))
    )
    return {source: _utc(finished) for source, finished in session.exec(query).all() if finished is not None}


def known_access(session: Session, *, end: datetime, at: str | None) -> list[str]:
    """Refuse a question no sync can answer: before any sync (NotFound), or `at` a moment before the first
    sync finished (InvalidArgument), rather than an empty answer that reads as "nobody". The notes name each
    source not yet synced by `end` (its access is missing from an answer the others give)."""
    firsts = first_syncs(session)
    if not firsts:
        raise NotFound(
            "no sync has been applied yet: nobody's access is known before `recertify sync` has run"
        )
    earliest = min(firsts.values())
    if end <= earliest:
        raise InvalidArgument(
            f"at {at!r} is before the first sync (it finished {earliest:%Y-%m-%d %H:%M:%S} UTC): "
            "access before then was never recorded"
        )
    return [
        f"{source} was first synced {first:%Y-%m-%d %H:%M:%S} UTC: its access is not in this answer"
        for source, first in sorted(firsts.items())
        if end <= first
    ]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
