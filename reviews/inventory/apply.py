"""Apply a complete snapshot of one system: people, stores, principals and effective grants.

Grants are kept as validity intervals: a grant seen for the first time opens an interval, a grant no longer
in the snapshot closes it, a re-grant opens a new one. "Who could read X on date D" is then a query over
intervals, never a reconstruction. Every opened and closed interval is an audit event, and the sync's
summary event carries a hash of the whole population so the grant table is tied to the chain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select as sa_select
from sqlalchemy import union
from sqlalchemy import update as sa_update
from sqlmodel import Session, SQLModel, col, select

from reviews import audit
from reviews.entitlements import Grant, Person, Principal, Snapshot, Store
from reviews.inventory.population_sanity import check_population, refuse_personless_links
from reviews.ports import Clock
from reviews.storage.models import (
    AccessGrant,
    ReviewItem,
    Revocation,
    RevocationItem,
    RevocationState,
    SyncRun,
    SyncStatus,
)
from reviews.storage.models import Person as PersonRow
from reviews.storage.models import Principal as PrincipalRow
from reviews.storage.models import Store as StoreRow
from reviews.storage.revocation_links import items_of

ACTOR = "system:sync"
_GRANTS = SQLModel.metadata.tables[AccessGrant.__tablename__]
_REVOCATIONS = SQLModel.metadata.tables[Revocation.__tablename__]
_LINKS = SQLModel.metadata.tables[RevocationItem.__tablename__]
_ITEMS = SQLModel.metadata.tables[ReviewItem.__tablename__]
RowT = TypeVar("RowT", StoreRow, PrincipalRow)
ItemT = TypeVar("ItemT", Store, Principal)


@dataclass(frozen=True, slots=True)
class SyncSummary:
    sync_run_id: int
    stores: int
    principals: int
    grants: int
    opened: int
    closed: int
    changed: int
    population_sha256: str
    unmatched: int = 0
    notes: tuple[str, ...] = ()
    throttled: int = 0  # answers the source throttled during the read (Graph), each waited out
    revocations_verified: int = 0  # read-back revocations whose access this sync found gone
    revocations_survived: int = 0  # … and those it still found by some path


def apply_snapshot(
    snapshot: Snapshot,
    *,
    session: Session,
    clock: Clock,
    started_at: datetime | None = None,
    max_drop: float | None = None,
    throttled: int = 0,
) -> SyncSummary:
    """`max_drop`: refuse (PopulationDropped, nothing written) a population that fell by more than this
    share; None skips the check (an admin accepted the drop). `throttled`: the answers the source throttled
    during the read (counted in the run when there were any)."""
    refuse_personless_links(snapshot)
    if max_drop is not None:
        check_population(session, snapshot, max_drop=max_drop)
    now = clock.now()
    run = SyncRun(source=snapshot.system, started_at=started_at or now)
    session.add(run)
    session.flush()
    assert run.id is not None  # noqa: S101  (flushed)
    people = _upsert_people(session, snapshot.people, now)
    stores = _upsert_stores(session, snapshot, now)
    principals = _upsert_principals(session, snapshot, people, now)
    events, opened, closed, changed = _reconcile_grants(session, snapshot, stores, principals, run.id, now)
    events += _reappeared(session, run.id)
    settled = settle_revocations(session, run, now)
    events += settled
    population = population_sha256(snapshot.grants)
    run.finished_at = clock.now()
    run.status = SyncStatus.SUCCEEDED
    run.counts = {
        "stores": len(snapshot.stores),
        "principals": len(snapshot.principals),
        "grants": len(snapshot.grants),
        "opened": opened,
        "closed": closed,
        "changed": changed,
        "unmatched_principals": len(snapshot.unmatched),
        **_throttled(throttled),
        **{f"read_{name}": n for name, n in snapshot.counts.items()},
    }
    events.append(
        audit.NewEvent(
            ACTOR,
            "sync.applied",
            f"system:{snapshot.system}",
            {
                **run.counts,
                "sync_run": run.id,
                "population_sha256": population,
                "notes": list(snapshot.notes),
            },
        )
    )
    audit.append_many(session, events, clock=clock)
    return SyncSummary(
        run.id,
        len(snapshot.stores),
        len(snapshot.principals),
        len(snapshot.grants),
        opened,
        closed,
        changed,
        population,
        len(snapshot.unmatched),
        snapshot.notes,
        throttled,
        sum(e.kind == "revocation.verified" for e in settled),
        sum(e.kind == "revocation.survived" for e in settled),
    )


def record_failed_sync(
    system: str, error: str, *, session: Session, clock: Clock, started_at: datetime, throttled: int = 0
) -> int:
    """A read that did not finish leaves a trace (and stops later campaigns relying on it), never rows."""
    run = SyncRun(
        source=system,
        started_at=started_at,
        finished_at=clock.now(),
        status=SyncStatus.FAILED,
        counts=_throttled(throttled),
        error=error,
    )
    session.add(run)
    session.flush()
    assert run.id is not None  # noqa: S101
    audit.append(
        session,
        audit.NewEvent(
            ACTOR, "sync.failed", f"system:{system}", {"error": error, "sync_run": run.id, **run.counts}
        ),
        clock=clock,
    )
    return run.id


def population_sha256(grants: tuple[Grant, ...]) -> str:
    """Order-independent fingerprint of who holds what."""
    lines = sorted(f"{g.store_provider_id}\t{g.principal_provider_id}\t{g.access}" for g in grants)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _upsert_people(session: Session, people: tuple[Person, ...], now: datetime) -> dict[str, PersonRow]:
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


def _upsert_stores(session: Session, snapshot: Snapshot, now: datetime) -> dict[str, StoreRow]:
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


def _upsert_principals(
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


def _reconcile_grants(
    session: Session,
    snapshot: Snapshot,
    stores: dict[str, StoreRow],
    principals: dict[str, PrincipalRow],
    sync_run_id: int,
    now: datetime,
) -> tuple[list[audit.NewEvent], int, int, int]:
    store_provider_ids = {row.id: pid for pid, row in stores.items()}
    principal_provider_ids = {row.id: pid for pid, row in principals.items()}
    open_rows = {
        (store_provider_ids[row.store_id], principal_provider_ids[row.principal_id], row.access): row
        for row in session.exec(
            select(AccessGrant).where(
                col(AccessGrant.valid_to).is_(None), col(AccessGrant.store_id).in_(list(store_provider_ids))
            )
        )
    }
    events: list[audit.NewEvent] = []
    opened = changed = 0
    for grant in snapshot.grants:
        row = open_rows.pop(grant.key, None)
        if row is None:
            row = AccessGrant(
                store_id=_flushed_id(stores[grant.store_provider_id]),
                principal_id=_flushed_id(principals[grant.principal_provider_id]),
                access=grant.access,
                valid_from=now,
                opened_by_sync_id=sync_run_id,
            )
            opened += 1
            events.append(_grant_event("grant.opened", grant))
        elif _path(grant) != row.path:
            changed += 1
            events.append(_grant_event("grant.path_changed", grant, previous_path=row.path))
        _copy_grant(grant, row)
        session.add(row)
    for (store_provider_id, principal_provider_id, access), row in open_rows.items():
        row.valid_to, row.closed_by_sync_id = now, sync_run_id
        session.add(row)
        events.append(
            audit.NewEvent(
                ACTOR,
                "grant.closed",
                f"store:{store_provider_id}",
                {"principal": principal_provider_id, "access": access, "path": row.path},
            )
        )
    session.flush()
    return events, opened, len(open_rows), changed


def _reappeared(session: Session, sync_run_id: int) -> list[audit.NewEvent]:
    """Grants this sync opened for a (store, principal, level) whose access Recertify revoked and did not
    undo: someone granted it again. Flagged in the chain (and, per cycle, reviewed again)."""
    revoked = (RevocationState.APPLIED, RevocationState.VERIFIED, RevocationState.ALREADY_ABSENT)
    grants, revocations = _GRANTS, _REVOCATIONS
    earlier = grants.alias("earlier")
    same_access = (
        (earlier.c.store_id == grants.c.store_id)
        & (earlier.c.principal_id == grants.c.principal_id)
        & (earlier.c.access == grants.c.access)
    )
    # The grants each revocation ended: its own, and those of the items linked to its one change.
    ended = union(
        sa_select(revocations.c.id.label("revocation_id"), revocations.c.grant_id.label("grant_id")),
        sa_select(_LINKS.c.revocation_id, _ITEMS.c.grant_id).join(
            _ITEMS, _ITEMS.c.id == _LINKS.c.review_item_id
        ),
    ).subquery()
    query = (
        sa_select(grants.c.id, grants.c.store_id, grants.c.principal_id, grants.c.access, revocations.c.id)
        .join(earlier, same_access)
        .join(ended, ended.c.grant_id == earlier.c.id)
        .join(revocations, revocations.c.id == ended.c.revocation_id)
        .where(grants.c.opened_by_sync_id == sync_run_id, revocations.c.state.in_(revoked))
    )
    return [
        audit.NewEvent(
            ACTOR,
            "grant.reappeared",
            f"grant:{grant_id}",
            {"store": store_id, "principal": principal_id, "access": access, "revocation": revocation_id},
        )
        for grant_id, store_id, principal_id, access, revocation_id in session.execute(query).tuples()
    ]


def settle_revocations(session: Session, run: SyncRun, now: datetime) -> list[audit.NewEvent]:
    """Decide the revocations of this system read back before this sync started reading: an access this
    sync no longer finds by any path is verified (gone at the source); one it still finds survived, through
    the path it found, whatever the revocation's own change did (an out-of-band move to a second group, a
    role, a re-grant). Each is decided once; a survived access opens a new review of its path
    (`campaigns.survival`)."""
    revocations = _REVOCATIONS
    grants = _GRANTS
    surviving = grants.alias("surviving")
    same_access = (
        (surviving.c.store_id == revocations.c.store_id)
        & (surviving.c.principal_id == revocations.c.principal_id)
        & (surviving.c.valid_to.is_(None))
    )
    revoked = grants.alias("revoked")
    # Every access level the change ends: its own grant's, and those of the items linked to it (read and
    # write from one group membership are one change); any of them still found means it survived.
    linked, linked_items, linked_grants = _LINKS, _ITEMS, grants.alias("linked")
    ended_levels = (
        sa_select(linked_grants.c.access)
        .select_from(linked)
        .join(linked_items, linked_items.c.id == linked.c.review_item_id)
        .join(linked_grants, linked_grants.c.id == linked_items.c.grant_id)
        .where(linked.c.revocation_id == revocations.c.id)
    )
    same_level = (surviving.c.access == revoked.c.access) | surviving.c.access.in_(ended_levels)
    query = (
        sa_select(
            revocations.c.id,
            revocations.c.campaign_id,
            revocations.c.review_item_id,
            surviving.c.id,
            surviving.c.path,
            revocations.c.state,
        )
        .join(revoked, revoked.c.id == revocations.c.grant_id)
        .outerjoin(surviving, same_access & same_level)
        .where(
            revocations.c.system == run.source,
            revocations.c.state.in_([RevocationState.APPLIED, RevocationState.ALREADY_ABSENT]),
            revocations.c.read_back_at.is_not(None),
            revocations.c.read_back_at <= run.started_at,
            revocations.c.verified_at.is_(None),
            revocations.c.survived_at.is_(None),
        )
        .order_by(revocations.c.id, surviving.c.id)
    )
    events, settled = [], set()
    found = session.execute(query).tuples().all()
    items = items_of(session, {row[0] for row in found})
    for revocation_id, campaign_id, item_id, grant_id, path, was in found:
        if revocation_id in settled:
            continue  # a second level still found: settled once, by the first
        settled.add(revocation_id)
        ended = items.get(revocation_id, [item_id] if item_id is not None else [])
        base = {"item": item_id, "items": ended, "campaign": campaign_id, "sync_run": run.id, "was": was}
        if grant_id is None:
            values: dict[str, Any] = {"state": RevocationState.VERIFIED, "verified_at": now}
            kind, payload = "revocation.verified", {**base, "how": "the sync no longer finds the access"}
        else:
            values = {"state": RevocationState.SURVIVED, "survived_at": now, "surviving_path": path}
            kind, payload = "revocation.survived", {**base, "grant": grant_id, "path": path}
        session.execute(sa_update(revocations).where(revocations.c.id == revocation_id).values(**values))
        events.append(audit.NewEvent(ACTOR, kind, f"revocation:{revocation_id}", payload))
    return events


def _flushed_id(row: StoreRow | PrincipalRow) -> int:
    if row.id is None:
        raise RuntimeError(f"{row.provider_id} has no id: flush before use")
    return row.id


def _path(grant: Grant) -> list[dict[str, str]]:
    return [{"kind": step.kind, "id": step.id, "name": step.name} for step in grant.path]


def _copy_grant(grant: Grant, row: AccessGrant) -> None:
    row.path, row.conditional, row.needs_human_review = (
        _path(grant),
        grant.conditional,
        grant.needs_human_review,
    )
    used = grant.last_used
    row.last_used_at = used.at if used else None
    row.last_used_source = used.source if used else None
    row.last_used_window_start = used.window_start if used else None
    row.last_used_window_end = used.window_end if used else None


def _grant_event(kind: str, grant: Grant, **extra: Any) -> audit.NewEvent:
    payload = {
        "principal": grant.principal_provider_id,
        "access": grant.access,
        "path": _path(grant),
        "conditional": grant.conditional,
        **extra,
    }
    return audit.NewEvent(ACTOR, kind, f"store:{grant.store_provider_id}", payload)


def _throttled(count: int) -> dict[str, int]:
    """Only sources that report throttling (Graph) ever count any: AWS's retries stay inside botocore."""
    return {"throttled": count} if count else {}
