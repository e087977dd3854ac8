"""An auditor reads everything and changes nothing (TESTING.md "Authorization"): every CLI command that writes
is refused for `--role auditor` (RECERTIFY_ROLE=auditor) with a clear error and the database untouched, every
read works, and beneath that the auditor's connection itself refuses writes."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, select

from reviews import audit
from reviews.storage.db import create_db_engine, is_read_only_refusal
from reviews.storage.models import (
    AuditEvent,
    Campaign,
    Decision,
    Delegation,
    Notification,
    ReviewCycle,
    Revocation,
    SyncRun,
)
from tests.campaigns.test_enforce import Loop
from tests.campaigns.world import email
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[1]
CYCLES = ROOT / "examples" / "cycles"

WRITES = [  # (the command as the refusal names it, its arguments)
    ("sync", []),
    ("cycles apply", [str(CYCLES)]),
    ("campaign start", ["quarterly"]),
    ("campaign decide", ["1", "keep", "--as", email("olu")]),
    ("campaign delegate", [email("olu"), email("u00")]),
    ("campaign close", ["1", "--force"]),
    ("campaign tick", []),
    ("revocations plan", []),
    ("revocations approve", ["--campaign", "1"]),
    ("revocations apply", ["--dry-run"]),
    ("revocations undo", ["1"]),
    ("serve", ["--http", "0"]),
    ("db upgrade", []),
    ("audit checkpoint", []),
    ("audit purge", ["--before", "2020-01-01", "--yes"]),
]
READS = [
    ["access", "--store", "payroll", "--format", "json"],
    ["audit", "history", "--store", "payroll", "--format", "json"],
    ["audit", "verify"],
    ["campaign", "list"],
    ["campaign", "show", "1"],
    ["cycles", "list"],
    ["revocations", "list"],
]


def state(engine: Engine) -> dict[str, object]:
    with Session(engine) as session:
        counts = {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (
                AuditEvent,
                Campaign,
                Decision,
                Delegation,
                Notification,
                ReviewCycle,
                Revocation,
                SyncRun,
            )
        }
        return {"head": str(audit.head(session)), **counts}


@pytest.fixture
def department(engine: Engine, session: Session) -> Loop:
    """A closed campaign whose revocations were planned and approved: something for every command to touch."""
    loop = Loop.with_readers(session, engine, 2)
    loop.planned_and_approved()
    return loop


@pytest.mark.parametrize(("command", "args"), WRITES, ids=[command for command, _ in WRITES])
def test_every_command_that_writes_is_refused_for_an_auditor(
    department: Loop,
    engine: Engine,
    database_url: str,
    command: str,
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = state(engine)
    env = {"RECERTIFY_DATABASE_URL": database_url, "RECERTIFY_ROLE": "auditor"}
    result = run_cli(capsys, monkeypatch, *command.split(), *args, env=env)
    assert result.code == 1, (result.stdout, result.stderr)
    assert f"error: auditors only read: `recertify {command}` changes things" in result.stderr
    assert state(engine) == before


@pytest.mark.parametrize("args", READS, ids=lambda args: " ".join(args[:2]))
def test_every_read_works_for_an_auditor(
    department: Loop,
    engine: Engine,
    database_url: str,
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = state(engine)
    env = {"RECERTIFY_DATABASE_URL": database_url, "RECERTIFY_ROLE": "auditor"}
    result = run_cli(capsys, monkeypatch, *args, env=env)
    assert result.code == 0, result.stderr
    if "--format" in args:
        assert json.loads(result.stdout)  # an answer, not an empty one
    assert state(engine) == before


def test_an_auditor_exports_evidence_without_writing(
    department: Loop,
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = state(engine)
    env = {"RECERTIFY_DATABASE_URL": database_url, "RECERTIFY_ROLE": "auditor"}
    result = run_cli(
        capsys, monkeypatch, "audit", "export", "1", "--format", "all", "--out", str(tmp_path), env=env
    )
    assert result.code == 0, result.stderr
    assert (tmp_path / "campaign-1-manifest.json").exists()
    assert state(engine) == before


def test_the_auditor_s_connection_itself_refuses_writes(
    department: Loop, engine: Engine, database_url: str
) -> None:
    before = state(engine)
    read_only = create_db_engine(database_url, read_only=True)
    try:
        with read_only.connect() as connection:
            assert connection.execute(select(func.count()).select_from(Campaign)).scalar_one() == 1
            table = SQLModel.metadata.tables["chat_event"]
            with pytest.raises(DBAPIError) as refused:
                connection.execute(insert(table).values(event_id="E1", received_at=department.clock.now()))
            assert is_read_only_refusal(refused.value)
    finally:
        read_only.dispose()
    assert state(engine) == before


def test_an_auditor_whose_database_role_may_only_select_reads_everything(
    department: Loop,
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In production an auditor's connection is its own PostgreSQL role with SELECT and nothing else: every
    read, `audit verify` and the evidence export still work (none of them needs more than SELECT)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("database roles: PostgreSQL only")
    url = make_url(database_url)
    role = f"recertify_auditor_{uuid.uuid4().hex[:8]}"
    with engine.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        connection.execute(text(f'GRANT CONNECT ON DATABASE "{url.database}" TO "{role}"'))
        connection.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        connection.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
        connection.commit()
    try:
        env = {"RECERTIFY_DATABASE_URL": url.set(username=role).render_as_string(hide_password=False)}
        env["RECERTIFY_ROLE"] = "auditor"
        export = ["audit", "export", "1", "--format", "all", "--out", str(tmp_path)]
        for args in [*READS, export]:
            result = run_cli(capsys, monkeypatch, *args, env=env)
            assert result.code == 0, (args, result.stderr)
        assert (tmp_path / "campaign-1-manifest.json").exists()
        refused = run_cli(capsys, monkeypatch, "audit", "checkpoint", env={**env, "RECERTIFY_ROLE": "admin"})
        assert refused.code == 1 and "the database refused: permission denied for table" in refused.stderr
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))
            connection.commit()
