"""Deciding many items at once: "accept all recommendations" and "keep all", for the items one reviewer (or
their delegate) holds in one campaign. Each item still goes through `record_decision`, so every rule holds
per item; what cannot be decided in bulk is skipped and counted: items without a recommendation (accept),
and keeps that need a justification (those need the modal, one by one)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from reviews.actors import Actor
from reviews.campaigns.decide import record_decision
from reviews.campaigns.delegation import is_delegate
from reviews.campaigns.justification import needs_justification
from reviews.errors import NotAuthorized
from reviews.ports import Clock
from reviews.storage.models import DecidedVia, DecisionOutcome, ItemStatus, ReviewItem


class BulkMode(StrEnum):
    ACCEPT_RECOMMENDATIONS = "accept_recommendations"
    KEEP_ALL = "keep_all"


@dataclass
class BulkResult:
    decided: Counter[str] = field(default_factory=Counter)  # outcome → count
    skipped: Counter[str] = field(default_factory=Counter)  # reason → count


def record_bulk(
    engine: Engine,
    *,
    campaign_id: int,
    mode: BulkMode,
    actor: Actor,
    via: DecidedVia,
    clock: Clock,
    request_key: str | None = None,
    context: dict[str, Any] | None = None,
) -> BulkResult:
    if actor.person_id is None:
        raise NotAuthorized("the actor is not linked to a person")
    result = BulkResult()
    for item_id, outcome in _plan(engine, campaign_id, mode, actor, clock, result):
        decided = record_decision(
            engine,
            item_id=item_id,
            outcome=outcome,
            actor=actor,
            via=via,
            clock=clock,
            request_key=f"{request_key}:{item_id}" if request_key else None,
            context={**(context or {}), "bulk": mode.value},
        )
        if decided.applied:
            result.decided[outcome.value] += 1
        else:
            result.skipped[decided.message] += 1
    return result


def _plan(
    engine: Engine, campaign_id: int, mode: BulkMode, actor: Actor, clock: Clock, result: BulkResult
) -> list[tuple[int, DecisionOutcome]]:
    now = clock.now()
    with Session(engine) as session:
        items = session.exec(
            select(ReviewItem)
            .where(ReviewItem.campaign_id == campaign_id, ReviewItem.status == ItemStatus.PENDING)
            .order_by(col(ReviewItem.id))
        ).all()
        plan = []
        for item in items:
            if item.id is None or not _mine(session, item, actor, now):
                continue
            outcome = _outcome(item, mode)
            if outcome is None:
                result.skipped["no recommendation: decide it yourself"] += 1
            elif needs_justification(outcome, justification_required=item.justification_required):
                result.skipped["keeping it needs a justification: decide it on its own"] += 1
            else:
                plan.append((item.id, outcome))
    return plan


def _mine(session: Session, item: ReviewItem, actor: Actor, now: datetime) -> bool:
    if item.reviewer_person_id is None or item.holder_person_id == actor.person_id:
        return False
    if item.reviewer_person_id == actor.person_id:
        return True
    assert actor.person_id is not None  # noqa: S101  (checked by the caller)
    return is_delegate(session, item.reviewer_person_id, actor.person_id, now)


def _outcome(item: ReviewItem, mode: BulkMode) -> DecisionOutcome | None:
    if mode is BulkMode.KEEP_ALL:
        return DecisionOutcome.KEEP
    if item.recommendation in (DecisionOutcome.KEEP, DecisionOutcome.REVOKE):
        return DecisionOutcome(item.recommendation)
    return None
