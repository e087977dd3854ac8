"""Planning revocations inside the safety envelope (DESIGN §3): what a campaign decided to revoke becomes
outbox rows, or a reason a person must act instead. Nothing here calls a provider's write API: connectors
only name the change (`plan_revocation`), the outbox executes it later (reviews.enforcement.outbox).

Checks, in order, for each revoked item: the grant is still open; the principal is not protected; the
grant was fully understood; the source's latest sync is healthy; it is not the store's last admin; the
connector can name a change that ends it for this principal alone. Items whose changes are the same change
(read and write from one group membership: one removal) share one outbox row, linked to each of them
(`reviews.storage.revocation_links`), so the change runs once and counts once. Then
`reviews.enforcement.holds` holds for an admin every change the connector says needs approval (an exposure's
shared policy), and per
store the automatic changes (decided by policy, not by a reviewer) above the blast-radius limit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import defer
from sqlmodel import Session, SQLModel, col, select

from reviews import audit
from reviews.enforcement.holds import apply_holds, open_admins
from reviews.enforcement.settings import EnforcementSettings
from reviews.entitlements import AccessLevel, Grant, PathStep, PlannedChange, action_to_json
from reviews.errors import NotFound, RevocationRefused
from reviews.exposure import is_personless
from reviews.inventory.source_health import source_health
from reviews.ports import Clock, Connector
from reviews.protection import Protection
from reviews.storage.models import (
    AccessGrant,
    Campaign,
    DecidedVia,
    Decision,
    ItemStatus,
    Principal,
    ReviewItem,
    Revocation,
    RevocationItem,
    RevocationState,
    Store,
)
from reviews.storage.revocation_links import change_key, items_of

REVOCATIONS = SQLModel.metadata.tables[Revocation.__tablename__]
LINKS = SQLModel.metadata.tables[RevocationItem.__tablename__]
WAIT = "wait"  # not refused: the source is not healthy now; a later run plans it
ACTOR = "system:planner"


@dataclass
class PlanSummary:
    planned: int = 0
    held: int = 0
    approved: int = 0
    already_absent: int = 0
    needs_human_review: int = 0
    waiting: int = 0  # left for a later run: the source is not healthy, or no connector is configured
    linked: int = 0  # items whose change is another item's: linked to its revocation, not a row of their own
    reasons: Counter[str] = field(default_factory=Counter)


def plan_revocations(
    session: Session,
    campaign: Campaign,
    connectors: Mapping[str, Connector],
    *,
    settings: EnforcementSettings,
    protection: Protection,
    auto_apply: bool,
    cycle_name: str,
    clock: Clock,
    max_sync_age: timedelta = timedelta(hours=26),
) -> PlanSummary:
    """Idempotent: items that already have an outbox row are skipped, so a re-run plans only what waited."""
    now = clock.now()
    summary = PlanSummary()
    rows = (
        session.execute(
            select(ReviewItem, AccessGrant, Store, Principal)
            .options(defer(ReviewItem.frozen_grant), defer(ReviewItem.recommendation_evidence))  # type: ignore[arg-type]
            .join(AccessGrant, col(AccessGrant.id) == ReviewItem.grant_id)
            .join(Store, col(Store.id) == ReviewItem.store_id)
            .join(Principal, col(Principal.id) == ReviewItem.principal_id)
            .outerjoin(RevocationItem, col(RevocationItem.review_item_id) == ReviewItem.id)
            .where(
                ReviewItem.campaign_id == campaign.id,
                ReviewItem.status == ItemStatus.REVOKED,
                col(RevocationItem.revocation_id).is_(None),
            )
            .order_by(col(ReviewItem.id))
        )
        .tuples()
        .all()
    )
    automatic = _decided_by_policy(session, campaign.id)
    health = {
        system: source_health(session, system, now=now, max_age=max_sync_age).problem
        for system in {store.system for _, _, store, _ in rows}
    }
    admins_left = open_admins(session, {store.id for _, _, store, _ in rows if store.id is not None})
    planned: list[dict[str, Any]] = []
    events: list[audit.NewEvent] = []
    earlier = _earlier_changes(session, campaign.id)  # a re-run links to a change already planned
    by_change: dict[str, dict[str, Any]] = {}
    links: list[tuple[int, int]] = []  # (earlier revocation, item) for items joining an earlier change
    refused_changes: dict[str, str] = {}  # change key → why an item needing that change was refused
    items = {item.id: item for item, _, _, _ in rows}
    for item, grant, store, principal in rows:
        refusal = _refusal(grant, principal, store, protection, health, admins_left)
        if refusal == WAIT:
            summary.waiting += 1
            summary.reasons[f"waiting: {health[store.system]}"] += 1
            continue
        connector = connectors.get(store.system)
        if refusal is None and connector is None:
            summary.waiting += 1
            summary.reasons[f"no {store.system} connector configured"] += 1
            continue
        change, gone = None, None
        if grant.valid_to is not None:
            gone = f"a sync found the access gone at {grant.valid_to:%Y-%m-%d %H:%M} UTC"
        elif refusal is None and connector is not None:
            try:
                change = connector.plan_revocation(_grant(grant, store, principal))
            except RevocationRefused as exc:
                refusal = str(exc)
            except NotFound as exc:
                gone = str(exc)
        if gone is not None:
            # Recorded as an outbox row (already absent, nothing to execute or undo), so the item is not
            # planned again at every tick, and a later re-grant is flagged like any revoked access.
            planned.append(_row(item, grant, store, principal, campaign, now, None, gone))
            summary.already_absent += 1
            continue
        if refusal is not None:
            if change is None and connector is not None:  # refused by the envelope: which change was it?
                key = _key_of(connector, grant, store, principal)
                if key is not None:
                    refused_changes.setdefault(key, f"{refusal} (the same change as item {item.id})")
            _needs_human(session, item, refusal, summary, events)
            continue
        assert change is not None and item.id is not None  # noqa: S101
        if grant.access == AccessLevel.ADMIN and not is_personless(principal.type):
            admins_left[store.id] -= 1
        row = _row(item, grant, store, principal, campaign, now, change, None)
        key = change_key(store.id or 0, principal.id or 0, row["action"])
        if key in earlier:
            links.append((earlier[key], item.id))
            summary.linked += 1
            continue
        if key in by_change:  # the same change as an item before it: one row, both items linked
            shared = by_change[key]
            shared["_items"].append(item.id)
            shared["_automatic"] = shared["_automatic"] or item.id in automatic  # counts if any is
            summary.linked += 1
            continue
        row = {**row, "dry_run": settings.mode != "live", "_automatic": item.id in automatic}
        by_change[key] = row
        planned.append(row)
    # A change that would also end a refused item's access (the last admin's read and admin, one membership)
    # is refused for every item it ends: refusing one of them must keep the access.
    for key, reason in refused_changes.items():
        if key not in by_change:
            continue
        shared = by_change.pop(key)
        planned[:] = [row for row in planned if row is not shared]
        summary.linked -= len(shared["_items"]) - 1
        for item_id in shared["_items"]:
            _needs_human(session, items[item_id], reason, summary, events)
    counts = apply_holds(session, planned, settings, auto_apply=auto_apply, cycle_name=cycle_name, now=now)
    summary.held, summary.approved, summary.planned = counts.held, counts.approved, counts.planned
    items_by_first: dict[int, list[int]] = {}
    for row in planned:
        description, approval = row.pop("_description"), row.pop("_approval")
        del row["_automatic"]
        items = items_by_first[row["review_item_id"]] = row.pop("_items")
        payload = {
            "campaign": campaign.id,
            "action": description,
            "hold_reason": row.get("hold_reason"),
            "items": items,  # every item this one change ends
        }
        if approval:
            payload["needs_approval"] = True  # held for an admin whatever the cycle's policy says
        events.append(
            audit.NewEvent(ACTOR, f"revocation.{row['state']}", f"item:{row['review_item_id']}", payload)
        )
    if planned:
        inserted = session.execute(
            insert(REVOCATIONS).returning(REVOCATIONS.c.id, REVOCATIONS.c.review_item_id), planned
        ).tuples()
        links += [(rid, item_id) for rid, first in inserted for item_id in items_by_first[first]]
    events += _linked_late(session, links, campaign.id)
    if links:
        session.execute(insert(LINKS), [{"revocation_id": r, "review_item_id": i} for r, i in links])
    audit.append_many(session, events, clock=clock)
    return summary


def _earlier_changes(session: Session, campaign_id: int | None) -> dict[str, int]:
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


def _linked_late(
    session: Session, links: list[tuple[int, int]], campaign_id: int | None
) -> list[audit.NewEvent]:
    """An event per earlier revocation an item joined in this run, listing every item it now ends."""
    joined: dict[int, list[int]] = {}
    for revocation_id, item_id in links:
        joined.setdefault(revocation_id, []).append(item_id)
    before = items_of(session, joined)
    return [
        audit.NewEvent(
            ACTOR,
            "revocation.linked",
            f"revocation:{revocation_id}",
            {"campaign": campaign_id, "added": added, "items": sorted({*before[revocation_id], *added})},
        )
        for revocation_id, added in joined.items()
        if revocation_id in before  # rows inserted by this run have no links yet: their event says all
    ]


def _row(
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


def _key_of(connector: Connector, grant: AccessGrant, store: Store, principal: Principal) -> str | None:
    """The change key of a grant the envelope refused, if the connector can name its change."""
    if grant.valid_to is not None:
        return None
    try:
        change = connector.plan_revocation(_grant(grant, store, principal))
    except (RevocationRefused, NotFound):
        return None
    return change_key(store.id or 0, principal.id or 0, action_to_json(change.action))


def _refusal(
    grant: AccessGrant,
    principal: Principal,
    store: Store,
    protection: Protection,
    health: dict[str, str | None],
    admins_left: Counter[int],
) -> str | None:
    """Why this grant must not be revoked automatically (WAIT: not now, try again later), or None."""
    reason = protection.reason(provider_id=principal.provider_id, name=principal.name, email=principal.email)
    if reason:
        return f"protected: {reason}"
    if grant.needs_human_review:
        return "a policy on this path could not be fully understood; a person must check it"
    if health.get(store.system):
        return WAIT
    last_admin = store.id is not None and admins_left[store.id] <= 1
    if grant.access == AccessLevel.ADMIN and last_admin and not is_personless(principal.type):
        return f"the last admin of {store.name}: never removed automatically"
    return None


def _needs_human(
    session: Session, item: ReviewItem, reason: str, summary: PlanSummary, events: list[audit.NewEvent]
) -> None:
    item.status, item.human_review_reason = ItemStatus.NEEDS_HUMAN_REVIEW, reason
    session.add(item)
    summary.needs_human_review += 1
    summary.reasons[reason.split(":")[0]] += 1
    events.append(_event("revocation.refused", item, {"reason": reason}))


def _decided_by_policy(session: Session, campaign_id: int | None) -> set[int]:
    """Items of the campaign decided by the cycle's policy (a join, not an IN list: 20,000 ids and more)."""
    return set(
        session.exec(
            select(Decision.review_item_id)
            .join(ReviewItem, col(ReviewItem.id) == Decision.review_item_id)
            .where(
                ReviewItem.campaign_id == campaign_id,
                Decision.via == DecidedVia.POLICY,
                col(Decision.superseded).is_(False),
            )
        ).all()
    )


def _grant(grant: AccessGrant, store: Store, principal: Principal) -> Grant:
    return Grant(
        store_provider_id=store.provider_id,
        principal_provider_id=principal.provider_id,
        access=AccessLevel(grant.access),
        path=tuple(PathStep(step["kind"], step["id"], step["name"]) for step in grant.path),
        conditional=grant.conditional,
        needs_human_review=grant.needs_human_review,
        store_name=store.name,
        principal_name=principal.name,
    )


def _event(kind: str, item: ReviewItem, payload: dict[str, Any]) -> audit.NewEvent:
    return audit.NewEvent(ACTOR, kind, f"item:{item.id}", {"campaign": item.campaign_id, **payload})
