"""The queries behind one campaign's evidence, and the rows built from them. Reads only.

Everything is read by campaign (items, their decisions and revocations, the notifications that reached
reviewers) plus the people those rows name, each table once: no query per item.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from reviews.campaigns.frozen import frozen_grant_of
from reviews.campaigns.views import campaign_and_cycle_name
from reviews.entitlements import stored_path_text
from reviews.evidence.model import CampaignFacts, DecisionFact, EvidenceRow
from reviews.storage.models import (
    AuditEvent,
    Decision,
    Notification,
    Person,
    ReviewItem,
    Revocation,
    RevocationItem,
)

CHUNK = 5_000  # bounded IN lists


@dataclass(frozen=True, slots=True)
class _Tables:
    items: list[ReviewItem]
    decisions: dict[int, list[Decision]]  # by item, oldest first
    revocations: dict[int, Revocation]  # by item: every item a revocation ends (links)
    revocation_items: dict[int, list[int]]  # revocation → the items it ends
    people: dict[int, str]  # person id → email
    deliveries: dict[
        tuple[int, int], list[datetime]
    ]  # (person, item) → delivered notifications, oldest first
    escalation_sent: dict[int, datetime]  # item → the first delivered escalation message listing it
    escalated_from: dict[int, int]  # item → the reviewer it was escalated from, where the audit recorded it
    escalation_reasons: dict[int, str]  # item → why it was escalated, as the audit recorded it
    first_asked: dict[int, int | None]  # item → who was asked first (`item.opened`), where recorded


def read_campaign(session: Session, campaign_id: int) -> tuple[CampaignFacts, list[EvidenceRow]]:
    campaign, cycle = campaign_and_cycle_name(session, campaign_id)
    facts = CampaignFacts(
        id=campaign_id,
        cycle=cycle,
        cycle_version=campaign.cycle_version,
        period=campaign.period_key,
        kind=campaign.kind,
        status=campaign.status,
        started_at=campaign.started_at,
        started_by=campaign.started_by,
        due_at=campaign.due_at,
        closed_at=campaign.closed_at,
        closed_by=campaign.closed_by,
        population_count=campaign.population_count,
        population_sha256=campaign.population_sha256,
        sync_run_ids=tuple(campaign.sync_run_ids),
    )
    tables = _tables(session, campaign_id)
    return facts, [_row(facts, item, tables) for item in tables.items]


def _tables(session: Session, campaign_id: int) -> _Tables:
    items = list(
        session.exec(
            select(ReviewItem).where(ReviewItem.campaign_id == campaign_id).order_by(col(ReviewItem.id))
        ).all()
    )
    decisions: dict[int, list[Decision]] = defaultdict(list)
    for decision in session.exec(
        select(Decision)
        .join(ReviewItem, col(ReviewItem.id) == Decision.review_item_id)
        .where(ReviewItem.campaign_id == campaign_id)
        .order_by(col(Decision.decided_at), col(Decision.id))
    ).all():
        decisions[decision.review_item_id].append(decision)
    revocations: dict[int, Revocation] = {}
    revocation_items: dict[int, list[int]] = defaultdict(list)
    for item_id, revocation in session.exec(
        select(RevocationItem.review_item_id, Revocation)
        .join(Revocation, col(Revocation.id) == RevocationItem.revocation_id)
        .join(ReviewItem, col(ReviewItem.id) == RevocationItem.review_item_id)
        .where(ReviewItem.campaign_id == campaign_id)
        .order_by(col(RevocationItem.review_item_id))
    ).all():
        revocations[item_id] = revocation
        revocation_items[revocation.id or 0].append(item_id)
    deliveries: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    escalation_sent: dict[int, datetime] = {}
    for person_id, item_ids, sent_at, kind in session.exec(
        select(Notification.person_id, Notification.item_ids, Notification.sent_at, Notification.kind)
        .where(Notification.campaign_id == campaign_id, col(Notification.delivered).is_(True))
        .order_by(col(Notification.sent_at), col(Notification.id))
    ).all():
        if person_id is not None:
            for item_id in item_ids:
                deliveries[(person_id, int(item_id))].append(sent_at)
        if kind == "escalation":
            for item_id in item_ids:
                escalation_sent.setdefault(int(item_id), sent_at)
    escalated_from, reasons = _escalations(
        session, [i.id for i in items if i.id is not None and i.escalated_at]
    )
    first_asked = _first_asked(session, [i.id for i in items if i.id is not None])
    named = {p for i in items for p in (i.holder_person_id, i.reviewer_person_id)}
    named |= set(escalated_from.values()) | set(first_asked.values())
    named |= {
        p for ds in decisions.values() for d in ds for p in (d.decided_by_person_id, d.on_behalf_of_person_id)
    }
    people = _emails(session, named)
    return _Tables(
        items,
        decisions,
        revocations,
        dict(revocation_items),
        people,
        deliveries,
        escalation_sent,
        escalated_from,
        reasons,
        first_asked,
    )


def _first_asked(session: Session, item_ids: list[int]) -> dict[int, int | None]:
    """The reviewer each item's `item.opened` event named: the item row keeps only the latest one."""
    found: dict[int, int | None] = {}
    for start in range(0, len(item_ids), CHUNK):
        subjects = [f"item:{i}" for i in item_ids[start : start + CHUNK]]
        for subject, payload in session.exec(
            select(AuditEvent.subject, AuditEvent.payload).where(
                AuditEvent.kind == "item.opened", col(AuditEvent.subject).in_(subjects)
            )
        ).all():
            reviewer = payload.get("reviewer") if isinstance(payload, dict) else None
            found[int(subject.removeprefix("item:"))] = reviewer if isinstance(reviewer, int) else None
    return found


