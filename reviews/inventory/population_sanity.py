"""Population sanity (DESIGN §3.5): a source that suddenly says far fewer people hold access is more often
broken (a filter, a permission, a half-read) than right. Such a snapshot is not applied: applying it would
close every missing grant, and the audit trail would say access ended when it did not. An admin who knows
the drop is real re-runs the sync with `--accept-drop`.
"""

from __future__ import annotations

import math
from collections import Counter

from sqlmodel import Session, col, func, select

from reviews.entitlements import Snapshot
from reviews.errors import IncompleteSnapshot, PopulationDropped
from reviews.exposure import is_personless
from reviews.storage.models import AccessGrant, Store

MIN_POPULATION = 10  # below this, a store's count is too small for a share to mean anything


def allowed_store_loss(count: int, max_drop: float) -> int:
    """How many of a store's `count` open grants one sync may close before the snapshot is refused. The
    larger the store, the smaller the share: a lost page of a list (100 of them in Graph, 1,000 in IAM) is
    a small share of a large store, yet a hundred people whose access would silently end. Up to 20 grants:
    `max_drop`; up to 100: half of it; beyond: a quarter; never fewer than 3 (small teams change)."""
    share = max_drop if count <= 20 else max_drop / 2 if count <= 100 else max_drop / 4
    return max(3, math.ceil(count * share))


def check_population(session: Session, snapshot: Snapshot, *, max_drop: float) -> None:
    before = _open_by_store(session, snapshot.system)
    after = Counter(grant.store_provider_id for grant in snapshot.grants)
    total_before, total_after = sum(before.values()), len(snapshot.grants)
    problems = []
    if total_before and total_after == 0:
        problems.append(f"{snapshot.system} returned no grants at all (previously {total_before})")
    elif total_before >= MIN_POPULATION and total_after < total_before * (1 - max_drop):
        problems.append(
            f"{snapshot.system} returned {total_after} grants, down from {total_before} "
            f"(more than {max_drop:.0%} fewer)"
        )
    present = {store.provider_id for store in snapshot.stores}
    for store_provider_id, count in sorted(before.items()):
        if store_provider_id not in present or count < MIN_POPULATION:
            continue
        allowed = allowed_store_loss(count, max_drop)
        if count - after[store_provider_id] > allowed:
            problems.append(
                f"store {store_provider_id}: {after[store_provider_id]} grants, down from {count} (at most "
                f"{allowed} may go in one sync at its size)"
            )
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise PopulationDropped(
            f"not applied: {shown}. Campaigns and revocations for {snapshot.system} stop until an admin "
            "looks; if the drop is real, run `recertify sync --accept-drop`"
        )


def refuse_personless_links(snapshot: Snapshot) -> None:
    """Anyone, an outside account or a service is nobody's identity: a link to a person would make someone
    "hold" public access (and never review it, as their own). A connector that says so is wrong: refuse."""
    for principal in snapshot.principals:
        if principal.person_email is not None and is_personless(principal.type):
            raise IncompleteSnapshot(
                f"{snapshot.system}: principal {principal.provider_id} ({principal.type}) is nobody's "
                f"identity but links to the person {principal.person_email}"
            )


def _open_by_store(session: Session, system: str) -> Counter[str]:
    rows = session.execute(
        select(Store.provider_id, func.count())
        .join(AccessGrant, col(AccessGrant.store_id) == Store.id)
        .where(Store.system == system, col(AccessGrant.valid_to).is_(None))
        .group_by(col(Store.provider_id))
    ).tuples()
    return Counter(dict(rows.all()))
