"""Job targets for the scheduler tests, referenced by name as a deployment's targets are."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Column, Engine, Float, Integer, MetaData, String, Table, select

from scheduler import JobContext

CALLS = Table(
    "scheduler_test_calls",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("label", String(40), nullable=False),
    Column("holder", String(100), nullable=False),
    Column("token", Integer, nullable=False),
    Column("at", Float, nullable=False),  # time.time() of the write
)

REMEMBERED: list[dict[str, Any]] = []  # in-process calls of `remember`


def create_calls_table(engine: Engine) -> None:
    CALLS.metadata.create_all(engine)


def calls(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(CALLS).order_by(CALLS.c.id)))


def record(context: JobContext, /, label: str) -> None:
    """Writes one row, fenced, as a real target writes."""
    with context.fenced_session() as session:
        session.connection().execute(
            CALLS.insert().values(
                label=label, holder=context.leadership.holder, token=context.leadership.token, at=time.time()
            )
        )


def remember(context: JobContext, /, **kwargs: Any) -> None:
    REMEMBERED.append(kwargs)


def lose(context: JobContext, /) -> None:
    with context.fenced_session():
        pass


not_callable = 42