def _escalations(session: Session, item_ids: list[int]) -> tuple[dict[int, int], dict[int, str]]:
    """The reviewer each escalated item was taken from, and why, as its latest `item.escalated` audit event
    recorded them. Escalations at the campaign's deadline record no "from": those items are absent there."""
    found: dict[int, int] = {}
    reasons: dict[int, str] = {}
    for start in range(0, len(item_ids), CHUNK):
        subjects = [f"item:{i}" for i in item_ids[start : start + CHUNK]]
        for subject, payload in session.exec(
            select(AuditEvent.subject, AuditEvent.payload)
            .where(AuditEvent.kind == "item.escalated", col(AuditEvent.subject).in_(subjects))
            .order_by(col(AuditEvent.seq))
        ).all():
            if not isinstance(payload, dict):
                continue
            item_id = int(subject.removeprefix("item:"))
            previous, days = payload.get("from"), payload.get("silent_days")
            if isinstance(previous, int):
                found[item_id] = previous
            if isinstance(payload.get("reason"), str):
                reasons[item_id] = payload["reason"]
            elif isinstance(days, int):
                reasons[item_id] = f"the reviewer decided nothing within {days} days of delivery"
    return found, reasons


def _emails(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    found: dict[int, str] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for person_id, email in session.exec(
            select(Person.id, Person.email).where(col(Person.id).in_(chunk))
        ).all():
            if person_id is not None:
                found[person_id] = email
    return found


def _row(campaign: CampaignFacts, item: ReviewItem, tables: _Tables) -> EvidenceRow:
    assert item.id is not None  # noqa: S101
    grant, evidence = frozen_grant_of(item), item.recommendation_evidence
    store, principal = grant.store, grant.principal
    history = tuple(_decision(d, item, tables) for d in tables.decisions.get(item.id, []))
    effective = next((d for d in reversed(history) if not d.superseded), None)
    revocation = tables.revocations.get(item.id)
    person = tables.people.get(item.holder_person_id) if item.holder_person_id else None
    return EvidenceRow(
        campaign_id=campaign.id,
        cycle=campaign.cycle,
        cycle_version=campaign.cycle_version,
        population_count=campaign.population_count,
        population_sha256=campaign.population_sha256,
        item_id=item.id,
        store_provider_id=store.provider_id,
        store_name=store.name,
        store_system=store.system,
        store_kind=store.kind,
        store_classification=store.classification,
        principal_provider_id=principal.provider_id,
        principal_name=principal.name,
        principal_type=principal.type,
        person=person or principal.email,
        access=grant.access,
        path=grant.path_steps,
        conditional=grant.conditional,
        exposure=evidence.get("exposure"),
        exposure_sentence=evidence.get("exposure_sentence"),
        recommendation=item.recommendation,
        recommendation_reason=evidence["reason"],
        evidence_source=evidence.get("source"),
        evidence_last_used_at=evidence.get("last_used_at"),
        evidence_window_start=evidence.get("window_start"),
        evidence_window_end=evidence.get("window_end"),
        evidence_bound=evidence.get("bound"),
        evidence_last_sign_in_at=evidence.get("last_sign_in_at"),
        evidence_observed_until=evidence.get("observed_until"),
        first_reviewer=tables.people.get(tables.first_asked.get(item.id) or 0),
        reviewer=tables.people.get(item.reviewer_person_id) if item.reviewer_person_id else None,
        reviewer_source=item.reviewer_source,
        escalated_at=item.escalated_at,
        escalated_from=tables.people.get(tables.escalated_from[item.id])
        if item.escalated_at is not None and item.id in tables.escalated_from
        else None,
        escalation_sent_at=tables.escalation_sent.get(item.id) if item.escalated_at is not None else None,
        escalation_reason=tables.escalation_reasons.get(item.id) if item.escalated_at is not None else None,
        stage=item.stage,
        status=item.status,
        decision=effective.outcome if effective else None,
        decision_stage=effective.stage if effective else None,
        justification=effective.justification if effective else None,
        decided_at=effective.decided_at if effective else None,
        decided_via=effective.via if effective else None,
        decided_by=effective.decided_by if effective else None,
        on_behalf_of=effective.on_behalf_of if effective else None,
        decision_history=history,
        delivery_status=item.delivery_status,
        delivered_at=item.delivered_at,
        revocation_state=revocation.state if revocation else None,
        revocation_dry_run=revocation.dry_run if revocation else None,
        revocation_dry_run_result=revocation.dry_run_result if revocation else None,
        revocation_hold_reason=revocation.hold_reason if revocation else None,
        revocation_error=revocation.last_error if revocation else None,
        applied_at=revocation.applied_at if revocation else None,
        read_back_at=revocation.read_back_at if revocation else None,
        verified_at=revocation.verified_at if revocation else None,
        survived_at=revocation.survived_at if revocation else None,
        surviving_path=stored_path_text(revocation.surviving_path)
        if revocation and revocation.surviving_path is not None
        else None,
        undone_at=revocation.undone_at if revocation else None,
        human_review_reason=item.human_review_reason,
        revocation_id=revocation.id if revocation else None,
        revocation_items=tuple(tables.revocation_items.get(revocation.id or 0, ())) if revocation else (),
    )


def _decision(decision: Decision, item: ReviewItem, tables: _Tables) -> DecisionFact:
    assert decision.id is not None and item.id is not None  # noqa: S101
    by = decision.decided_by_person_id
    context = decision.context or {}
    return DecisionFact(
        decision_id=decision.id,
        item_id=item.id,
        stage=decision.stage,
        outcome=decision.outcome,
        via=decision.via,
        decided_at=decision.decided_at,
        decided_by=tables.people[by] if by is not None else str(context.get("actor", decision.via)),
        decided_by_person_id=by,
        on_behalf_of=tables.people[decision.on_behalf_of_person_id]
        if decision.on_behalf_of_person_id is not None
        else None,
        justification=decision.justification,
        superseded=decision.superseded,
        request_key=decision.request_key,
        bulk=context.get("bulk"),
        reason=context.get("reason"),
        delivered_at=_reached(decision, item, tables),
    )


def _reached(decision: Decision, item: ReviewItem, tables: _Tables) -> datetime | None:
    """When the item reached whoever decided: the first delivered message listing it, sent to them or to the
    reviewer they decided for, before the decision; else the item's own delivery time if it belongs to this
    stage and came first. Decisions by the policy reached nobody."""
    assert item.id is not None  # noqa: S101
    people = {p for p in (decision.decided_by_person_id, decision.on_behalf_of_person_id) if p is not None}
    if not people:
        return None
    sent = [
        at
        for person in people
        for at in tables.deliveries.get((person, item.id), [])
        if at <= decision.decided_at
    ]
    if sent:
        return min(sent)
    if (
        item.delivered_at is not None
        and decision.stage == item.stage
        and item.delivered_at <= decision.decided_at
    ):
        return item.delivered_at
    return None
