"""The audit chain's tables (reviews.audit): the events, the head appenders lock, the recorded checkpoints,
and where the chain starts after a purge.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from reviews.storage.models.columns import json_field, time_field


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained (reviews.audit). `seq` is assigned under a lock, never by the database."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_subject_seq", "subject", "seq"),
        Index("ix_audit_event_kind_time", "kind", "occurred_at"),
        Index("ix_audit_event_time", "occurred_at"),
    )

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    occurred_at: datetime = time_field()
    actor: str
    kind: str = Field(max_length=64)
    subject: str
    payload: dict[str, Any] = json_field(default_factory=dict)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


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
    recorded_at: datetime = time_field()
    written_to: str | None = None


class AuditBase(SQLModel, table=True):
    """One row: where the remaining chain starts. Events 1..`seq` were removed by an audited purge
    (reviews.audit.retention) and the first remaining event links to `hash`; (0, genesis) before any purge."""

    __tablename__ = "audit_base"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int
    hash: str = Field(max_length=64)
    purged_at: datetime | None = time_field(default=None)
    purged_by: str | None = None
