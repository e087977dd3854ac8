"""Retention: events older than `[audit] retention_months` (24 by default) leave only through an audited purge
that checkpoints first; the chain that remains still verifies from its new base, and tampering with it, or
with its start, is still detected."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from config import load_settings
from connectors.aws.checkpoints import S3CheckpointSink
from reviews import audit
from reviews.actors import Actor, Role
from reviews.audit import checkpoints, retention
from reviews.audit.retention import months_before
from reviews.clock import FrozenClock
from reviews.errors import AuditChainBroken, ConfigurationError, InvalidArgument, NotAuthorized
from reviews.ports import CheckpointKind
from reviews.storage.db import session_scope
from tests.checkpoint_world import BUCKET, append_events, locked_bucket, s3_sink
from tests.helpers import run_cli

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
OLD = months_before(NOW, 30)  # older than the default retention
RECENT = NOW - timedelta(days=3)
ADMIN = Actor("cli:root", roles=frozenset({Role.ADMIN}))


@pytest.fixture
def s3(aws_env: None) -> Iterator[object]:
    with locked_bucket() as client:
        yield client


def _append(session: Session, when: datetime, count: int) -> audit.ChainHead:
    return append_events(session, count, FrozenClock(when))


def _old_and_recent(session: Session) -> None:
    """Five events older than the retention, then three recent ones."""
    _append(session, OLD, 5)
    _append(session, RECENT, 3)


def _purge(engine: Engine, sink: S3CheckpointSink | None = None, **kwargs) -> retention.PurgeResult:
    clock = FrozenClock(NOW)
    with session_scope(engine) as session:
        plan = retention.plan_purge(session, retention_months=24, before=None, clock=clock)
    return retention.purge(
        partial(session_scope, engine), plan, sink=sink, actor=ADMIN, clock=clock, **kwargs
    )


def _count(session: Session, table: str) -> int:
    return session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608


def _payload(session: Session, seq: int) -> dict:
    stored = session.execute(text("SELECT payload FROM audit_event WHERE seq = :s"), {"s": seq}).scalar_one()
    return json.loads(stored) if isinstance(stored, str) else stored


# --- the retention setting and the plan --------------------------------------------------------------------


def test_the_retention_keeps_24_months_by_default_and_refuses_less_than_one(tmp_path: Path) -> None:
    assert load_settings(None, {}).settings.audit.retention_months == 24
    path = tmp_path / "recertify.toml"
    path.write_text("[audit]\nretention_months = 0\n")
    with pytest.raises(ConfigurationError) as refused:
        load_settings(path, {})
    assert refused.value.problems == [
        f"audit.retention_months (file {path}): expected a number of months, at least 1 "
        "(the default, 24, keeps two years) (got 0)"
    ]


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 3, 31, 9, tzinfo=UTC), 1, datetime(2026, 2, 28, 9, tzinfo=UTC)),
        (datetime(2024, 3, 31, 9, tzinfo=UTC), 1, datetime(2024, 2, 29, 9, tzinfo=UTC)),
        (datetime(2026, 1, 15, 9, tzinfo=UTC), 13, datetime(2024, 12, 15, 9, tzinfo=UTC)),
        (datetime(2026, 11, 24, 9, tzinfo=UTC), 24, datetime(2024, 11, 24, 9, tzinfo=UTC)),
    ],
)
def test_months_are_calendar_months(moment: datetime, months: int, expected: datetime) -> None:
    assert months_before(moment, months) == expected


def test_the_plan_takes_the_old_start_of_the_chain_and_nothing_newer(session: Session) -> None:
    _append(session, OLD, 3)
    _append(session, RECENT, 1)
    _append(session, OLD, 2)  # old again (a skewed clock): after a recent event, so it stays
    plan = retention.plan_purge(session, retention_months=24, before=None, clock=FrozenClock(NOW))
    assert plan.through is not None and (plan.first_seq, plan.through.seq, plan.count) == (1, 3, 3)
    assert plan.cutoff == months_before(NOW, 24) and plan.oldest_at == OLD and plan.newest_at == OLD


def test_a_before_newer_than_the_retention_allows_is_refused(session: Session) -> None:
    _old_and_recent(session)
    with pytest.raises(InvalidArgument, match="newer than the retention allows"):
        retention.plan_purge(
            session, retention_months=24, before=NOW - timedelta(days=30), clock=FrozenClock(NOW)
        )
    earlier = retention.plan_purge(session, retention_months=24, before=OLD, clock=FrozenClock(NOW))
    assert earlier.through is None  # nothing is older than the oldest event


def test_only_an_admin_may_purge(engine: Engine) -> None:
    with Session(engine) as session:
        _old_and_recent(session)
        plan = retention.plan_purge(session, retention_months=24, before=None, clock=FrozenClock(NOW))
    auditor = Actor("slack:U1", roles=frozenset({Role.AUDITOR}))
    with pytest.raises(NotAuthorized):
        retention.purge(
            partial(session_scope, engine), plan, sink=None, actor=auditor, clock=FrozenClock(NOW)
        )
    with Session(engine) as session:
        assert _count(session, "audit_event") == 8


# --- the purge ---------------------------------------------------------------------------------------------


def test_a_purge_checkpoints_first_then_deletes_and_records_itself(engine: Engine) -> None:
    with Session(engine) as session:
        _old_and_recent(session)
        before = audit.head(session)
    done = _purge(engine)
    assert done.checkpoint == before  # the head before anything was deleted
    assert done.event.seq == 9
    with Session(engine) as session:
        assert session.execute(text("SELECT min(seq) FROM audit_event")).scalar_one() == 6
        assert audit.base(session).seq == 5
        purged = _payload(session, 9)
        kind, actor = session.execute(text("SELECT kind, actor FROM audit_event WHERE seq = 9")).one()
        row = session.execute(text("SELECT seq, hash FROM audit_checkpoint")).one()
        assert (row.seq, row.hash) == (before.seq, before.hash)
        assert (kind, actor) == (audit.PURGED, "cli:root")
        assert purged["from_seq"] == 1 and purged["through_seq"] == 5 and purged["count"] == 5
        assert purged["base_hash"] == audit.base(session).hash
        assert purged["checkpoint"] == str(before) and purged["attested_at"] is None
        assert audit.verify(session).seq == 9
        assert checkpoints.verify_checkpoints(session, None).in_database == 1
        checkpoints.record_checkpoint(session, None, clock=FrozenClock(NOW))  # the next hourly one
        session.commit()
        assert checkpoints.verify_checkpoints(session, None).in_database == 2


Tamper = str


@pytest.mark.parametrize(
    ("tamper", "first_bad", "reason"),
    [
        ("UPDATE audit_event SET subject = 'x' WHERE seq = 7", 7, "content does not match its hash"),
        ("DELETE FROM audit_event WHERE seq = 6", 6, "event missing"),
        ("DELETE FROM audit_event WHERE seq >= 8", 8, "missing (truncated)"),
        ("UPDATE audit_base SET seq = 0, hash = '" + "0" * 64 + "'", 1, "event missing (next present is 6)"),
    ],
    ids=["altered", "first-remaining-deleted", "truncated", "base-reset"],
)
def test_tampering_after_a_purge_is_still_detected(
    engine: Engine, tamper: str, first_bad: int, reason: str
) -> None:
    with Session(engine) as session:
        _old_and_recent(session)
    _purge(engine)
    with Session(engine) as session:
        session.execute(text(tamper))
        session.commit()
        with pytest.raises(AuditChainBroken, match=re.escape(reason)) as caught:
            audit.verify(session)
    assert caught.value.seq == first_bad


def test_deleting_the_start_of_the_chain_outside_a_purge_is_detected(engine: Engine) -> None:
    with Session(engine) as session:
        _old_and_recent(session)
        three = session.execute(text("SELECT hash FROM audit_event WHERE seq = 3")).scalar_one()
        session.execute(text("DELETE FROM audit_event WHERE seq <= 3"))
        session.execute(text("UPDATE audit_base SET seq = 3, hash = :h"), {"h": three})
        session.commit()
        with pytest.raises(AuditChainBroken, match="no audit.purged event records that purge") as caught:
            audit.verify(session)
    assert caught.value.seq == 4


def test_moving_the_base_past_the_last_purge_is_detected(engine: Engine) -> None:
    with Session(engine) as session:
        _old_and_recent(session)
    _purge(engine)
    with Session(engine) as session:
        six = session.execute(text("SELECT hash FROM audit_event WHERE seq = 6")).scalar_one()
        session.execute(text("DELETE FROM audit_event WHERE seq = 6"))
        session.execute(text("UPDATE audit_base SET seq = 6, hash = :h"), {"h": six})
        session.commit()
        with pytest.raises(AuditChainBroken, match="records a purge through 5:") as caught:
            audit.verify(session)
    assert caught.value.seq == 9  # the audit.purged event that names the real base


def test_with_a_write_once_store_a_purge_attests_its_base_and_a_forged_one_is_caught(
    engine: Engine, s3
) -> None:
    sink = s3_sink()
    with Session(engine) as session:
        _old_and_recent(session)
    done = _purge(engine, sink)
    assert done.attested_at is not None and "/recertify/bases/000000000005-" in done.attested_at
    with Session(engine) as session:
        records = {(r.kind, r.seq) for r in sink.read_all()}
        assert records == {(CheckpointKind.CHECKPOINT, 8), (CheckpointKind.BASE, 5)}
        assert _payload(session, 9)["attested_at"] == done.attested_at
        audit.verify(session)
        assert checkpoints.verify_checkpoints(session, sink).write_once == 2
        # Someone who can rewrite the database deletes two more events and makes everything else agree,
        # down to a well-formed audit.purged event naming the base they invented.
        seven = session.execute(text("SELECT hash FROM audit_event WHERE seq = 7")).scalar_one()
        session.execute(text("DELETE FROM audit_event WHERE seq <= 7"))
        session.execute(text("UPDATE audit_base SET seq = 7, hash = :h"), {"h": seven})
        payload = {"through_seq": 7, "base_hash": seven}
        audit.append(
            session, audit.NewEvent("cli:root", audit.PURGED, "audit:chain", payload), clock=FrozenClock(NOW)
        )
        session.commit()
        assert audit.verify(session).seq == 10  # the database alone cannot tell
        with pytest.raises(AuditChainBroken, match="holds no record of that purge") as caught:
            checkpoints.verify_checkpoints(session, sink)
    assert caught.value.seq == 7  # the invented base
    assert f"the chain starts after 7:{seven} (purged), but s3://{BUCKET}/recertify/" in str(caught.value)


def test_a_broken_chain_is_not_purged(engine: Engine) -> None:
    with Session(engine) as session:
        _old_and_recent(session)
        session.execute(text("UPDATE audit_event SET actor = 'cli:mallory' WHERE seq = 2"))
        session.commit()
    with pytest.raises(AuditChainBroken, match="nothing was purged"):
        _purge(engine)
    with Session(engine) as session:
        assert _count(session, "audit_event") == 8 and _count(session, "audit_checkpoint") == 0


# --- the command -----------------------------------------------------------------------------------------


def test_audit_purge_is_a_dry_run_without_yes_then_purges_and_verify_passes(
    engine: Engine, database_url: str, capsys, monkeypatch
) -> None:
    now = datetime.now(UTC)  # the command runs on the system clock
    with Session(engine) as session:
        _append(session, months_before(now, 30), 5)
        _append(session, now - timedelta(days=1), 3)
    env = {"RECERTIFY_DATABASE_URL": database_url}
    dry = run_cli(capsys, monkeypatch, "audit", "purge", env=env)
    assert dry.code == 0, dry.stderr
    assert "would purge events 1..5 (5, from" in dry.stdout and "nothing changed" in dry.stdout
    with Session(engine) as session:
        assert _count(session, "audit_event") == 8 and _count(session, "audit_checkpoint") == 0
        assert audit.base(session).seq == 0
    done = run_cli(capsys, monkeypatch, "audit", "purge", "--yes", env=env)
    assert done.code == 0, done.stderr
    assert "checkpoint 8:" in done.stdout and "recorded before purging" in done.stdout
    assert "purged events 1..5 (5," in done.stdout and f"recorded as {audit.PURGED} at 9" in done.stdout
    verified = run_cli(capsys, monkeypatch, "audit", "verify", env=env)
    assert verified.code == 0, verified.stderr
    assert "audit chain intact: 4 events; head 9:" in verified.stdout
    assert "events 1..5 were purged; the chain starts after 5:" in verified.stdout
    again = run_cli(capsys, monkeypatch, "audit", "purge", "--yes", env=env)
    assert again.code == 0 and "nothing to purge" in again.stdout
    with Session(engine) as session:
        session.execute(text("UPDATE audit_event SET subject = 'x' WHERE seq = 6"))
        session.commit()
    broken = run_cli(capsys, monkeypatch, "audit", "verify", env=env)
    assert broken.code == 1
    assert "audit chain broken at sequence 6: content does not match its hash" in broken.stderr


def test_audit_purge_refuses_a_date_the_retention_still_keeps(
    engine: Engine, database_url: str, capsys, monkeypatch
) -> None:
    with Session(engine) as session:
        _append(session, months_before(datetime.now(UTC), 30), 2)
    env = {"RECERTIFY_DATABASE_URL": database_url, "RECERTIFY_AUDIT_RETENTION_MONTHS": "36"}
    refused = run_cli(capsys, monkeypatch, "audit", "purge", "--before", "2026-01-01", "--yes", env=env)
    assert refused.code == 2
    assert "is newer than the retention allows: [audit] retention_months = 36 keeps every event since" in (
        refused.stderr
    )
    kept = run_cli(capsys, monkeypatch, "audit", "purge", "--yes", env=env)
    assert kept.code == 0 and "nothing to purge" in kept.stdout  # 30 months old, 36 kept
    bad = run_cli(capsys, monkeypatch, "audit", "purge", "--before", "last tuesday", env=env)
    assert bad.code == 2 and "expected YYYY-MM-DD or an ISO 8601 time" in bad.stderr
    with Session(engine) as session:
        assert _count(session, "audit_event") == 2


def test_a_store_configured_after_a_purge_needs_the_base_attested(
    engine: Engine, database_url: str, capsys, monkeypatch, s3
) -> None:
    with Session(engine) as session:
        _old_and_recent(session)
    _purge(engine)  # no write-once store yet
    env = {"RECERTIFY_DATABASE_URL": database_url, "RECERTIFY_AUDIT_CHECKPOINT_BUCKET": BUCKET}
    unattested = run_cli(capsys, monkeypatch, "audit", "verify", env=env)
    assert unattested.code == 1
    assert "audit chain broken at sequence 5: the chain starts after 5:" in unattested.stderr
    assert "--attest-base" in unattested.stderr
    attested = run_cli(capsys, monkeypatch, "audit", "checkpoint", "--attest-base", env=env)
    assert attested.code == 0, attested.stderr
    assert f"base attested at s3://{BUCKET}/recertify/bases/000000000005-" in attested.stdout
    assert "checkpoint 9:" in attested.stdout  # and the head, which had no write-once copy yet
    verified = run_cli(capsys, monkeypatch, "audit", "verify", env=env)
    assert verified.code == 0, verified.stderr
    assert "2 in the database, 2 write-once in" in verified.stdout
