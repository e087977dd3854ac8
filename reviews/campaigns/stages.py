"""What a decision does to its item: a revoke decides it; a keep decides it too, unless a later stage of the
cycle applies (every kept item, or kept admin access only), which hands the item to that stage's reviewer
(the store's owners through the cycle's reviewer rules, or a named reviewer, never the holder).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from reviews.campaigns.frozen import frozen_grant_of
from reviews.campaigns.reviewers import first_reviewer, stage_reviewer
from reviews.cycles.definition import CycleDefinition, StageCondition
from reviews.cycles.manage import cycle_definition
from reviews.people.by_email import person_id_for
from reviews.storage.models import Campaign, DecisionOutcome, ItemStatus, Person, ReviewItem


def changes_after_decision(
    session: Session, item: ReviewItem, campaign: Campaign, outcome: DecisionOutcome, now: datetime
) -> dict[str, Any]:
    """The item's new state: decided, or (kept, with a later stage that applies) handed to that stage."""
    if outcome is DecisionOutcome.REVOKE:
        return {"status": ItemStatus.REVOKED, "decided_at": now}
    definition = cycle_definition(session, campaign)
    if item.stage < len(definition.stages):  # stages are numbered from 1 on items: this is the next one
        stage = definition.stages[item.stage]
        if stage.applies_to is not StageCondition.KEPT_ADMIN or frozen_grant_of(item).access == "admin":
            reviewer_id, source = _stage_reviewer(session, item, definition, stage.name, stage.reviewer, now)
            return {
                "stage": item.stage + 1,
                "reviewer_person_id": reviewer_id,
                "reviewer_source": source,
                "delivered_at": None,
                "delivery_status": None,
                "reminders_sent": 0,
                "reminded_at": None,
                "escalated_at": None,
            }
    return {"status": ItemStatus.KEPT, "decided_at": now}


def _stage_reviewer(
    session: Session, item: ReviewItem, definition: CycleDefinition, name: str, reviewer: str, now: datetime
) -> tuple[int | None, str]:
    holder = session.get(Person, item.holder_person_id) if item.holder_person_id else None
    frozen = frozen_grant_of(item)
    holder_email = holder.email if holder else frozen.principal.email
    if reviewer == "owner":
        assignment = first_reviewer(
            owners=list(frozen.store.owners),
            holder_email=holder_email,
            manager_email=holder.manager_email if holder else None,
            rules=definition.reviewers,
        )
    else:
        assignment = stage_reviewer(
            stage_name=name,
            reviewer=reviewer,
            holder_email=holder_email,
            fallback=definition.reviewers.fallback,
        )
    if assignment.email is None:
        return None, assignment.source
    return person_id_for(session, assignment.email, now), assignment.source
