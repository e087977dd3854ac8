"""Alembic environment. Recertify always runs migrations on a connection it hands over
(`reviews.storage.db.upgrade`), so there is no URL or logging configuration here."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import reviews.storage.models  # noqa: F401  (registers the tables on the metadata)

# APScheduler creates and owns its job store table (scheduler.service); autogenerate must not drop it.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


def include_object(
    _object: object, name: str | None, type_: str, _reflected: bool, _compare_to: object
) -> bool:
    return not (type_ == "table" and name in FOREIGN_TABLES)


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table instead
    compare_type=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
