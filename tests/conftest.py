"""Fixtures shared by the whole suite.

Every test that touches the database runs once per backend: SQLite and PostgreSQL (DESIGN: the suite runs
on both). Each test gets its own fresh, migrated database, copied from a template migrated once per run,
so tests never see each other's rows. `RECERTIFY_TEST_DATABASES=sqlite` restricts the run (e.g. on a
laptop without PostgreSQL); by default an unreachable PostgreSQL fails the run rather than skipping it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests
from moto.server import ThreadedMotoServer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

from reviews.storage.db import create_db_engine, upgrade

BACKENDS = [
    b.strip() for b in os.environ.get("RECERTIFY_TEST_DATABASES", "sqlite,postgresql").split(",") if b
]
PG_ADMIN_URL = os.environ.get(
    "RECERTIFY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_admin() -> psycopg.Connection:
    url = make_url(PG_ADMIN_URL)
    try:
        return psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            dbname=url.database,
            autocommit=True,
            connect_timeout=5,
        )
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc}). Start it, or run with "
            "RECERTIFY_TEST_DATABASES=sqlite to test on SQLite only."
        )


def _pg_url(database: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


@dataclass
class Backends:
    """Creates fresh databases, empty or migrated, and drops them at the end of the run."""

    workdir: Path
    run_id: str
    _sqlite_template: Path | None = None
    _pg_template: str | None = None

    def empty(self, backend: str, tmp_path: Path) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / 'recertify.db'}"
        name = f"rt_{self.run_id}_{uuid.uuid4().hex[:10]}"
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return _pg_url(name)

    def migrated(self, backend: str, tmp_path: Path) -> str:
        if backend == "sqlite":
            target = tmp_path / "recertify.db"
            shutil.copyfile(self._sqlite(), target)
            return f"sqlite:///{target}"
        name = f"rt_{self.run_id}_{uuid.uuid4().hex[:10]}"
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._pg()}"')
        return _pg_url(name)

    def _sqlite(self) -> Path:
        if self._sqlite_template is None:
            path = self.workdir / "template.db"
            engine = create_db_engine(f"sqlite:///{path}")
            upgrade(engine)
            with engine.connect() as connection:  # fold the WAL in so a plain file copy is complete
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            self._sqlite_template = path
        return self._sqlite_template

    def _pg(self) -> str:
        if self._pg_template is None:
            name = f"rt_{self.run_id}_template"
            with _pg_admin() as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            engine = create_db_engine(_pg_url(name))
            upgrade(engine)
            engine.dispose()  # a template must have no open connections
            self._pg_template = name
        return self._pg_template

    def drop_all(self) -> None:
        if "postgresql" not in BACKENDS:
            return
        with _pg_admin() as admin:
            rows = admin.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"rt_{self.run_id}_%",)
            ).fetchall()
            for (name,) in sorted(rows, key=lambda r: r[0].endswith("_template")):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own directory (no recertify.toml or recertify.db of the checkout) and without
    the developer's RECERTIFY_* or provider variables."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("RECERTIFY_", "SLACK_", "AZURE_")) and not name.startswith("RECERTIFY_TEST_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    registry = Backends(tmp_path_factory.mktemp("templates"), uuid.uuid4().hex[:8])
    yield registry
    registry.drop_all()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backends: Backends, backend: str, tmp_path: Path) -> str:
    """A fresh database at the current schema."""
    return backends.migrated(backend, tmp_path)


@pytest.fixture
def empty_database_url(backends: Backends, backend: str, tmp_path: Path) -> str:
    """A fresh database with no schema at all."""
    return backends.empty(backend, tmp_path)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def postgresql_url(backends: Backends, tmp_path: Path) -> str:
    """For what only PostgreSQL can show (two processes, row locks)."""
    if "postgresql" not in BACKENDS:
        pytest.skip("RECERTIFY_TEST_DATABASES excludes postgresql")
    return backends.migrated("postgresql", tmp_path)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Dummy AWS credentials and no profile, config file or instance metadata: boto3 can reach only moto."""
    empty = tmp_path_factory.mktemp("aws") / "none"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-2",
        "AWS_CONFIG_FILE": str(empty),  # never a developer's profiles
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_EC2_METADATA_DISABLED": "true",  # never the instance metadata service
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def moto_server(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto as a real HTTP endpoint (AWS_ENDPOINT_URL), for code that builds its own clients."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    requests.post(f"{url}/moto-api/reset", timeout=10)  # moto's state is per process: start from none…
    try:
        yield url
    finally:
        requests.post(f"{url}/moto-api/reset", timeout=10)  # …and leave none behind
        server.stop()
