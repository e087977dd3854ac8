"""The one way an item is decided: `record_decision`, used by Slack, the CLI and the cycle's policy.

Rules (DESIGN §3.10, TESTING.md "Authorization"): only the assigned reviewer or their recorded delegate
decides; nobody decides on their own access; nothing changes after the item was decided or the campaign
closed (the late click is recorded as superseded and answered with the final state); the same request
twice (a Slack retry, a double click) is one decision; two reviewers at once → one wins, by a
compare-and-set on the item, and the other is recorded as superseded. A refusal is itself evidence: it is
committed to the audit chain before NotAuthorized is raised. What the decision does to the item (decided,
or handed to a later stage) is reviews.campaigns.stages'.

This use case owns its transactions (it takes the engine): the refusal must be kept even though the
request fails, and the race is settled by the database, not by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from reviews import audit
from reviews.actors import Actor
from reviews.campaigns.delegation import is_delegate
from reviews.campaigns.justification import checked_justification, needs_justification
from reviews.campaigns.stages import changes_after_decision
from reviews.errors import InvalidArgument, NotAuthorized, NotFound
from reviews.ports import Clock
from reviews.storage.models import (
    Campaign,
    CampaignStatus,
    DecidedVia,
    Decision,
    DecisionOutcome,
    ItemStatus,
    ReviewItem,
)


@dataclass(frozen=True, slots=True)
class DecisionResult:
    item_id: int
    applied: bool  # this request decided the item (False: superseded or a repeat)
    status: str  # the item's status now
    stage: int
    message: str  # for the person who clicked


def record_decision(
    engine: Engine,
    *,
    item_id: int,
    outcome: DecisionOutcome,
    actor: Actor,
    via: DecidedVia,
    clock: Clock,
    justification: str | None = None,
    request_key: str | None = None,
    context: dict[str, Any] | None = None,
) -> DecisionResult:
    try:
        with Session(engine) as session:
            result = _decide(
                session, item_id, outcome, actor, via, clock, justification, request_key, context
            )
            session.commit()
            return result
    except IntegrityError:
        # The same request_key committed by a concurrent delivery of the same click: answer as a repeat.
        with Session(engine) as session:
            repeat = _repeat(session, request_key)
            if repeat is None:
                raise
            return repeat
    except _Refused as refused:
        raise _recorded(engine, refused, clock) from None


def check_may_decide(
    engine: Engine, *, item_id: int, actor: Actor, outcome: DecisionOutcome, via: DecidedVia, clock: Clock
) -> None:
    """Whether `actor` may decide the item, before anything about it is shown to them (the justification
    modal shows the item): NotFound, or NotAuthorized with the refusal recorded as `record_decision` records
    it. Deciding checks again: this is a gate for what is shown, not a grant."""
    refused: _Refused | None = None
    with Session(engine) as session:
        item = session.get(ReviewItem, item_id)
        if item is None:
            raise NotFound(f"review item {item_id} does not exist")
        try:
            _authorize(session, item, actor, outcome, via, clock.now())
        except _Refused as exc:
            refused = exc
    if refused is not None:  # recorded once the read is over: SQLite lets one connection write at a time
        raise _recorded(engine, refused, clock)


def _recorded(engine: Engine, refused: _Refused, clock: Clock) -> NotAuthorized:
    """The refusal committed to the audit chain (it is evidence even though the request fails)."""
    with Session(engine) as session:
        audit.append(session, refused.event, clock=clock)
        session.commit()
    return NotAuthorized(refused.message)


class _Refused(Exception):
    def __init__(self, message: str, event: audit.NewEvent) -> None:
        super().__init__(message)
        self.message, self.event = message, event


def _decide(
    session: Session,
    item_id: int,
    outcome: DecisionOutcome,
    actor: Actor,
    via: DecidedVia,
    clock: Clock,
    justification: str | None,
    request_key: str | None,
    context: dict[str, Any] | None,
) -> DecisionResult:
    repeat = _repeat(session, request_key)
    if repeat is not None:
        return repeat
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound(f"review item {item_id} does not exist")
    campaign = session.get(Campaign, item.campaign_id)
    assert campaign is not None  # noqa: S101  (foreign key)
    now = clock.now()
    on_behalf = _authorize(session, item, actor, outcome, via, now)
    justification = checked_justification(justification)
    if needs_justification(outcome, justification_required=item.justification_required) and not justification:
        raise InvalidArgument(
            f"item {item_id}: keeping access to special-category data needs a justification"
        )
    decision = Decision(
        review_item_id=item_id,
        stage=item.stage,
        decided_by_person_id=actor.person_id,
        on_behalf_of_person_id=on_behalf,
        outcome=outcome,
        decided_at=now,
        via=via,
        justification=justification,
        context={"actor": actor.id, **(context or {})},
        request_key=request_key,
    )
    if campaign.status != CampaignStatus.OPEN or item.status != ItemStatus.PENDING:
        return _superseded(
            session,
            decision,
            item,
            clock,
            "the campaign is closed"
            if campaign.status != CampaignStatus.OPEN
            else "the item was already decided",
        )
    changes = changes_after_decision(session, item, campaign, outcome, now)
    won = session.execute(
        update(ReviewItem)
        .where(
            col(ReviewItem.id) == item_id,
            col(ReviewItem.status) == ItemStatus.PENDING,
            col(ReviewItem.stage) == item.stage,
        )
        .values(**changes)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(item)
        return _superseded(session, decision, item, clock, "another reviewer decided it first")
    session.add(decision)
    session.flush()
    audit.append(
        session,
        audit.NewEvent(
            actor.id,
            "decision.recorded",
            f"item:{item_id}",
            {
                "campaign": item.campaign_id,
                "outcome": outcome.value,
                "stage": item.stage,
                "via": via.value,
                "by": actor.person_id,  # the person behind the actor (a Slack user id alone names nobody)
                "decision": decision.id,
                "on_behalf_of": on_behalf,
                "justification": justification,
                "next_stage": changes.get("stage"),
                "next_reviewer": changes.get("reviewer_person_id"),  # who the next stage asks
                "next_reviewer_source": changes.get("reviewer_source"),
            },
        ),
        clock=clock,
    )
    session.refresh(item)
    message = f"{outcome.value} recorded" + (
        f"; passed to stage {item.stage} for a second review" if item.status == ItemStatus.PENDING else ""
    )
    return DecisionResult(item_id, True, item.status, item.stage, message)


def _authorize(
    session: Session, item: ReviewItem, actor: Actor, outcome: DecisionOutcome, via: DecidedVia, now: datetime
) -> int | None:
    """The reviewer, or whose delegate the actor is (returned), or a committed refusal."""

    def refuse(reason: str) -> _Refused:
        event = audit.NewEvent(
            actor.id,
            "security.decision_refused",
            f"item:{item.id}",
            {"reason": reason, "outcome": outcome.value, "via": via.value, "person": actor.person_id},
        )
        return _Refused(f"item {item.id}: {reason}", event)

    if via is DecidedVia.POLICY:
        return None
    if actor.person_id is None:
        raise refuse("the actor is not linked to a person")
    if item.holder_person_id is not None and actor.person_id == item.holder_person_id:
        raise refuse("nobody reviews their own access")
    if actor.person_id == item.reviewer_person_id:
        return None
    if item.reviewer_person_id is not None and is_delegate(
        session, item.reviewer_person_id, actor.person_id, now
    ):
        return item.reviewer_person_id
    raise refuse("only the assigned reviewer or their delegate may decide this item")


def _superseded(
    session: Session, decision: Decision, item: ReviewItem, clock: Clock, why: str
) -> DecisionResult:
    decision.superseded = True
    session.add(decision)
    session.flush()
    audit.append(
        session,
        audit.NewEvent(
            str(decision.context.get("actor", "unknown")),
            "decision.superseded",
            f"item:{item.id}",
            {
                "outcome": decision.outcome,
                "reason": why,
                "decision": decision.id,
                "final_status": item.status,
            },
        ),
        clock=clock,
    )
    assert item.id is not None  # noqa: S101
    return DecisionResult(
        item.id, False, item.status, item.stage, f"nothing changed: {why} (now {item.status})"
    )


def _repeat(session: Session, request_key: str | None) -> DecisionResult | None:
    if request_key is None:
        return None
    decision = session.exec(select(Decision).where(Decision.request_key == request_key)).first()
    if decision is None:
        return None
    item = session.get(ReviewItem, decision.review_item_id)
    assert item is not None and item.id is not None  # noqa: S101
    return DecisionResult(item.id, False, item.status, item.stage, "already recorded")
