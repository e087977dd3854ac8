"""The database tables (DESIGN §2). SQLModel is used for rows only; values crossing package lines are the
frozen dataclasses of `reviews.entitlements`.

States and kinds are stored as short strings (the StrEnums below name them) rather than database enums, so
adding a state is a code change, not a type migration on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from reviews.storage.dbtypes import UTCDateTime, json_type

# Named constraints, so migrations can alter them by name on both backends (SQLite batch mode needs it).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _time(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


def _json(**kwargs: Any) -> Any:
    return Field(sa_type=json_type(), **kwargs)


class SyncStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


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


class RevocationState(StrEnum):
    PLANNED = "planned"
    HELD = "held"  # over the blast-radius limit: waits for an admin
    APPROVED = "approved"
    CLAIMED = "claimed"
    APPLIED = "applied"
    VERIFIED = "verified"
    FAILED_RETRYABLE = "failed_retryable"
    FAILED_PERMANENT = "failed_permanent"
    ALREADY_ABSENT = "already_absent"
    SURVIVED = "survived"  # applied or found absent, yet a later sync still finds the same access
    UNDONE = "undone"


class Person(SQLModel, table=True):
    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=320)  # canonical, lower-case
    display_name: str = ""
    entra_object_id: str | None = Field(default=None, unique=True, max_length=64)
    slack_user_id: str | None = Field(default=None, unique=True, max_length=32)
    slack_checked_at: datetime | None = _time(default=None)  # last lookup by email: links are cached
    manager_email: str | None = None
    first_seen_at: datetime = _time()
    updated_at: datetime = _time()


class Store(SQLModel, table=True):
    __tablename__ = "store"

    id: int | None = Field(default=None, primary_key=True)
    system: str = Field(max_length=16, index=True)
    kind: str = Field(max_length=32)
    provider_id: str = Field(unique=True)  # ARN or Entra object id
    name: str
    owners: list[str] = _json(default_factory=list)
    classification: str = ""
    tags: dict[str, str] = _json(default_factory=dict)
    first_seen_at: datetime = _time()
    last_seen_at: datetime = _time()
    removed_at: datetime | None = _time(default=None)


class Principal(SQLModel, table=True):
    __tablename__ = "principal"

    id: int | None = Field(default=None, primary_key=True)
    system: str = Field(max_length=16, index=True)
    type: str = Field(max_length=32)
    provider_id: str = Field(unique=True)
    name: str
    email: str | None = Field(default=None, index=True)
    enabled: bool | None = None  # None: the source did not say
    guest: bool = False
    created_at: datetime | None = _time(default=None)  # at the provider
    last_sign_in_at: datetime | None = _time(default=None)
    last_sign_in_source: str | None = None
    # The source records every way in, so the last sign-in bounds the use of all access held (LastUse).
    last_sign_in_covers_all_use: bool = False
    # Until when the source observed (Entra: when sign-ins were read): the bound holds up to here only.
    last_sign_in_observed_until: datetime | None = _time(default=None)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    first_seen_at: datetime = _time()
    last_seen_at: datetime = _time()
    removed_at: datetime | None = _time(default=None)


class AccessGrant(SQLModel, table=True):
    """Effective access over a validity interval: open while `valid_to` is NULL.

    Named `access_grant`, not `grant` as in the first design, because GRANT is a reserved word that an
    auditor at a psql prompt would have to quote every time.
    """

    __tablename__ = "access_grant"
    __table_args__ = (
        Index("ix_access_grant_store_interval", "store_id", "valid_from", "valid_to"),
        Index("ix_access_grant_principal_interval", "principal_id", "valid_from", "valid_to"),
        # At most one open interval per (store, principal, level): the key a sync reconciles on.
        Index(
            "uq_access_grant_open",
            "store_id",
            "principal_id",
            "access",
            unique=True,
            sqlite_where=text("valid_to IS NULL"),
            postgresql_where=text("valid_to IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    principal_id: int = Field(foreign_key="principal.id")
    access: str = Field(max_length=8)
    path: list[dict[str, str]] = _json(default_factory=list)
    conditional: bool = False
    needs_human_review: bool = False
    last_used_at: datetime | None = _time(default=None)
    last_used_source: str | None = None
    last_used_window_start: datetime | None = _time(default=None)
    last_used_window_end: datetime | None = _time(default=None)
    valid_from: datetime = _time()
    valid_to: datetime | None = _time(default=None)
    opened_by_sync_id: int | None = Field(default=None, foreign_key="sync_run.id")
    closed_by_sync_id: int | None = Field(default=None, foreign_key="sync_run.id")


class SyncRun(SQLModel, table=True):
    __tablename__ = "sync_run"
    __table_args__ = (Index("ix_sync_run_source_started", "source", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64)
    started_at: datetime = _time()
    finished_at: datetime | None = _time(default=None)
    status: str = Field(default=SyncStatus.RUNNING, max_length=16)
    counts: dict[str, int] = _json(default_factory=dict)
    error: str | None = None


class ReviewCycle(SQLModel, table=True):
    __tablename__ = "review_cycle"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    version: int
    definition: dict[str, Any] = _json(default_factory=dict)
    definition_sha256: str = Field(max_length=64)
    applied_at: datetime = _time()
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
    started_at: datetime = _time()
    started_by: str = ""
    scheduled_for: datetime | None = _time(default=None)  # the schedule's start; started_at - it = lateness
    due_at: datetime = _time()
    closed_at: datetime | None = _time(default=None)
    closed_by: str | None = None
    sync_run_ids: list[int] = _json(default_factory=list)
    population_count: int
    population_sha256: str = Field(max_length=64)
    notes: dict[str, Any] = _json(default_factory=dict)  # excluded, protected in scope, unreachable reviewers


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
    frozen_grant: dict[str, Any] = _json(default_factory=dict)
    reviewer_person_id: int | None = Field(default=None, foreign_key="person.id")
    reviewer_source: str | None = Field(default=None, max_length=24)  # owner, manager, fallback, stage, …
    stage: int = 1
    status: str = Field(default=ItemStatus.PENDING, max_length=24)
    recommendation: str | None = Field(default=None, max_length=16)
    recommendation_evidence: dict[str, Any] = _json(default_factory=dict)
    justification_required: bool = False
    delivery_status: str | None = Field(default=None, max_length=24)
    delivered_at: datetime | None = _time(default=None)
    reminded_at: datetime | None = _time(default=None)
    reminders_sent: int = 0
    escalated_at: datetime | None = _time(default=None)
    decided_at: datetime | None = _time(default=None)
    human_review_reason: str | None = None


class Decision(SQLModel, table=True):
    __tablename__ = "decision"

    id: int | None = Field(default=None, primary_key=True)
    review_item_id: int = Field(foreign_key="review_item.id", index=True)
    stage: int = 1
    decided_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    on_behalf_of_person_id: int | None = Field(default=None, foreign_key="person.id")  # when a delegate
    outcome: str = Field(max_length=16)  # keep | revoke
    decided_at: datetime = _time()
    via: str = Field(max_length=16)  # slack | cli | policy
    justification: str | None = None
    context: dict[str, Any] = _json(default_factory=dict)  # e.g. Slack team, channel, message ts
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
    valid_from: datetime = _time()
    valid_to: datetime = _time()
    created_at: datetime = _time()
    created_by: str
    revoked_at: datetime | None = _time(default=None)


class Notification(SQLModel, table=True):
    """Every message sent to a reviewer and what became of it: the non-response rule depends on these."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_campaign_person", "campaign_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    person_id: int | None = Field(default=None, foreign_key="person.id")
    kind: str = Field(max_length=16)  # digest | reminder | escalation | revoked
    item_ids: list[int] = _json(default_factory=list)
    sent_at: datetime = _time()
    delivered: bool
    channel: str | None = None
    message_ts: str | None = None
    error: str | None = None


