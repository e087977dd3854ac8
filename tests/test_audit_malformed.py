"""A stored event changed by hand into something `append` never writes (a payload that is not a JSON object,
a time that is not one, a hash that is not hex, a null, a value of another type) is named by its sequence
number and the malformed field, in one line, by `audit verify` (with or without `--expect-head`) and by the
checkpoint that refuses to vouch for it; never a traceback. Each backend is tampered with what it can store:
SQLite stores anything in any column; PostgreSQL's jsonb and timestamptz refuse what is not JSON or not a
time, which is checked too."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from config import load_settings
from jobs import scheduled_checkpoint
from reviews import audit
from reviews.audit import rows as audit_rows
from reviews.clock import FrozenClock
from reviews.errors import AuditChainBroken
from scheduler import JobContext, Leadership
from tests.helpers import T0, run_cli
from tests.test_audit import _fill
from wiring import Wiring

REFUSED = "refused"


@dataclass(frozen=True)
class Tamper:
    """A row made malformed with each backend's SQL, and the reason `verify` must give (for events, a
    regular expression), or REFUSED when the backend cannot store the malformed value."""

    sqlite: tuple[tuple[str, ...], str]
    postgresql: tuple[tuple[str, ...], str]

    def on(self, backend: str) -> tuple[tuple[str, ...], str]:
        return self.sqlite if backend == "sqlite" else self.postgresql


def _same(statements: tuple[str, ...], reason: str) -> Tamper:
    return Tamper((statements, reason), (statements, reason))


def _on_4(assignment: str) -> tuple[str]:
    return (f"UPDATE audit_event SET {assignment} WHERE seq = 4",)  # noqa: S608  (the tests' own SQL)


def _nullable(column: str) -> Tamper:
    """`column` of event 4 set to null: PostgreSQL needs the constraint dropped, SQLite a copy of the table
    (it keeps NOT NULL however a row is updated)."""
    copy = (
        "CREATE TABLE audit_event_copy AS SELECT * FROM audit_event",
        "DROP TABLE audit_event",
        "ALTER TABLE audit_event_copy RENAME TO audit_event",
    )
    drop = (f"ALTER TABLE audit_event ALTER COLUMN {column} DROP NOT NULL",)
    reason = re.escape(f"{column} is missing (null)")
    return Tamper(
        ((*copy, *_on_4(f"{column} = NULL")), reason), ((*drop, *_on_4(f"{column} = NULL")), reason)
    )


E = re.escape
# Event 4 of 10, every field `append` writes, made into what it never writes.
EVENT_CASES = {
    "payload-not-json": Tamper(
        (_on_4("payload = 'not json{'"), E("payload is not JSON ('not json{')")),
        (_on_4("payload = 'not json{'"), REFUSED),
    ),
    "payload-an-array": _same(_on_4("payload = '[1, 2]'"), E("payload is not a JSON object ([1, 2])")),
    "payload-a-string": _same(_on_4("""payload = '"{}"'"""), E("payload is not a JSON object ('{}')")),
    "payload-with-nan": Tamper(
        (
            _on_4("""payload = '{"n": NaN}'"""),
            E("payload has no canonical JSON form (Out of range float values are not JSON compliant")
            + r"(: nan)?\)",
        ),
        (_on_4("""payload = '{"n": NaN}'"""), REFUSED),
    ),
    "payload-null": _nullable("payload"),
    "time-not-a-time": Tamper(
        (_on_4("occurred_at = 'yesterday'"), E("occurred_at is not a time ('yesterday')")),
        # 'yesterday' is a time to PostgreSQL; infinity is one that Python cannot hold.
        (_on_4("occurred_at = 'infinity'"), E("occurred_at is not a time ('infinity')")),
    ),
    "time-a-number-or-words": Tamper(
        (_on_4("occurred_at = 12345"), E("occurred_at is not a time ('12345')")),
        (_on_4("occurred_at = 'not a time'"), REFUSED),
    ),
    "time-null": _nullable("occurred_at"),
    "hash-not-hex": _same(_on_4("hash = 'zz'"), E("hash is not 64 hexadecimal digits ('zz')")),
    "prev-hash-not-hex": _same(
        _on_4("prev_hash = upper(prev_hash)"), r"prev_hash is not 64 hexadecimal digits \('[0-9A-F]{58}…\)"
    ),
    "hash-null": _nullable("hash"),
    "actor-null": _nullable("actor"),
    "kind-not-text": Tamper(
        (_on_4("kind = X'00ff'"), E(r"kind is not text (b'\x00\xff')")),
        (
            (
                "ALTER TABLE audit_event ALTER COLUMN kind TYPE jsonb "
                "USING CASE WHEN seq = 4 THEN '7'::jsonb ELSE to_jsonb(kind) END",
            ),
            E("kind is not text (7)"),
        ),
    ),
    "subject-not-utf8": Tamper(
        (_on_4("subject = CAST(X'ff' AS TEXT)"), E("subject is not text (not even readable as text)")),
        (_on_4("subject = convert_from('\\xff'::bytea, 'UTF8')"), REFUSED),
    ),
}


def _tamper(engine: Engine, statements: tuple[str, ...]) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


@pytest.mark.parametrize("case", list(EVENT_CASES), ids=list(EVENT_CASES))
def test_a_malformed_event_is_named_by_seq_and_field(
    engine: Engine, database_url: str, backend: str, case: str, capsys, monkeypatch
) -> None:
    with Session(engine) as session:
        head = _fill(session)
    statements, reason = EVENT_CASES[case].on(backend)
    env = {"RECERTIFY_DATABASE_URL": database_url}
    if reason == REFUSED:
        with pytest.raises(DBAPIError):
            _tamper(engine, statements)
        intact = run_cli(capsys, monkeypatch, "audit", "verify", env=env)
        assert intact.code == 0, intact.stderr
        assert f"audit chain intact: 10 events; head {head}" in intact.stdout
        return
    _tamper(engine, statements)
    expected = E("error: audit chain broken at sequence 4: malformed event: ") + reason
    for args in (("audit", "verify"), ("audit", "verify", "--expect-head", str(head))):
        result = run_cli(capsys, monkeypatch, *args, env=env)
        assert result.code == 1, result.stderr
        assert re.fullmatch(expected + "\n", result.stderr), result.stderr
        assert result.stdout == ""
    # The checkpoint that would vouch for the chain refuses it with the same words, and records nothing.
    checkpoint = run_cli(capsys, monkeypatch, "audit", "checkpoint", env=env)
    assert checkpoint.code == 1
    assert re.fullmatch(expected + E("; no checkpoint recorded over it") + "\n", checkpoint.stderr)
    assert _count(engine, "audit_checkpoint") == 0 and _count(engine, "audit_event") == 10


def test_the_hourly_checkpoint_logs_the_malformed_event_and_records_nothing(
    engine: Engine, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with Session(engine) as session:
        _fill(session)
    _tamper(engine, ("UPDATE audit_event SET hash = 'zz' WHERE seq = 4",))
    config = load_settings(None, {"RECERTIFY_DATABASE_URL": database_url})
    leadership = Leadership(engine, name="checkpoints")
    assert leadership.try_acquire()
    try:
        with caplog.at_level(logging.WARNING, logger="recertify.serve"):
            scheduled_checkpoint(JobContext(engine, leadership, Wiring(config, engine)))
    finally:
        leadership.release()
    assert [r.getMessage() for r in caplog.records] == [
        "scheduler: audit checkpoint failed: audit chain broken at sequence 4: malformed event: hash is not "
        "64 hexadecimal digits ('zz'); no checkpoint recorded over it"
    ]
    assert _count(engine, "audit_checkpoint") == 0


def test_the_first_bad_event_is_named_even_when_later_ones_are_malformed(session: Session) -> None:
    _fill(session)
    session.execute(text("UPDATE audit_event SET hash = 'zz' WHERE seq = 7"))
    session.execute(text("UPDATE audit_event SET payload = '[7]' WHERE seq = 6"))
    session.execute(text("UPDATE audit_event SET subject = 'item:404' WHERE seq = 5"))  # altered, well formed
    session.commit()
    with pytest.raises(AuditChainBroken) as caught:
        audit.verify(session)
    assert (caught.value.seq, caught.value.reason) == (
        5,
        "content does not match its hash (the event was altered)",
    )


@pytest.mark.parametrize(
    ("altered", "first_bad"), [(None, 14), (13, 13)], ids=["unreadable", "altered-before"]
)
def test_an_undecodable_event_in_a_later_batch_is_found_and_those_before_it_are_walked(
    session: Session, monkeypatch, altered: int | None, first_bad: int
) -> None:
    """Batches of 3 (rows 13..15 are the fifth): decoding fails for the batch, the walk still checks 13 before
    naming 14, as a walk that could read every row would."""
    monkeypatch.setattr(audit_rows, "VERIFY_BATCH", 3)
    _fill(session, 20)
    unreadable = "yesterday" if session.get_bind().dialect.name == "sqlite" else "infinity"
    session.execute(text("UPDATE audit_event SET occurred_at = :t WHERE seq = 14"), {"t": unreadable})
    if altered is not None:
        session.execute(text("UPDATE audit_event SET subject = 'item:404' WHERE seq = :s"), {"s": altered})
    session.commit()
    with pytest.raises(AuditChainBroken) as caught:
        audit.verify(session, workers=1)
    assert caught.value.seq == first_bad
    if altered is None:
        assert caught.value.reason == f"malformed event: occurred_at is not a time ('{unreadable}')"
    else:
        assert caught.value.reason == "content does not match its hash (the event was altered)"


ROW_CASES = {
    "base-hash-not-hex": _same(
        ("UPDATE audit_base SET hash = 'zz'",),
        "the audit_base row: malformed: hash is not 64 hexadecimal digits ('zz')",
    ),
    "head-seq-not-a-number": Tamper(
        (
            ("UPDATE audit_head SET seq = 'three'",),
            "the audit_head row: malformed: seq is not a number ('three')",
        ),
        (
            ("ALTER TABLE audit_head ALTER COLUMN seq DROP NOT NULL", "UPDATE audit_head SET seq = NULL"),
            "the audit_head row: malformed: seq is missing (null)",
        ),
    ),
}


@pytest.mark.parametrize("case", list(ROW_CASES), ids=list(ROW_CASES))
def test_a_malformed_head_or_base_row_is_named(
    engine: Engine, database_url: str, backend: str, case: str, capsys, monkeypatch
) -> None:
    with Session(engine) as session:
        _fill(session, 3)
    statements, message = ROW_CASES[case].on(backend)
    _tamper(engine, statements)
    env = {"RECERTIFY_DATABASE_URL": database_url}
    for args in (("audit", "verify"), ("audit", "checkpoint")):
        result = run_cli(capsys, monkeypatch, *args, env=env)
        assert result.code == 1
        assert result.stderr == f"error: audit chain broken at {message}\n"
    if "audit_head" in message:  # appending refuses too, not extending a chain from a head it cannot read
        with Session(engine) as session, pytest.raises(AuditChainBroken) as caught:
            audit.append(session, audit.NewEvent("cli:x", "k", "s"), clock=FrozenClock(T0))
        assert str(caught.value) == f"audit chain broken at {message}"


def test_a_checkpoint_whose_time_cannot_be_read_is_still_compared_and_named(
    engine: Engine, database_url: str, backend: str, capsys, monkeypatch
) -> None:
    with Session(engine) as session:
        head = _fill(session, 3)
    env = {"RECERTIFY_DATABASE_URL": database_url}
    assert run_cli(capsys, monkeypatch, "audit", "checkpoint", env=env).code == 0
    with engine.begin() as connection:  # infinity: a time PostgreSQL holds and Python cannot
        unreadable = "soon" if backend == "sqlite" else "infinity"
        connection.execute(text("UPDATE audit_checkpoint SET recorded_at = :t"), {"t": unreadable})
    verified = run_cli(capsys, monkeypatch, "audit", "verify", env=env)
    assert verified.code == 0, verified.stderr  # its seq and hash are what verify compares, and they hold
    assert "checkpoints in the chain: 1 in the database" in verified.stdout
    again = run_cli(capsys, monkeypatch, "audit", "checkpoint", env=env)
    assert again.code == 1
    assert again.stderr == (
        f"error: audit chain broken at sequence {head.seq}: malformed checkpoint: recorded_at is not a time\n"
    )
