"""Reviews: the cycles as defined, the campaigns they start, the items a campaign freezes, the decisions on
them, delegations between reviewers, and the messages sent to reviewers.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from reviews.storage.models.columns import json_field, time_field


class CampaignStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CampaignKind(StrEnum):
    SCHEDULED = "scheduled"  # started by the cycle's schedule
    MANUAL = "manual"  # `recertify campaign start`, Slack /recertify start
    EVENT = "event"  # one-item review of a new grant or a re-grant after revocation


class ItemStatus(StrEnum):
    PENDING = "pending"
    KEPT = "kept"
    REVOKED = "revoked"  # decided revoke (by a reviewer or by the cycle's no-response policy)
    EXPIRED = "expired"  # nobody decided and the policy did not: access unchanged, reported
    NEEDS_HUMAN_REVIEW = "needs_human_review"  # revocation refused by the safety envelope; a person must act


class DecisionOutcome(StrEnum):
    KEEP = "keep"
    REVOKE = "revoke"


class DecidedVia(StrEnum):
    SLACK = "slack"
    CLI = "cli"
    POLICY = "policy"


class ReviewCycle(SQLModel, table=True):
    __tablename__ = "review_cycle"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    version: int
    definition: dict[str, Any] = json_field(default_factory=dict)
    definition_sha256: str = Field(max_length=64)
    applied_at: datetime = time_field()
    applied_by: str


class Campaign(SQLModel, table=True):
    __tablename__ = "campaign"
    # A cycle starts at most one campaign per period, whatever the scheduler does.
    __table_args__ = (UniqueConstraint("cycle_id", "period_key"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="review_cycle.id")
    cycle_version: int
    period_key: str = Field(max_length=64)
    kind: str = Field(default=CampaignKind.MANUAL, max_length=16)
    status: str = Field(default=CampaignStatus.OPEN, max_length=16, index=True)
    started_at: datetime = time_field()
    started_by: str = ""
    # The schedule's start: started_at minus it is the lateness.
    scheduled_for: datetime | None = time_field(default=None)
    due_at: datetime = time_field()
    closed_at: datetime | None = time_field(default=None)
    closed_by: str | None = None
    sync_run_ids: list[int] = json_field(default_factory=list)
    population_count: int
    population_sha256: str = Field(max_length=64)
    # Excluded, protected in scope, unreachable reviewers.
    notes: dict[str, Any] = json_field(default_factory=dict)


class ReviewItem(SQLModel, table=True):
    __tablename__ = "review_item"
    __table_args__ = (
        Index("ix_review_item_campaign_status", "campaign_id", "status"),
        Index("ix_review_item_reviewer_status", "reviewer_person_id", "status"),
        UniqueConstraint("campaign_id", "grant_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    grant_id: int = Field(foreign_key="access_grant.id")
    store_id: int = Field(foreign_key="store.id", index=True)
    principal_id: int = Field(foreign_key="principal.id", index=True)
    holder_person_id: int | None = Field(default=None, foreign_key="person.id")  # whose access it is
    # The grant as it stood at freeze time; read it through reviews.campaigns.frozen.frozen_grant_of.
    frozen_grant: dict[str, Any] = json_field(default_factory=dict)
    reviewer_person_id: int | None = Field(default=None, foreign_key="person.id")
    reviewer_source: str | None = Field(default=None, max_length=24)  # owner, manager, fallback, stage, …
    stage: int = 1
    status: str = Field(default=ItemStatus.PENDING, max_length=24)
    recommendation: str | None = Field(default=None, max_length=16)
    recommendation_evidence: dict[str, Any] = json_field(default_factory=dict)
    justification_required: bool = False
    delivery_status: str | None = Field(default=None, max_length=24)
    delivered_at: datetime | None = time_field(default=None)
    reminded_at: datetime | None = time_field(default=None)
    reminders_sent: int = 0
    escalated_at: datetime | None = time_field(default=None)
    decided_at: datetime | None = time_field(default=None)
    human_review_reason: str | None = None


class Decision(SQLModel, table=True):
    __tablename__ = "decision"

    id: int | None = Field(default=None, primary_key=True)
    review_item_id: int = Field(foreign_key="review_item.id", index=True)
    stage: int = 1
    decided_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    on_behalf_of_person_id: int | None = Field(default=None, foreign_key="person.id")  # when a delegate
    outcome: str = Field(max_length=16)  # keep | revoke
    decided_at: datetime = time_field()
    via: str = Field(max_length=16)  # slack | cli | policy
    justification: str | None = None
    context: dict[str, Any] = json_field(default_factory=dict)  # e.g. Slack team, channel, message ts
    # The same click delivered twice (Slack retries, a double click) carries the same key: one decision.
    request_key: str | None = Field(default=None, unique=True, max_length=200)
    superseded: bool = False  # lost a race, or came after the item was decided: recorded, not applied


class Delegation(SQLModel, table=True):
    """A reviewer hands all their items to someone else for a period."""

    __tablename__ = "delegation"
    __table_args__ = (Index("ix_delegation_person_period", "person_id", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    delegate_person_id: int = Field(foreign_key="person.id")
    valid_from: datetime = time_field()
    valid_to: datetime = time_field()
    created_at: datetime = time_field()
    created_by: str
    revoked_at: datetime | None = time_field(default=None)


class Notification(SQLModel, table=True):
    """Every message sent to a reviewer and what became of it: the non-response rule depends on these."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_campaign_person", "campaign_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    person_id: int | None = Field(default=None, foreign_key="person.id")
    kind: str = Field(max_length=16)  # digest | reminder | escalation | revoked
    item_ids: list[int] = json_field(default_factory=list)
    sent_at: datetime = time_field()
    delivered: bool
    channel: str | None = None
    message_ts: str | None = None
    error: str | None = None
