"""Which database URLs Recertify can use, decided when the configuration is read rather than at the first
connection, where an unknown dialect, a driver that is not installed or an option libpq does not know
would surface as the driver's traceback.

Supported: SQLite through Python's own sqlite3 (`sqlite:///PATH`), and PostgreSQL through psycopg 3, the
driver we ship. A bare `postgresql://` would ask SQLAlchemy for psycopg2, and `postgresql+psycopg2://` is
what many hosting providers print; both take libpq's options, so both are read as psycopg. Other drivers
(asyncpg, pg8000, pysqlcipher, aiosqlite…) are refused: they are not installed, and their options differ.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

EXAMPLE = "sqlite:///recertify.db or postgresql+psycopg://HOST/DATABASE"
_POSTGRESQL_DRIVERS = ("", "psycopg", "psycopg2")  # psycopg2's URLs are libpq's, as psycopg's are
_SQLITE_DRIVERS = ("", "pysqlite")  # SQLAlchemy's name for the standard library's sqlite3


def supported_url(value: str) -> str:
    """The URL to connect with, or ValueError saying in one line what is wrong with `value`."""
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError(f"expected a database URL such as {EXAMPLE}") from None
    except ValueError:  # SQLAlchemy's int() of what follows the host
        raise ValueError("its host and port cannot be read (the port must be a number)") from None
    backend, _, driver = url.drivername.partition("+")
    if backend == "sqlite":
        if driver not in _SQLITE_DRIVERS:
            raise ValueError(f"the sqlite+{driver} driver is not supported: use sqlite:///PATH")
        _check_sqlite(url)
        return value
    if backend == "postgresql":
        if driver not in _POSTGRESQL_DRIVERS:
            raise ValueError(f"the postgresql+{driver} driver is not supported: use postgresql+psycopg://")
        _check_postgresql(url)
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    hint = " (write postgresql+psycopg://)" if backend == "postgres" else ""
    raise ValueError(f"expected sqlite:/// or postgresql+psycopg://, got the {backend} backend{hint}")


def _check_sqlite(url: URL) -> None:
    if url.host or url.port or url.username or url.password:
        raise ValueError(
            "an SQLite URL names a file, not a server: sqlite:///RELATIVE or sqlite:////ABSOLUTE"
        )
    dialect = url.get_dialect()
    try:
        dialect.import_dbapi()
    except ImportError:
        raise ValueError("this Python has no sqlite3 module: use PostgreSQL") from None
    try:  # what SQLAlchemy reads from the query (timeout=, check_same_thread=…), as it will at connection
        dialect().create_connect_args(url)
    except (ArgumentError, ValueError, TypeError) as exc:
        raise ValueError(f"a query option cannot be read: {str(exc).splitlines()[0]}") from None


def _check_postgresql(url: URL) -> None:
    if url.port is not None and not 0 < url.port < 65536:
        raise ValueError(f"the port must be between 1 and 65535, not {url.port}")
    try:
        known = _libpq_options()
    except ImportError as exc:  # psycopg installed without a libpq it can load
        raise ValueError(f"the psycopg driver cannot be loaded: {exc}") from None
    unknown = sorted(set(url.query) - known)
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise ValueError(f"unknown connection option {names} (libpq's include sslmode and connect_timeout)")


@cache
def _libpq_options() -> frozenset[str]:
    """The connection options the installed libpq accepts (the ones psycopg passes through)."""
    from psycopg import pq  # on use: only PostgreSQL URLs need libpq loaded

    return frozenset(option.keyword.decode() for option in pq.Conninfo.get_defaults())
