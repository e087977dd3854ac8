"""Engine, sessions and schema migrations, the same on SQLite and PostgreSQL.

SQLite: WAL (readers never block the writer), a busy timeout (a second writer waits instead of failing),
and foreign keys on (SQLite leaves them off by default). PostgreSQL: psycopg 3, connections checked before
use so a restarted server costs a reconnect, not an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from reviews.errors import DatabaseError, SchemaOutOfDate

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000


def create_db_engine(url: str, *, read_only: bool = False) -> Engine:
    """`read_only`: every connection refuses writes (an auditor's CLI): PostgreSQL's
    default_transaction_read_only, SQLite's query_only. A write then fails with `is_read_only_refusal`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _configure_sqlite)
        if read_only:
            event.listen(engine, "connect", _sqlite_read_only)
        return engine
    if parsed.get_backend_name() == "postgresql":
        options = {"options": "-c default_transaction_read_only=on"} if read_only else {}
        return create_engine(url, pool_pre_ping=True, connect_args=options)
    raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode up to the last checkpointed commit
    finally:
        cursor.close()


def _sqlite_read_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA query_only = ON")
    finally:
        cursor.close()


def is_read_only_refusal(exc: DBAPIError) -> bool:
    """The database refused a write because the connection is read-only (not any other failure)."""
    text = str(exc.orig).lower()
    return "read-only transaction" in text or "attempt to write a readonly database" in text


def is_permission_refusal(exc: DBAPIError) -> bool:
    """PostgreSQL's insufficient_privilege (SQLSTATE 42501): the connection's database role may not do this
    (an auditor's SELECT-only role asked to write, say)."""
    return getattr(exc.orig, "sqlstate", None) == "42501"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit when the block ends, roll back if it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _alembic_config(connection: Any | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:
        raise DatabaseError("no migrations are shipped with this installation")
    return head


def current_revision(engine: Engine) -> str | None:
    if _missing_sqlite_file(engine) is not None:
        return None  # never connect to ask: SQLite would leave an empty file behind
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise DatabaseError(f"cannot reach the database at {_safe(engine)}: {exc.orig}") from exc


def upgrade(engine: Engine, revision: str = "head") -> None:
    """SQLite: batch migrations copy a table (drop, then rename the copy), which foreign keys would refuse
    while other tables point at it; they are turned off around the migration (SQLite ignores the pragma
    inside a transaction) and checked before they are turned back on."""
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as connection:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            try:
                with connection.begin():
                    command.upgrade(_alembic_config(connection), revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    connection.commit()
                    if broken:
                        raise DatabaseError(
                            f"the migration left rows whose references are broken: {broken[:3]}"
                        )
            finally:
                if sqlite:
                    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                    connection.commit()
    except OperationalError as exc:
        raise DatabaseError(f"cannot migrate the database at {_safe(engine)}: {exc.orig}") from exc


def require_current_schema(engine: Engine) -> None:
    """Commands other than `db upgrade` never migrate on their own: in production several replicas share
    one database, and a schema change is a decision an operator takes once, not a side effect."""
    missing = _missing_sqlite_file(engine)
    if missing is not None:  # SQLite would create an empty file on connecting: a read must leave nothing
        raise SchemaOutOfDate(
            f"there is no database at {missing}: run `recertify db upgrade` to create it, or point "
            "[database] url (or RECERTIFY_DATABASE_URL) at an existing one"
        )
    current, head = current_revision(engine), head_revision()
    if current is None:
        raise SchemaOutOfDate(
            f"the database at {_safe(engine)} has no Recertify schema yet: run `recertify db upgrade`"
        )
    if current != head:
        raise SchemaOutOfDate(
            f"the database at {_safe(engine)} is at schema {current}, this version needs {head}: "
            "run `recertify db upgrade` (or use the Recertify version that wrote it)"
        )


def _missing_sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite database that does not exist yet (None for any other database, or in memory)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    return None if path.exists() else path


def _safe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)
