"""What every table module shares: the constraint naming convention and the two column kinds that need a
type of our own (reviews.storage.dbtypes). Each table module imports this one first, so the convention is on
the metadata before any table's constraints are named.
"""

from __future__ import annotations

from typing import Any

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


def time_field(**kwargs: Any) -> Any:
    """A timestamp column that stores and returns aware UTC datetimes on both backends."""
    return Field(sa_type=UTCDateTime, **kwargs)


def json_field(**kwargs: Any) -> Any:
    """A JSON column (JSONB on PostgreSQL)."""
    return Field(sa_type=json_type(), **kwargs)
