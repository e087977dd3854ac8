"""Grants as validity intervals: a grant seen for the first time opens an interval, a grant no longer in the
snapshot closes it, a path that changed is recorded on the open one. Each is an audit event, so the chain
tells who held what when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from reviews import audit
from reviews.entitlements import Grant, Snapshot
from reviews.inventory.actor import ACTOR
from reviews.storage.models import AccessGrant
from reviews.storage.models import Principal as PrincipalRow
from reviews.storage.models import Store as StoreRow


def reconcile_grants(
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
