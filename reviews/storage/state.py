"""The database behind reviews.ports.StateStore. Each save is its own transaction: the state describes the
source as read, whatever later happens to the snapshot applied from it."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from reviews.ports import Clock
from reviews.storage.db import session_scope
from reviews.storage.models import ConnectorState


class DatabaseStateStore:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine, self._clock = engine, clock

    def load(self, key: str) -> bytes | None:
        with Session(self._engine) as session:
            row = session.get(ConnectorState, key)
            return None if row is None else bytes(row.value)

    def save(self, key: str, value: bytes) -> None:
        with session_scope(self._engine) as session:
            row = session.get(ConnectorState, key) or ConnectorState(
                key=key, value=b"", updated_at=self._clock.now()
            )
            row.value, row.updated_at = value, self._clock.now()
            session.add(row)
