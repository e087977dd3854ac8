"""Checkpoints catch what the chain alone cannot: its last events deleted by someone who also rewrote the
head row. The write-once copies (S3 with Object Lock, moto here) catch it even when the checkpoint rows were
deleted too, and catch edited or deleted checkpoint rows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from config import load_settings
from connectors.aws.checkpoints import S3CheckpointSink
from jobs import scheduled_checkpoint, scheduled_jobs
from reviews import audit
from reviews.audit import checkpoints
from reviews.clock import FrozenClock
from reviews.errors import AuditChainBroken
from scheduler import JobContext, Leadership
from tests.checkpoint_world import BUCKET, REGION, append_events, locked_bucket, s3_sink
from tests.helpers import T0, run_cli
from wiring import Wiring


@pytest.fixture
def s3(aws_env: None) -> Iterator[object]:
    with locked_bucket() as client:
        yield client


def _checkpointed_chain(session: Session, sink: S3CheckpointSink | None) -> FrozenClock:
    """Ten events with checkpoints at 4 and 10, as the hourly job would leave them."""
    clock = FrozenClock(T0)
    append_events(session, 4, clock)
    assert checkpoints.record_checkpoint(session, sink, clock=clock) is not None
    clock.advance(timedelta(hours=1))
    append_events(session, 6, clock)
    assert checkpoints.record_checkpoint(session, sink, clock=clock) is not None
    session.commit()
    return clock


def _truncate_and_rewrite_head(session: Session, keep: int) -> None:
    """The careful attacker: delete the last events and make the head row match what is left."""
    session.execute(text("DELETE FROM audit_event WHERE seq > :keep"), {"keep": keep})
    last = session.execute(
        text("SELECT hash FROM audit_event WHERE seq = :keep"), {"keep": keep}
    ).scalar_one()
    session.execute(text("UPDATE audit_head SET seq = :keep, hash = :h"), {"keep": keep, "h": last})
    session.commit()


def test_a_checkpoint_records_the_head_once_until_it_moves(session: Session) -> None:
    clock = FrozenClock(T0)
    assert checkpoints.record_checkpoint(session, None, clock=clock) is None  # no events yet
    head = append_events(session, 3, clock)
    first = checkpoints.record_checkpoint(session, None, clock=clock)
    session.commit()
    assert first is not None and first.head == head and first.written_to is None
    assert checkpoints.record_checkpoint(session, None, clock=clock) is None  # the head did not move
    head = append_events(session, 2, clock)
    second = checkpoints.record_checkpoint(session, None, clock=clock)
    session.commit()
    assert second is not None and second.head == head
    rows = session.execute(text("SELECT seq FROM audit_checkpoint ORDER BY seq")).scalars().all()
    assert rows == [3, 5]
    assert checkpoints.verify_checkpoints(session, None).in_database == 2


def test_truncation_with_a_rewritten_head_is_caught_by_the_checkpoints(session: Session) -> None:
    _checkpointed_chain(session, None)
    _truncate_and_rewrite_head(session, keep=7)
    assert audit.verify(session).seq == 7  # the chain alone looks fine…
    with pytest.raises(AuditChainBroken, match=re.escape("checkpoint 10:")) as caught:
        checkpoints.verify_checkpoints(session, None)  # …the checkpoint at 10 is gone from it
    assert caught.value.seq == 10
    assert "is not in the chain: event 10 is gone" in str(caught.value)


def test_no_checkpoint_is_recorded_over_a_truncated_chain(session: Session) -> None:
    clock = _checkpointed_chain(session, None)
    _truncate_and_rewrite_head(session, keep=7)
    with pytest.raises(AuditChainBroken, match="checkpoint 10:.* is past the head 7:") as caught:
        checkpoints.record_checkpoint(session, None, clock=clock)
    assert caught.value.seq == 10


def test_a_rewritten_chain_is_not_checkpointed_over(session: Session) -> None:
    clock = _checkpointed_chain(session, None)
    append_events(session, 2, clock)
    session.execute(text("UPDATE audit_event SET subject = 'store:forged' WHERE seq = 11"))
    session.commit()
    with pytest.raises(AuditChainBroken, match="content does not match its hash") as caught:
        checkpoints.record_checkpoint(session, None, clock=clock)
    assert caught.value.seq == 11


def test_the_write_once_copies_catch_a_truncation_whose_checkpoint_rows_were_deleted_too(
    session: Session, s3
) -> None:
    sink = s3_sink()
    _checkpointed_chain(session, sink)
    _truncate_and_rewrite_head(session, keep=7)
    session.execute(text("DELETE FROM audit_checkpoint"))
    session.commit()
    assert audit.verify(session).seq == 7
    assert checkpoints.verify_checkpoints(session, None).in_database == 0  # the database alone: fooled
    with pytest.raises(AuditChainBroken) as caught:
        checkpoints.verify_checkpoints(session, sink)
    assert caught.value.seq == 10
    assert "write-once checkpoint 10:" in str(caught.value)
    assert f"s3://{BUCKET}/recertify/checkpoints/000000000010-" in str(caught.value)
    assert "is not in the chain" in str(caught.value)


def test_a_deleted_checkpoint_row_is_caught_while_its_write_once_copy_remains(session: Session, s3) -> None:
    sink = s3_sink()
    _checkpointed_chain(session, sink)
    report = checkpoints.verify_checkpoints(session, sink)
    assert (report.in_database, report.write_once) == (2, 2)
    session.execute(text("DELETE FROM audit_checkpoint WHERE seq = 4"))
    session.commit()
    with pytest.raises(AuditChainBroken, match="has no row in audit_checkpoint") as caught:
        checkpoints.verify_checkpoints(session, sink)
    assert caught.value.seq == 4


def test_an_edited_checkpoint_row_is_caught(session: Session, s3) -> None:
    sink = s3_sink()
    _checkpointed_chain(session, sink)
    forged = "f" * 64
    session.execute(text("UPDATE audit_checkpoint SET hash = :h WHERE seq = 4"), {"h": forged})
    session.commit()
    with pytest.raises(AuditChainBroken, match=f"checkpoint 4:{forged} \\(database\\) is not in the chain"):
        checkpoints.verify_checkpoints(session, sink)


def test_a_row_claiming_a_write_once_copy_that_does_not_exist_is_caught(session: Session, s3) -> None:
    sink = s3_sink()
    _checkpointed_chain(session, None)  # recorded without the store…
    claimed = f"s3://{BUCKET}/recertify/checkpoints/000000000004-x.json"
    session.execute(text("UPDATE audit_checkpoint SET written_to = :w WHERE seq = 4"), {"w": claimed})
    session.commit()
    with pytest.raises(AuditChainBroken, match="which the write-once store does not hold") as caught:
        checkpoints.verify_checkpoints(session, sink)  # …but one row says otherwise
    assert caught.value.seq == 4


def test_a_checkpoint_kept_only_in_the_database_gets_its_copy_when_a_store_is_configured(
    session: Session, s3
) -> None:
    clock = _checkpointed_chain(session, None)
    sink = s3_sink()
    copied = checkpoints.record_checkpoint(session, sink, clock=clock)  # the head has not moved
    session.commit()
    assert copied is not None and copied.seq == 10
    assert copied.written_to == f"s3://{BUCKET}/recertify/checkpoints/000000000010-{copied.hash}.json"
    assert checkpoints.record_checkpoint(session, sink, clock=clock) is None
    report = checkpoints.verify_checkpoints(session, sink)
    assert (report.in_database, report.write_once) == (2, 1)


# --- the commands and the scheduled job --------------------------------------------------------------------


def test_audit_verify_names_the_checkpoint_missing_from_the_chain(
    engine: Engine, database_url: str, capsys, monkeypatch, s3
) -> None:
    env = {"RECERTIFY_DATABASE_URL": database_url, "RECERTIFY_AUDIT_CHECKPOINT_BUCKET": BUCKET}
    with Session(engine) as session:
        append_events(session, 4, FrozenClock(T0))
    recorded = run_cli(capsys, monkeypatch, "audit", "checkpoint", env=env)
    assert recorded.code == 0, recorded.stderr
    assert "checkpoint 4:" in recorded.stdout and f"written to s3://{BUCKET}/recertify/" in recorded.stdout
    again = run_cli(capsys, monkeypatch, "audit", "checkpoint", env=env)
    assert "nothing to record: the head has not moved since checkpoint 4:" in again.stdout
    ok = run_cli(capsys, monkeypatch, "audit", "verify", env=env)
    assert ok.code == 0, ok.stderr
    assert "audit chain intact: 4 events" in ok.stdout
    assert (
        f"checkpoints in the chain: 1 in the database, 1 write-once in s3://{BUCKET}/recertify/" in ok.stdout
    )
    with Session(engine) as session:
        _truncate_and_rewrite_head(session, keep=2)
        session.execute(text("DELETE FROM audit_checkpoint"))
        session.commit()
    broken = run_cli(capsys, monkeypatch, "audit", "verify", env=env)
    assert broken.code == 1
    assert "audit chain broken at sequence 4: write-once checkpoint 4:" in broken.stderr


def test_a_checkpoint_bucket_without_object_lock_stops_the_command(
    database_url: str, capsys, monkeypatch, s3
) -> None:
    s3.create_bucket(Bucket="plain-bucket", CreateBucketConfiguration={"LocationConstraint": REGION})
    env = {"RECERTIFY_DATABASE_URL": database_url, "RECERTIFY_AUDIT_CHECKPOINT_BUCKET": "plain-bucket"}
    result = run_cli(capsys, monkeypatch, "audit", "checkpoint", env=env)
    assert result.code == 1
    assert "audit.checkpoint_bucket 'plain-bucket' has no Object Lock" in result.stderr


def test_the_scheduled_job_checkpoints_only_when_the_head_moved(
    engine: Engine, database_url: str, capsys
) -> None:
    config = load_settings(None, {"RECERTIFY_DATABASE_URL": database_url})
    assert config.settings.audit.checkpoint_every_minutes == 60
    jobs = {job.id: job for job in scheduled_jobs(engine)}
    assert jobs["audit:checkpoint"].every == timedelta(hours=1)
    leadership = Leadership(engine, name="checkpoints")
    assert leadership.try_acquire()
    context = JobContext(engine, leadership, Wiring(config, engine))
    try:
        scheduled_checkpoint(context)  # no events: nothing to record
        with Session(engine) as session:
            head = append_events(session, 3, FrozenClock(T0))
        scheduled_checkpoint(context)
        scheduled_checkpoint(context)  # the head did not move
        with Session(engine) as session:
            rows = session.execute(text("SELECT seq, hash FROM audit_checkpoint")).all()
            assert [(r.seq, r.hash) for r in rows] == [(head.seq, head.hash)]
            head = append_events(session, 1, FrozenClock(T0))
        scheduled_checkpoint(context)
        with Session(engine) as session:
            seqs = session.execute(text("SELECT seq FROM audit_checkpoint ORDER BY seq")).scalars().all()
        assert seqs == [3, 4]
        assert datetime.now(UTC) - checkpoints_recorded_at(engine, 4) < timedelta(minutes=5)
    finally:
        leadership.release()
    assert capsys.readouterr().out.count("scheduler: audit checkpoint") == 2


def checkpoints_recorded_at(engine: Engine, seq: int) -> datetime:
    with Session(engine) as session:
        latest = checkpoints.latest(session)
    assert latest is not None and latest.seq == seq
    return latest.recorded_at
