"""Which planned revocations wait for an admin (DESIGN §3.3), and the grant counts the rules need.

Held, whatever the cycle says: every change the connector marks as needing approval (`PlannedChange.approval`:
a shared resource policy, a public-access setting: exposures are never changed automatically), and, per store,
the automatic revocations (decided by policy, not by a reviewer) over the blast-radius limit. Changes held for
approval do not count toward that limit: they cannot run without an admin anyway. The rest is approved at once
when the cycle auto-applies, else left planned.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from reviews.enforcement.settings import EnforcementSettings
from reviews.entitlements import AccessLevel
from reviews.exposure import PERSONLESS_TYPES
from reviews.storage.models import AccessGrant, Principal, RevocationState


@dataclass(frozen=True, slots=True)
class HoldCounts:
    held: int
    approved: int
    planned: int


def apply_holds(
    session: Session,
    planned: list[dict[str, Any]],
    settings: EnforcementSettings,
    *,
    auto_apply: bool,
    cycle_name: str,
    now: datetime,
) -> HoldCounts:
    """Sets each outbox row's state (and hold reason). Rows carry `_approval` (the connector's reason an admin
    must approve, or None) and `_automatic` (decided by the cycle's policy)."""
    per_store: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in planned:
        if row["state"] == RevocationState.ALREADY_ABSENT:
            continue
        if row["_approval"]:
            row["state"], row["hold_reason"] = RevocationState.HELD, row["_approval"]
        elif row["_automatic"]:
            per_store[row["store_id"]].append(row)
    totals = open_grant_counts(session, set(per_store))
    for store_id, rows in per_store.items():
        # The count is of changes; the share is of the store's grants those changes end (one change may end
        # read and write): halving it for linked changes would let a larger part of a store go unheld.
        ended = sum(len(row.get("_items") or [row]) for row in rows)
        share = ended / max(totals[store_id], 1)
        over = len(rows) > settings.blast_radius_count or (
            len(rows) >= 3 and share > settings.blast_radius_share
        )
        if over:
            reason = (
                f"{len(rows)} automatic revocations on one store ({share:.0%} of its grants) exceed the "
                f"blast-radius limit ({settings.blast_radius_count}, {settings.blast_radius_share:.0%}): "
                "an admin must approve"
            )
            for row in rows:
                row["state"], row["hold_reason"] = RevocationState.HELD, reason
    held = approved = left = 0
    for row in planned:
        if row["state"] == RevocationState.ALREADY_ABSENT:
            continue  # counted where it was found
        if row["state"] == RevocationState.HELD:
            held += 1
        elif auto_apply:
            row["state"], row["approved_by"], row["approved_at"] = (
                RevocationState.APPROVED,
                f"policy:{cycle_name}",
                now,
            )
            approved += 1
        else:
            left += 1
    return HoldCounts(held, approved, left)


def open_admins(session: Session, store_ids: set[int]) -> Counter[int]:
    """Open admin grants per store held by the organisation's own identities: anyone on the internet or an
    outside account administering a store is no admin the organisation could fall back on."""
    return _count_open(session, store_ids, admin_only=True)


def open_grant_counts(session: Session, store_ids: set[int]) -> Counter[int]:
    return _count_open(session, store_ids, admin_only=False)


def _count_open(session: Session, store_ids: set[int], *, admin_only: bool) -> Counter[int]:
    if not store_ids:
        return Counter()
    query = select(AccessGrant.store_id, func.count()).where(
        col(AccessGrant.valid_to).is_(None), col(AccessGrant.store_id).in_(sorted(store_ids))
    )
    if admin_only:
        query = (
            query.join(Principal, col(Principal.id) == AccessGrant.principal_id)
            .where(AccessGrant.access == AccessLevel.ADMIN)
            .where(col(Principal.type).not_in(sorted(PERSONLESS_TYPES)))
        )
    return Counter(dict(session.execute(query.group_by(col(AccessGrant.store_id))).tuples().all()))
