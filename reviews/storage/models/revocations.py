"""The revocation outbox: what a decided revoke will change at the provider, and how far it got
(reviews.enforcement moves the rows; a sync settles them, reviews.inventory.settle).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from reviews.storage.models.columns import json_field, time_field


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
    action: dict[str, Any] = json_field(default_factory=dict)
    inverse: dict[str, Any] | None = json_field(default=None)
    state: str = Field(default=RevocationState.PLANNED, max_length=24)
    hold_reason: str | None = None
    approved_by: str | None = None
    approved_at: datetime | None = time_field(default=None)
    dry_run: bool = True  # the mode of the last execution
    dry_run_result: str | None = Field(default=None, max_length=24)  # what a dry run said it would do
    attempts: int = 0
    next_attempt_at: datetime | None = time_field(default=None)
    last_error: str | None = None
    claimed_by: str | None = None
    planned_at: datetime = time_field()
    applied_at: datetime | None = time_field(default=None)
    # The change (or the target's absence) read back from the provider: the action ran. Not yet "verified".
    read_back_at: datetime | None = time_field(default=None)
    # Verified: the next sync of the system no longer finds the access by any path. Survived: it still does,
    # through `surviving_path` (the grant's path as that sync read it).
    verified_at: datetime | None = time_field(default=None)
    survived_at: datetime | None = time_field(default=None)
    surviving_path: list[dict[str, str]] | None = json_field(default=None)
    undone_at: datetime | None = time_field(default=None)


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