class Revocation(SQLModel, table=True):
    """The outbox: intent committed before any provider call (DESIGN §3.8)."""

    __tablename__ = "revocation"
    __table_args__ = (Index("ix_revocation_state_next", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # One revocation per reviewed item, whatever re-runs the plan.
    review_item_id: int | None = Field(default=None, foreign_key="review_item.id", unique=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    grant_id: int = Field(foreign_key="access_grant.id", index=True)
    store_id: int = Field(foreign_key="store.id")
    principal_id: int = Field(foreign_key="principal.id")
    system: str = Field(max_length=16)
    action: dict[str, Any] = _json(default_factory=dict)
    inverse: dict[str, Any] | None = _json(default=None)
    state: str = Field(default=RevocationState.PLANNED, max_length=24)
    hold_reason: str | None = None
    approved_by: str | None = None
    approved_at: datetime | None = _time(default=None)
    dry_run: bool = True  # the mode of the last execution
    dry_run_result: str | None = Field(default=None, max_length=24)  # what a dry run said it would do
    attempts: int = 0
    next_attempt_at: datetime | None = _time(default=None)
    last_error: str | None = None
    claimed_by: str | None = None
    planned_at: datetime = _time()
    applied_at: datetime | None = _time(default=None)
    # The change (or the target's absence) read back from the provider: the action ran. Not yet "verified".
    read_back_at: datetime | None = _time(default=None)
    # Verified: the next sync of the system no longer finds the access by any path. Survived: it still does,
    # through `surviving_path` (the grant's path as that sync read it).
    verified_at: datetime | None = _time(default=None)
    survived_at: datetime | None = _time(default=None)
    surviving_path: list[dict[str, str]] | None = _json(default=None)
    undone_at: datetime | None = _time(default=None)


class RevocationItem(SQLModel, table=True):
    """Which review items a revocation ends. One provider change can end several items (read and write from
    one group membership): one revocation row, linked to each. An item is linked to one revocation at most,
    whatever re-runs the plan; `revocation.review_item_id` keeps the item it was planned for first."""

    __tablename__ = "revocation_item"

    # The key: an item is ended by one revocation at most.
    review_item_id: int = Field(
        foreign_key="review_item.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    revocation_id: int = Field(foreign_key="revocation.id", index=True)


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained (reviews.audit). `seq` is assigned under a lock, never by the database."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_subject_seq", "subject", "seq"),
        Index("ix_audit_event_kind_time", "kind", "occurred_at"),
        Index("ix_audit_event_time", "occurred_at"),
    )

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    occurred_at: datetime = _time()
    actor: str
    kind: str = Field(max_length=64)
    subject: str
    payload: dict[str, Any] = _json(default_factory=dict)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class ConnectorState(SQLModel, table=True):
    """A connector's opaque state between syncs (reviews.ports.StateStore)."""

    __tablename__ = "connector_state"

    key: str = Field(primary_key=True, max_length=200)
    value: bytes = Field(sa_type=LargeBinary)
    updated_at: datetime = _time()


class SchedulerLease(SQLModel, table=True):
    """Who schedules. The holder of the PostgreSQL advisory lock bumps `token`; its writes check it (fencing),
    so a replica that lost the lock without noticing cannot start a campaign after another took over."""

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=64)
    token: int = 0
    holder: str = ""
    acquired_at: datetime = _time()


class ChatEvent(SQLModel, table=True):
    """Chat events already handled, by the platform's event id: Slack retries an event it thinks was not
    acknowledged in time, and a retry must be processed once."""

    __tablename__ = "chat_event"

    event_id: str = Field(primary_key=True, max_length=100)
    received_at: datetime = _time()


class AuditHead(SQLModel, table=True):
    """One row: the last sequence number and hash. Appenders lock it, which serializes the chain.
    `digests_from`: the first seq hashed as chain version 2, with a body digest (reviews.audit)."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int
    hash: str = Field(max_length=64)
    digests_from: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class AuditCheckpoint(SQLModel, table=True):
    """A chain head recorded at a moment (reviews.audit.checkpoints): event `seq` had hash `hash`.
    `written_to` is where a write-once copy went (s3://bucket/key), or None when it stayed in the database
    only."""

    __tablename__ = "audit_checkpoint"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    hash: str = Field(max_length=64)
    recorded_at: datetime = _time()
    written_to: str | None = None


class AuditBase(SQLModel, table=True):
    """One row: where the remaining chain starts. Events 1..`seq` were removed by an audited purge
    (reviews.audit.retention) and the first remaining event links to `hash`; (0, genesis) before any purge."""

    __tablename__ = "audit_base"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int
    hash: str = Field(max_length=64)
    purged_at: datetime | None = _time(default=None)
    purged_by: str | None = None
