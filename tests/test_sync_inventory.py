"""Applying snapshots keeps grant validity intervals; point-in-time questions are answered from them."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews import audit
from reviews.clock import FrozenClock
from reviews.entitlements import AccessLevel
from reviews.inventory.apply import apply_snapshot, population_sha256, record_failed_sync
from reviews.queries.access import effective_access
from reviews.storage.models import AccessGrant, AuditEvent, Principal, Store, SyncRun
from tests.data.snapshots import CASES, PAYROLL, aws_snapshot
from tests.helpers import T0, run_cli

DAY = timedelta(days=1)
READ, WRITE = AccessLevel.READ, AccessLevel.WRITE


def _apply(session: Session, clock: FrozenClock, *grants) -> None:
    apply_snapshot(aws_snapshot(clock.now(), *grants), session=session, clock=clock)
    session.commit()


def _who(session: Session, at, store: str = "payroll") -> set[tuple[str, str]]:
    rows = effective_access(session=session, start=at, end=at + timedelta(microseconds=1), store=store)
    return {(row.principal["name"], row.access) for row in rows}


def test_grant_revoke_regrant_gives_two_intervals_and_exact_answers(session: Session) -> None:
    clock = FrozenClock(T0)
    _apply(session, clock, ("ana", PAYROLL, READ), ("ben", PAYROLL, READ))  # day 0: ana and ben
    clock.advance(10 * DAY)
    _apply(session, clock, ("ben", PAYROLL, READ))  # day 10: ana's access gone
    clock.advance(10 * DAY)
    _apply(session, clock, ("ana", PAYROLL, READ), ("ben", PAYROLL, READ))  # day 20: ana re-granted

    assert _who(session, T0 - DAY) == set()
    assert _who(session, T0 + 5 * DAY) == {("ana", "read"), ("ben", "read")}
    assert _who(session, T0 + 15 * DAY) == {("ben", "read")}
    assert _who(session, T0 + 25 * DAY) == {("ana", "read"), ("ben", "read")}
    assert _who(session, T0 + 10 * DAY) == {("ben", "read")}  # closed at the instant of the sync that lost it

    ana = session.exec(select(Principal).where(Principal.name == "ana")).one()
    intervals = session.exec(
        select(AccessGrant).where(AccessGrant.principal_id == ana.id).order_by(AccessGrant.valid_from)
    ).all()
    assert [(g.valid_from, g.valid_to) for g in intervals] == [(T0, T0 + 10 * DAY), (T0 + 20 * DAY, None)]


def test_an_unchanged_snapshot_changes_no_interval(session: Session) -> None:
    clock = FrozenClock(T0)
    _apply(session, clock, ("ana", PAYROLL, READ))
    clock.advance(DAY)
    summary = apply_snapshot(aws_snapshot(clock.now(), ("ana", PAYROLL, READ)), session=session, clock=clock)
    assert (summary.opened, summary.closed, summary.changed) == (0, 0, 0)
    assert len(session.exec(select(AccessGrant)).all()) == 1


def test_each_level_is_its_own_grant(session: Session) -> None:
    clock = FrozenClock(T0)
    _apply(session, clock, ("ana", PAYROLL, READ), ("ana", PAYROLL, WRITE))
    clock.advance(DAY)
    _apply(session, clock, ("ana", PAYROLL, READ))  # write removed, read kept
    assert _who(session, T0) == {("ana", "read"), ("ana", "write")}
    assert _who(session, T0 + 2 * DAY) == {("ana", "read")}


def test_every_change_is_an_audit_event_and_the_chain_verifies(session: Session) -> None:
    clock = FrozenClock(T0)
    _apply(session, clock, ("ana", PAYROLL, READ), ("ben", CASES, READ))
    clock.advance(DAY)
    _apply(session, clock, ("ben", CASES, READ))
    kinds = [e.kind for e in session.exec(select(AuditEvent).order_by(AuditEvent.seq))]
    assert kinds == ["grant.opened", "grant.opened", "sync.applied", "grant.closed", "sync.applied"]
    closed = session.exec(select(AuditEvent).where(AuditEvent.kind == "grant.closed")).one()
    assert closed.subject == "store:arn:aws:s3:::payroll"
    assert closed.payload["principal"] == "arn:aws:iam::111122223333:user/ana"
    last = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()  # type: ignore[union-attr]
    snapshot = aws_snapshot(clock.now(), ("ben", CASES, READ))
    assert last is not None and last.payload["population_sha256"] == population_sha256(snapshot.grants)
    assert audit.verify(session).seq == 5


def test_stores_and_principals_that_disappear_are_marked_not_deleted(session: Session) -> None:
    clock = FrozenClock(T0)
    _apply(session, clock, ("ana", PAYROLL, READ), ("ben", PAYROLL, READ))
    clock.advance(DAY)
    _apply(session, clock, ("ana", PAYROLL, READ))
    ben = session.exec(select(Principal).where(Principal.name == "ben")).one()
    assert ben.removed_at == T0 + DAY
    assert session.exec(select(Store).where(Store.name == "payroll")).one().removed_at is None


def test_a_failed_sync_is_recorded_and_touches_no_grant(session: Session) -> None:
    clock = FrozenClock(T0)
    _apply(session, clock, ("ana", PAYROLL, READ))
    record_failed_sync(
        "aws", "AccessDenied on account 444455556666", session=session, clock=clock, started_at=T0
    )
    session.commit()
    runs = session.exec(select(SyncRun).order_by(SyncRun.id)).all()
    assert [r.status for r in runs] == ["succeeded", "failed"]
    assert runs[1].error == "AccessDenied on account 444455556666"
    assert _who(session, T0 + DAY) == {("ana", "read")}


def test_access_command_answers_for_a_past_date_in_json_and_csv(
    engine: Engine, database_url: str, capsys, monkeypatch
) -> None:
    clock = FrozenClock(T0)
    with Session(engine) as session:
        _apply(session, clock, ("ana", PAYROLL, READ), ("=cmd", PAYROLL, READ))
        clock.advance(10 * DAY)
        _apply(session, clock)
    env = {"RECERTIFY_DATABASE_URL": database_url}
    result = run_cli(
        capsys, monkeypatch, "access", "--store", "payroll", "--at", "2026-03-05", "--format", "json", env=env
    )
    assert result.code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["principal"]["name"] for r in rows} == {"ana", "=cmd"}
    ana = next(r for r in rows if r["principal"]["name"] == "ana")
    assert ana["store"] == {
        "id": "arn:aws:s3:::payroll",
        "name": "payroll",
        "system": "aws",
        "kind": "s3_bucket",
        "owner": "olu@dept.example.gov",
        "owners": ["olu@dept.example.gov"],
    }
    assert ana["principal"] == {
        "id": "arn:aws:iam::111122223333:user/ana",
        "type": "iam_user",
        "name": "ana",
        "email": "ana@dept.example.gov",
        "guest": False,
    }
    assert ana["access"] == "read" and ana["conditional"] is False and ana["last_used"] is None
    assert ana["exposure"] is None and ana["exposure_sentence"] is None  # a person's account, not an exposure
    assert ana["path"] == ["group:PayrollReadGroup", "policy:PayrollRead"]

    now = run_cli(capsys, monkeypatch, "access", "--format", "json", env=env)
    assert json.loads(now.stdout) == []  # everything was revoked on day 10

    as_csv = run_cli(capsys, monkeypatch, "access", "--at", "2026-03-05", "--format", "csv", env=env)
    assert "'=cmd" in as_csv.stdout and ",=cmd" not in as_csv.stdout  # no spreadsheet formula


def test_access_filters_are_text_not_sql(engine: Engine, database_url: str, capsys, monkeypatch) -> None:
    with Session(engine) as session:
        _apply(session, FrozenClock(T0), ("ana", PAYROLL, READ))
    env = {"RECERTIFY_DATABASE_URL": database_url}
    for option in ("--store", "--principal"):
        result = run_cli(capsys, monkeypatch, "access", option, "x' OR '1'='1", "--format", "json", env=env)
        assert result.code == 1 and result.stdout == ""
        assert "x' OR '1'='1" in result.stderr and "no " in result.stderr  # named as text, found nowhere
    result = run_cli(capsys, monkeypatch, "access", "--store", "payroll", "--format", "json", env=env)
    assert result.code == 0, result.stderr
    assert [row["principal"]["name"] for row in json.loads(result.stdout)] == ["ana"]


def test_a_bad_date_is_a_clear_argument_error(database_url: str, capsys, monkeypatch) -> None:
    result = run_cli(
        capsys, monkeypatch, "access", "--at", "5 March", env={"RECERTIFY_DATABASE_URL": database_url}
    )
    assert result.code == 2
    assert "at '5 March': expected YYYY-MM-DD or an ISO 8601 time" in result.stderr
