"""Which review items each revocation ends (the `revocation_item` link table).

One provider change can end several review items: read and write on one store, both granted by one group
membership, are two items but one removal. The plan records that change once and links every such item to
it, so the outbox applies it once, a sync settles it once, an undo restores it once, and the blast radius
counts changes, not items.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session, col, select

from reviews.storage.models import RevocationItem

CHUNK = 5_000  # bounded IN lists


def change_key(store_id: int, principal_id: int, action: Mapping[str, Any]) -> str:
    """What makes two planned changes the same change: the store, the principal and the provider operation
    with its arguments. The description is left out: it is prose and may name the access level."""
    operation = {key: action.get(key) for key in ("system", "kind", "params")}
    return json.dumps([store_id, principal_id, operation], sort_keys=True)


def items_of(session: Session, revocation_ids: Iterable[int]) -> dict[int, list[int]]:
    """Revocation id → the ids of the review items it ends, ascending."""
    ids = sorted(set(revocation_ids))
    found: dict[int, list[int]] = defaultdict(list)
    for start in range(0, len(ids), CHUNK):
        for revocation_id, item_id in session.exec(
            select(RevocationItem.revocation_id, RevocationItem.review_item_id)
            .where(col(RevocationItem.revocation_id).in_(ids[start : start + CHUNK]))
            .order_by(col(RevocationItem.review_item_id))
        ).all():
            found[revocation_id].append(item_id)
    return dict(found)


def item_ids(session: Session, revocation_id: int | None, fallback: int | None) -> list[int]:
    """The items one revocation ends; `fallback` (its first item) when no link is recorded."""
    if revocation_id is not None:
        linked = items_of(session, [revocation_id]).get(revocation_id)
        if linked:
            return linked
    return [fallback] if fallback is not None else []
