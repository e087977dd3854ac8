"""What a sync proves about the revocation outbox, and why the sync is the one to say it.

A revocation's own read-back checks the change it made (a group membership removed), not the effective
access: a second group, a role, or a change made by hand keeps the access. Only a sync computes effective
access, so the sync of a system settles that system's revocations read back before it started reading:
verified (gone by every path) or survived (still granted, through the path it found). It also flags a grant
this sync opened for an access Recertify revoked and did not undo: someone granted it again.

Both read the outbox's rows, which are storage's, not enforcement's code: inventory stays below
enforcement (docs/architecture.md, the rooms).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy import union
from sqlalchemy import update as sa_update
from sqlmodel import Session, SQLModel

from reviews import audit
from reviews.inventory.actor import ACTOR
from reviews.storage.models import (
    AccessGrant,
    ReviewItem,
    Revocation,
    RevocationItem,
    RevocationState,
    SyncRun,
)
from reviews.storage.revocation_links import items_of

_GRANTS = SQLModel.metadata.tables[AccessGrant.__tablename__]
_REVOCATIONS = SQLModel.metadata.tables[Revocation.__tablename__]
_LINKS = SQLModel.metadata.tables[RevocationItem.__tablename__]
_ITEMS = SQLModel.metadata.tables[ReviewItem.__tablename__]


def reappeared_after_revocation(session: Session, sync_run_id: int) -> list[audit.NewEvent]:
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
