"""Starting a campaign: check the sources, freeze the population, assign reviewers, recommend.

A campaign freezes what the latest complete sync of each system in scope says, and refuses to start when
that sync failed, was refused or is older than the cycle allows: a review of a stale or partial picture
would ask owners about the wrong people. The start is idempotent by cycle and period (a unique key), so a
scheduler that fires twice (the autumn DST change, two replicas, a retry) starts one campaign.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import Session, SQLModel, col, select

from reviews import audit
from reviews.actors import Actor
from reviews.campaigns.population import GrantView, exclusion_of, in_scope, open_grants, population_sha256
from reviews.campaigns.recommend import Recommendation, recommend
from reviews.campaigns.reviewers import first_reviewer, stage_reviewer
from reviews.cycles.definition import CycleDefinition
from reviews.cycles.manage import latest_cycle
from reviews.errors import CampaignRefused, NotAuthorized
from reviews.inventory.source_health import source_health
from reviews.ports import Clock
from reviews.protection import Protection
from reviews.storage.models import Campaign, CampaignKind, Person, ReviewCycle, ReviewItem, Store

ITEMS = SQLModel.metadata.tables[ReviewItem.__tablename__]  # bulk insert: 100k items in seconds
LISTED = 50  # names kept in the campaign's notes per category; counts are always complete


@dataclass(frozen=True, slots=True)
class StartedCampaign:
    campaign: Campaign
    created: bool  # False: this cycle's campaign for this period already existed


def start_by_hand(
    session: Session, cycle_name: str, *, actor: Actor, clock: Clock, protection: Protection
) -> StartedCampaign:
    """An admin starts the cycle named `cycle_name` now (its version in force). The refusal comes before
    the name is looked up: not finding it lists the cycles that exist, which only an admin may learn that
    way, and a non-admin must not tell from the answer whether the name exists."""
    _require_admin_by_hand(actor)
    row, definition = latest_cycle(session, cycle_name)
    return start_campaign(session, row, definition, actor=actor, clock=clock, protection=protection)


def start_campaign(
    session: Session,
    cycle: ReviewCycle,
    definition: CycleDefinition,
    *,
    actor: Actor,
    clock: Clock,
    protection: Protection,
    kind: CampaignKind = CampaignKind.MANUAL,
    period_key: str | None = None,
    scheduled_for: datetime | None = None,
    grant_ids: list[int] | None = None,
) -> StartedCampaign:
    if kind is CampaignKind.MANUAL:
        _require_admin_by_hand(actor)
    now = clock.now()
    period = period_key or f"manual:{now:%Y-%m-%dT%H:%M:%S}"
    assert cycle.id is not None  # noqa: S101  (a stored cycle)
    # By name, not by version: re-applying a cycle mid-period must not start its period again.
    existing = session.exec(
        select(Campaign)
        .join(ReviewCycle, col(ReviewCycle.id) == Campaign.cycle_id)
        .where(ReviewCycle.name == cycle.name, Campaign.period_key == period)
    ).first()
    if existing is not None:
        return StartedCampaign(existing, created=False)
    sync_runs = _healthy_sources(session, definition, now)
    views = open_grants(session, grant_ids=grant_ids)
    selected, notes = _select(views, definition, protection, now)
    campaign = Campaign(
        cycle_id=cycle.id,
        cycle_version=cycle.version,
        period_key=period,
        kind=kind,
        started_at=now,
        started_by=actor.id,
        scheduled_for=scheduled_for,
        due_at=now + definition.duration,
        sync_run_ids=sync_runs,
        population_count=len(selected),
        population_sha256=population_sha256(view.frozen() for view, _ in selected),
        notes=notes,
    )
    session.add(campaign)
    session.flush()
    assert campaign.id is not None  # noqa: S101
    reviewers = _reviewer_ids(session, definition, [view for view, _ in selected], now)
    rows = [_item_row(campaign.id, view, rec, reviewers, definition) for view, rec in selected]
    if rows:
        session.execute(insert(ITEMS), rows)
    late = (now - scheduled_for).total_seconds() if scheduled_for else None
    audit.append_many(
        session,
        [
            audit.NewEvent(
                actor.id,
                "campaign.started",
                f"campaign:{campaign.id}",
                {
                    "cycle": cycle.name,
                    "cycle_version": cycle.version,
                    "period": period,
                    "kind": kind.value,
                    "population_count": campaign.population_count,
                    "population_sha256": campaign.population_sha256,
                    "sync_runs": sync_runs,
                    "due_at": campaign.due_at.isoformat(),
                    "scheduled_for": scheduled_for.isoformat() if scheduled_for else None,
                    "late_by_seconds": late,
                    "notes": notes,
                },
            ),
            *_opened_events(session, campaign.id, actor),
        ],
        clock=clock,
    )
    return StartedCampaign(campaign, created=True)


def _opened_events(session: Session, campaign_id: int, actor: Actor) -> list[audit.NewEvent]:
    """One `item.opened` per item: who was asked first, and what was recommended. The chain, not the item
    row, is the record of who was asked: escalations and later stages change the row (issue 16)."""
    rows = session.execute(
        ITEMS.select()
        .with_only_columns(
            ITEMS.c.id,
            ITEMS.c.reviewer_person_id,
            ITEMS.c.reviewer_source,
            ITEMS.c.recommendation,
            ITEMS.c.recommendation_evidence,
        )
        .where(ITEMS.c.campaign_id == campaign_id)
        .order_by(ITEMS.c.id)
    ).all()
    return [
        audit.NewEvent(
            actor.id,
            "item.opened",
            f"item:{item_id}",
            {
                "campaign": campaign_id,
                "reviewer": reviewer,
                "reviewer_source": source,
                "recommendation": recommendation,
                "recommendation_reason": (evidence or {}).get("reason"),
            },
        )
        for item_id, reviewer, source, recommendation, evidence in rows
    ]


def _require_admin_by_hand(actor: Actor) -> None:
    if not actor.is_admin:
        raise NotAuthorized(f"only an admin starts a campaign by hand ({actor.id} is not one)")


def start_scheduled(
    session: Session,
    cycle: ReviewCycle,
    definition: CycleDefinition,
    *,
    actor: Actor,
    clock: Clock,
    protection: Protection,
    grace: timedelta,
) -> StartedCampaign | None:
    """The campaign of the cycle's latest scheduled start within `grace` (a start missed while the bot was
    down runs once, late, and records how late), or None when no start is due. Idempotent."""
    if definition.schedule is None:
        return None
    now = clock.now()
    first_applied = session.exec(
        select(func.min(ReviewCycle.applied_at)).where(ReviewCycle.name == cycle.name)
    ).one()
    fire = definition.schedule.latest_start(now, not_before=max(now - grace, first_applied or now))
    if fire is None:
        return None
    return start_campaign(
        session,
        cycle,
        definition,
        actor=actor,
        clock=clock,
        protection=protection,
        kind=CampaignKind.SCHEDULED,
        period_key=definition.schedule.period_key(fire),
        scheduled_for=fire,
    )


def record_refusal(session: Session, cycle: str, reason: str, *, actor: Actor, clock: Clock) -> None:
    """A scheduled start refused (a stale or failed sync): recorded in the audit chain, not retried, so the
    refusal is on the record for the auditor who asks why a period has no campaign."""
    audit.append(
        session,
        audit.NewEvent(actor.id, "campaign.refused", f"cycle:{cycle}", {"reason": reason}),
        clock=clock,
    )


def _healthy_sources(session: Session, definition: CycleDefinition, now: datetime) -> list[int]:
    systems = [s.value for s in definition.scope.systems] or sorted(
        set(session.exec(select(Store.system).where(col(Store.removed_at).is_(None))).all())
    )
    if not systems:
        raise CampaignRefused("nothing has been synced yet: run `recertify sync` first")
    max_age = timedelta(hours=definition.max_sync_age_hours)
    runs, problems = [], []
    for system in systems:
        health = source_health(session, system, now=now, max_age=max_age)
        if health.problem:
            problems.append(health.problem)
        elif health.latest_complete is not None and health.latest_complete.id is not None:
            runs.append(health.latest_complete.id)
    if problems:
        raise CampaignRefused(f"{definition.name}: not started. " + " ".join(problems))
    return runs


def _select(
    views: list[GrantView], definition: CycleDefinition, protection: Protection, now: datetime
) -> tuple[list[tuple[GrantView, Any]], dict[str, Any]]:
    selected, excluded, protected = [], Counter[str](), []
    for view in views:
        if not in_scope(view, definition.scope):
            continue
        rule = exclusion_of(view, definition.exclusions)
        if rule is not None:
            excluded[rule.reason] += 1
            continue
        rec = recommend(
            enabled=view.enabled,
            guest=view.guest,
            usage=view.usage,
            rules=definition.recommendations,
            now=now,
            sign_in=view.sign_in,
            exposure=view.exposure(),
        )
        if definition.scope.inactive_only and not rec.inactive:
            continue
        reason = protection.reason(
            provider_id=view.principal_provider_id, name=view.principal_name, email=view.principal_email
        )
        if reason:
            protected.append(f"{view.principal_name} → {view.store_name} ({view.access}): {reason}")
            # Never recommended for revocation: "accept all recommendations" must not ask for what the
            # safety envelope will refuse, and the reviewer sees why (DESIGN §3.2).
            why = f"a protected account ({reason}): never revoked automatically; decide it by hand"
            rec = Recommendation(None, why, {**rec.evidence, "protected": True}, rec.inactive)
        selected.append((view, rec))
    notes = {
        "excluded": dict(excluded),
        "protected_in_scope": len(protected),
        "protected_examples": protected[:LISTED],
    }
    return selected, notes


def _reviewer_ids(
    session: Session, definition: CycleDefinition, views: list[GrantView], now: datetime
) -> dict[str, int]:
    """Person ids of every reviewer the items will name; reviewers the sync never saw (a fallback mailbox,
    an owner tag with no account yet) get a person row so they can be reached and decide."""
    emails = {
        email
        for view in views
        for email in (*view.store_owners, view.holder_manager, definition.reviewers.fallback)
        if email
    } | {stage.reviewer for stage in definition.stages if stage.reviewer != "owner"}
    emails = {email.lower() for email in emails}
    known = {
        person.email: person.id
        for person in session.exec(select(Person).where(col(Person.email).in_(sorted(emails))))
        if person.id is not None
    }
    for email in sorted(emails - set(known)):
        person = Person(email=email, first_seen_at=now, updated_at=now)
        session.add(person)
        session.flush()
        assert person.id is not None  # noqa: S101
        known[email] = person.id
    return known


def _item_row(
    campaign_id: int, view: GrantView, rec: Any, reviewers: dict[str, int], definition: CycleDefinition
) -> dict[str, Any]:
    first = definition.stages[0]
    if first.reviewer == "owner":
        assignment = first_reviewer(
            owners=view.store_owners,
            holder_email=view.holder_email,
            manager_email=view.holder_manager,
            rules=definition.reviewers,
        )
    else:
        assignment = stage_reviewer(
            stage_name=first.name,
            reviewer=first.reviewer,
            holder_email=view.holder_email,
            fallback=definition.reviewers.fallback,
        )
    evidence = rec.as_json()
    if assignment.note:
        evidence["reviewer_note"] = assignment.note
    return {
        "campaign_id": campaign_id,
        "grant_id": view.grant_id,
        "store_id": view.store_id,
        "principal_id": view.principal_id,
        "holder_person_id": view.holder_person_id,
        "frozen_grant": view.frozen().to_json(),
        "reviewer_person_id": reviewers.get(assignment.email) if assignment.email else None,
        "reviewer_source": assignment.source,
        "stage": 1,
        "status": "pending",
        "recommendation": rec.action,
        "recommendation_evidence": evidence,
        "justification_required": view.store_classification in definition.justification_required_for,
        "reminders_sent": 0,
    }
