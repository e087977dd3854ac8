"""What was found at the providers: people, stores, principals, the access grants between them, and the sync
runs that found them. A grant is an interval: a sync opens and closes it (reviews.inventory).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from reviews.storage.models.columns import json_field, time_field


class SyncStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Person(SQLModel, table=True):
    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=320)  # canonical, lower-case
    display_name: str = ""
    entra_object_id: str | None = Field(default=None, unique=True, max_length=64)
    slack_user_id: str | None = Field(default=None, unique=True, max_length=32)
    slack_checked_at: datetime | None = time_field(default=None)  # last lookup by email: links are cached
    manager_email: str | None = None
    first_seen_at: datetime = time_field()
    updated_at: datetime = time_field()


class Store(SQLModel, table=True):
    __tablename__ = "store"

    id: int | None = Field(default=None, primary_key=True)
    system: str = Field(max_length=16, index=True)
    kind: str = Field(max_length=32)
    provider_id: str = Field(unique=True)  # ARN or Entra object id
    name: str
    owners: list[str] = json_field(default_factory=list)
    classification: str = ""
    tags: dict[str, str] = json_field(default_factory=dict)
    first_seen_at: datetime = time_field()
    last_seen_at: datetime = time_field()
    removed_at: datetime | None = time_field(default=None)


class Principal(SQLModel, table=True):
    """One identity as one system sees it. An Entra object id is a principal of Entra and of Azure (whose
    role assignments name Entra objects): one row per system, so the key is (system, provider_id)."""

    __tablename__ = "principal"
    __table_args__ = (UniqueConstraint("system", "provider_id", name="uq_principal_system_provider_id"),)

    id: int | None = Field(default=None, primary_key=True)
    system: str = Field(max_length=16, index=True)
    type: str = Field(max_length=32)
    provider_id: str = Field(index=True)
    name: str
    email: str | None = Field(default=None, index=True)
    enabled: bool | None = None  # None: the source did not say
    guest: bool = False
    created_at: datetime | None = time_field(default=None)  # at the provider
    last_sign_in_at: datetime | None = time_field(default=None)
    last_sign_in_source: str | None = None
    # The source records every way in, so the last sign-in bounds the use of all access held (LastUse).
    last_sign_in_covers_all_use: bool = False
    # Until when the source observed (Entra: when sign-ins were read): the bound holds up to here only.
    last_sign_in_observed_until: datetime | None = time_field(default=None)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    first_seen_at: datetime = time_field()
    last_seen_at: datetime = time_field()
    removed_at: datetime | None = time_field(default=None)


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
    path: list[dict[str, str]] = json_field(default_factory=list)
    conditional: bool = False
    needs_human_review: bool = False
    last_used_at: datetime | None = time_field(default=None)
    last_used_source: str | None = None
    last_used_window_start: datetime | None = time_field(default=None)
    last_used_window_end: datetime | None = time_field(default=None)
    valid_from: datetime = time_field()
    valid_to: datetime | None = time_field(default=None)
    opened_by_sync_id: int | None = Field(default=None, foreign_key="sync_run.id")
    closed_by_sync_id: int | None = Field(default=None, foreign_key="sync_run.id")


class SyncRun(SQLModel, table=True):
    __tablename__ = "sync_run"
    __table_args__ = (Index("ix_sync_run_source_started", "source", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64)
    started_at: datetime = time_field()
    finished_at: datetime | None = time_field(default=None)
    status: str = Field(default=SyncStatus.RUNNING, max_length=16)
    counts: dict[str, int] = json_field(default_factory=dict)
    error: str | None = None
