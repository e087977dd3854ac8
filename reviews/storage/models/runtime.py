"""What the running processes keep between runs: a connector's state, who holds the scheduler, and the chat
events already handled.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from reviews.storage.models.columns import time_field


class ConnectorState(SQLModel, table=True):
    """A connector's opaque state between syncs (reviews.ports.StateStore)."""

    __tablename__ = "connector_state"

    key: str = Field(primary_key=True, max_length=200)
    value: bytes = Field(sa_type=LargeBinary)
    updated_at: datetime = time_field()


class SchedulerLease(SQLModel, table=True):
    """Who schedules. The holder of the PostgreSQL advisory lock bumps `token`; its writes check it (fencing),
    so a replica that lost the lock without noticing cannot start a campaign after another took over."""

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=64)
    token: int = 0
    holder: str = ""
    acquired_at: datetime = time_field()


class ChatEvent(SQLModel, table=True):
    """Chat events already handled, by the platform's event id: Slack retries an event it thinks was not
    acknowledged in time, and a retry must be processed once."""

    __tablename__ = "chat_event"

    event_id: str = Field(primary_key=True, max_length=100)
    received_at: datetime = time_field()
