"""The outbox rows a plan writes (reviews.enforcement.plan), and the changes a campaign planned before.

A row is a planned change or, when the access is already gone, a record that there was nothing left to
revoke (state already_absent), so the item is not planned again at every run. Rows carry the plan's own
keys (`_items`, `_automatic`, `_approval`, `_description`), which the plan removes before inserting them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from reviews.entitlements import PlannedChange, action_to_json
from reviews.storage.models import (
    AccessGrant,
    Campaign,
    Principal,
    ReviewItem,
    Revocation,
    RevocationState,
    Store,
)
from reviews.storage.revocation_links import change_key


def outbox_row(
    item: ReviewItem,
    grant: AccessGrant,
    store: Store,
    principal: Principal,
    campaign: Campaign,
    now: datetime,
    change: PlannedChange | None,
    gone: str | None,
) -> dict[str, Any]:
    """An outbox row: the planned change, or (`gone`) a record that there was nothing left to revoke."""
    base = {
        "review_item_id": item.id,
        "campaign_id": campaign.id,
        "grant_id": grant.id,
        "store_id": store.id,
        "principal_id": principal.id,
        "system": store.system,
        "attempts": 0,
        "planned_at": now,
        "dry_run": True,
        "hold_reason": None,  # every row carries every column: one executemany for the whole plan
        "approved_by": None,
        "approved_at": None,
        "_automatic": False,
        "_items": [item.id],
        "_approval": change.approval if change is not None else None,
    }
    if change is None:
        assert gone is not None  # noqa: S101
        description = f"nothing to revoke: {gone}"
        # A sync closed the grant: the access is gone at the source. Otherwise the connector found nothing
        # to remove while the last sync still saw the access (it moved to another path, say): the next sync
        # says whether it is gone (verified) or survived.
        closed = grant.valid_to is not None
        return {
            **base,
            "action": {"description": description},
            "inverse": None,
            "_description": description,
            "state": RevocationState.ALREADY_ABSENT,
            "applied_at": None,
            "read_back_at": now,
            "verified_at": grant.valid_to if closed else None,
        }
    return {
        **base,
        "action": action_to_json(change.action),
        "inverse": action_to_json(change.inverse) if change.inverse else None,
        "state": RevocationState.PLANNED,
        "_description": change.action.description,
        "applied_at": None,
        "read_back_at": None,
        "verified_at": None,
    }


def earlier_changes(session: Session, campaign_id: int | None) -> dict[str, int]:
    """The changes this campaign planned before (change key → revocation), that an item decided later may
    join: not those undone or given up, whose change is no longer coming."""
    rows = session.exec(
        select(Revocation.id, Revocation.store_id, Revocation.principal_id, Revocation.action).where(
            Revocation.campaign_id == campaign_id,
            col(Revocation.state).not_in([RevocationState.UNDONE, RevocationState.FAILED_PERMANENT]),
        )
    ).all()
    return {
        change_key(store_id, principal_id, action): rid
        for rid, store_id, principal_id, action in rows
        if rid is not None and action.get("kind")  # an already-absent record names no change
    }
