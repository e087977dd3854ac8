"""The safety envelope, checked again when a revocation is about to run (issue 15, item 2).

A revocation is planned inside the envelope (enforcement/plan.py, holds.py) but may run hours or days later:
meanwhile an admin may have protected its principal, lowered the blast-radius limit, or the store may have
lost its other admins. Just before the provider call, with the configuration then in force:

- a principal now protected is refused: the row ends `failed_permanent` with the reason, the review item is
  left to a person, nothing is written at the provider;
- an admin grant that is now the store's last (no other admin of the organisation's own that no revocation
  is removing) is refused the same way;
- an automatic revocation (approved by the cycle's policy, not by an admin) whose store is now over the
  blast-radius limit is held for an admin, as the plan would have held it.

Revocations an admin approved by hand passed the blast-radius rule by that decision; protection and the last
admin apply to every revocation.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, union
from sqlmodel import Session, col, func, select

from reviews.enforcement.holds import open_grant_counts
from reviews.enforcement.settings import EnforcementSettings
from reviews.entitlements import AccessLevel
from reviews.exposure import PERSONLESS_TYPES
from reviews.protection import Protection
from reviews.storage.models import (
    AccessGrant,
    Principal,
    ReviewItem,
    Revocation,
    RevocationItem,
    RevocationState,
)

S = RevocationState
# Revocations that are removing (or have removed) an access: an admin they target is no fallback admin.
_REMOVING = (S.APPROVED, S.CLAIMED, S.FAILED_RETRYABLE, S.APPLIED, S.VERIFIED, S.ALREADY_ABSENT)


@dataclass(frozen=True, slots=True)
class Stop:
    state: str  # failed_permanent (refused) or held (for an admin)
    reason: str


def stop_before_apply(
    session: Session, row: Revocation, settings: EnforcementSettings, protection: Protection
) -> Stop | None:
    """Why `row` must not run now, under the configuration in force, or None."""
    principal = session.get(Principal, row.principal_id)
    grant = session.get(AccessGrant, row.grant_id)
    if principal is None or grant is None:
        return Stop(S.FAILED_PERMANENT, "refused at apply: its principal or grant is no longer on record")
    reason = protection.reason(provider_id=principal.provider_id, name=principal.name, email=principal.email)
    if reason:
        return Stop(S.FAILED_PERMANENT, f"refused at apply: protected: {reason}")
    # Every level the one change ends (its linked items' grants too): an admin among them is an admin removed.
    levels = {
        grant.access,
        *session.exec(select(AccessGrant.access).where(col(AccessGrant.id).in_(_ended(row)))).all(),
    }
    if AccessLevel.ADMIN in levels and principal.type not in PERSONLESS_TYPES:
        if _other_admins(session, row) == 0:
            return Stop(S.FAILED_PERMANENT, "refused at apply: the last admin of the store is never removed")
    if (row.approved_by or "").startswith("policy:"):
        over = _over_blast_radius(session, row, settings)
        if over:
            return Stop(S.HELD, over)
    return None


def _other_admins(session: Session, row: Revocation) -> int:
    """Open admin grants on the store, of the organisation's own principals other than this one, that no
    revocation is removing."""
    others = select(Revocation.id).where(
        Revocation.store_id == row.store_id, col(Revocation.state).in_(_REMOVING), Revocation.id != row.id
    )
    removing = union(
        select(Revocation.grant_id).where(col(Revocation.id).in_(others)),
        select(ReviewItem.grant_id)
        .join(RevocationItem, col(RevocationItem.review_item_id) == ReviewItem.id)
        .where(col(RevocationItem.revocation_id).in_(others)),
    )
    return session.exec(
        select(func.count())
        .select_from(AccessGrant)
        .join(Principal, col(Principal.id) == AccessGrant.principal_id)
        .where(
            AccessGrant.store_id == row.store_id,
            AccessGrant.access == AccessLevel.ADMIN,
            col(AccessGrant.valid_to).is_(None),
            AccessGrant.principal_id != row.principal_id,
            col(Principal.type).not_in(sorted(PERSONLESS_TYPES)),
            col(AccessGrant.id).not_in(removing),
        )
    ).one()


def _ended(row: Revocation) -> Select[tuple[int]]:
    """The grants of the items linked to `row`: one change may end several (read and write, or admin)."""
    return (
        select(ReviewItem.grant_id)
        .join(RevocationItem, col(RevocationItem.review_item_id) == ReviewItem.id)
        .where(RevocationItem.revocation_id == row.id)
    )


def _over_blast_radius(session: Session, row: Revocation, settings: EnforcementSettings) -> str | None:
    """The plan's rule (holds.apply_holds) on the automatic revocations of this store and campaign, with the
    limits in force now."""
    removing = select(Revocation.id).where(
        Revocation.store_id == row.store_id,
        Revocation.campaign_id == row.campaign_id,
        col(Revocation.approved_by).startswith("policy:"),
        col(Revocation.state).in_(_REMOVING),
    )
    count = session.exec(select(func.count()).select_from(removing.subquery())).one()
    linked = select(func.count()).where(col(RevocationItem.revocation_id).in_(removing))
    ended = max(session.exec(linked).one(), count)  # the grants those changes end (a row unlinked: one)
    total = open_grant_counts(session, {row.store_id})[row.store_id]
    share = ended / max(total, 1)
    if count > settings.blast_radius_count or (count >= 3 and share > settings.blast_radius_share):
        return (
            f"held at apply: {count} automatic revocations on one store ({share:.0%} of its grants) exceed "
            f"the blast-radius limit now in force ({settings.blast_radius_count}, "
            f"{settings.blast_radius_share:.0%}): an admin must approve"
        )
    return None
