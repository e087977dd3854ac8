"""Delegation without self-review: a reviewer's items go to their delegate, except those about the delegate's
own access, which nobody may decide (DESIGN §3.10).

Decision (issue 15): such an item is handed at once to the next reviewer in its chain after the one who
delegated (reviews.campaigns.reviewers: the next owner, the holder's manager, then the fallback, in the
cycle's order; for a later stage, the fallback), skipping anyone whose own delegate is that same holder.
That person becomes the item's reviewer, so the evidence names who really decided, and an `item.rerouted`
audit event says from whom, to whom and why. It happens when the delegation is set (`hand_over`) and again
before every round of notifications (items assigned later: a new campaign, a second stage, an escalation).
When nobody is left in the chain the item stays with the reviewer who delegated and reaches them directly
(reviews.campaigns.notify): they may still decide their own items, and someone reachable must be asked.
Ending the delegation later does not move a rerouted item back: its new reviewer has been told about it.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from reviews import audit
from reviews.actors import Actor
from reviews.campaigns.delegation import active_delegations, delegate
from reviews.campaigns.frozen import frozen_grant_of
from reviews.campaigns.reviewers import Assignment, reviewer_chain, stage_chain
from reviews.cycles.definition import CycleDefinition
from reviews.cycles.manage import cycle_definition
from reviews.people.by_email import person_id_for
from reviews.ports import Clock
from reviews.storage.models import Campaign, CampaignStatus, Delegation, ItemStatus, Person, ReviewItem

REASON = "the reviewer's delegate holds this access"


def hand_over(
    session: Session,
    *,
    person_id: int,
    delegate_person_id: int,
    valid_from: datetime,
    valid_to: datetime,
    actor: Actor,
    clock: Clock,
) -> tuple[Delegation, int]:
    """`delegate`, then the delegate's own access among the reviewer's items rerouted: (the delegation, how
    many items went to someone else)."""
    row = delegate(
        session,
        person_id=person_id,
        delegate_person_id=delegate_person_id,
        valid_from=valid_from,
        valid_to=valid_to,
        actor=actor,
        clock=clock,
    )
    return row, reroute_own_access(session, actor=actor.id, clock=clock, reviewer_id=person_id)


def reroute_own_access(
    session: Session,
    *,
    actor: str,
    clock: Clock,
    campaign_id: int | None = None,
    reviewer_id: int | None = None,
) -> int:
    """Pending items of open campaigns whose reviewer's delegate holds them, to the next reviewer in their
    chain. Returns how many moved."""
    now = clock.now()
    delegations = active_delegations(session, now)  # all of them: a candidate may have delegated too
    handing = {r: d for r, d in delegations.items() if reviewer_id in (None, r)}
    if not handing:
        return 0
    query = (
        select(ReviewItem, Campaign)
        .join(Campaign, col(Campaign.id) == ReviewItem.campaign_id)
        .where(
            Campaign.status == CampaignStatus.OPEN,
            ReviewItem.status == ItemStatus.PENDING,
            col(ReviewItem.reviewer_person_id).in_(sorted(handing)),
            col(ReviewItem.holder_person_id).in_(sorted(set(handing.values()))),
        )
        .order_by(col(ReviewItem.id))
    )
    if campaign_id is not None:
        query = query.where(Campaign.id == campaign_id)
    definitions: dict[int, CycleDefinition] = {}
    moved = 0
    for item, campaign in session.exec(query).all():
        assert item.reviewer_person_id is not None and campaign.id is not None  # noqa: S101  (the query)
        if item.holder_person_id != handing.get(item.reviewer_person_id):
            continue
        if campaign.id not in definitions:
            definitions[campaign.id] = cycle_definition(session, campaign)
        target = _next_reviewer(session, item, definitions[campaign.id], delegations, now)
        if target is not None:
            _reassign(session, item, target, actor, clock)
            moved += 1
    session.flush()
    return moved


def _next_reviewer(
    session: Session,
    item: ReviewItem,
    definition: CycleDefinition,
    delegations: dict[int, int],
    now: datetime,
) -> tuple[int, str] | None:
    """(person id, source) of the first one after the current reviewer in the item's chain who is neither
    the holder nor someone whose items would go straight back to the holder; None when nobody is left."""
    holder = session.get(Person, item.holder_person_id) if item.holder_person_id else None
    current = session.get(Person, item.reviewer_person_id) if item.reviewer_person_id else None
    chain = _chain(item, definition, holder)
    emails = [assignment.email for assignment in chain]
    if current is not None and current.email in emails:
        rest = chain[emails.index(current.email) + 1 :]
    else:  # assigned from outside the chain (an escalation): only the fallback is left
        fallback = definition.reviewers.fallback
        rest = [Assignment(fallback, "fallback")] if fallback else []
    for candidate in rest:
        if candidate.email is None or (current is not None and candidate.email == current.email):
            continue
        candidate_id = person_id_for(session, candidate.email, now)
        if item.holder_person_id in (candidate_id, delegations.get(candidate_id)):
            continue
        return candidate_id, candidate.source
    return None


def _chain(item: ReviewItem, definition: CycleDefinition, holder: Person | None) -> list[Assignment]:
    frozen = frozen_grant_of(item)
    holder_email = holder.email if holder else frozen.principal.email
    stage = definition.stages[min(item.stage, len(definition.stages)) - 1]
    if stage.reviewer == "owner":
        return reviewer_chain(
            owners=list(frozen.store.owners),
            holder_email=holder_email,
            manager_email=holder.manager_email if holder else None,
            rules=definition.reviewers,
        )
    return stage_chain(
        stage_name=stage.name,
        reviewer=stage.reviewer,
        holder_email=holder_email,
        fallback=definition.reviewers.fallback,
    )


def _reassign(session: Session, item: ReviewItem, target: tuple[int, str], actor: str, clock: Clock) -> None:
    """The new reviewer gets a fresh digest for it (delivery state reset), as an escalation does."""
    previous, delegate_id = item.reviewer_person_id, item.holder_person_id
    item.reviewer_person_id, item.reviewer_source = target
    item.delivered_at, item.delivery_status, item.reminded_at = None, None, None
    session.add(item)
    audit.append(
        session,
        audit.NewEvent(
            actor,
            "item.rerouted",
            f"item:{item.id}",
            {
                "campaign": item.campaign_id,
                "from": previous,
                "to": target[0],
                "source": target[1],
                "delegate": delegate_id,
                "reason": REASON,
            },
        ),
        clock=clock,
    )
