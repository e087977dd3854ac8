"""Connector state survives in the database, per key, and is replaced on save."""

from __future__ import annotations

from sqlalchemy import Engine

from reviews.clock import FrozenClock
from reviews.storage.state import DatabaseStateStore
from tests.helpers import T0


def test_state_round_trips_and_is_replaced(engine: Engine) -> None:
    store = DatabaseStateStore(engine, FrozenClock(T0))
    assert store.load("entra:directory") is None
    store.save("entra:directory", b"\x00first")
    store.save("entra:directory", b"\x00second" * 1000)
    store.save("other", b"x")
    assert store.load("entra:directory") == b"\x00second" * 1000
    assert DatabaseStateStore(engine, FrozenClock(T0)).load("other") == b"x"
