"""Principals nobody is (anyone, outside accounts, services) in `recertify access`, `access --exposure` (the
first page a data-protection officer opens) and `audit history`, as table, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.clock import FrozenClock
from reviews.entitlements import Principal, PrincipalType, Snapshot, System
from reviews.errors import IncompleteSnapshot
from reviews.inventory.apply import apply_snapshot
from reviews.inventory.sync import sync_source
from reviews.storage.models import SyncRun
from tests.data.snapshots import ANYONE, PAYROLL, exposure_snapshot, grant, person
from tests.helpers import T0, CliResult, run_cli

DAY = timedelta(days=1)


@pytest.fixture
def synced(engine: Engine, database_url: str) -> dict[str, str]:
    """Day 0: the exposure snapshot; day 10: the public statements removed."""
    clock = FrozenClock(T0)
    with Session(engine) as session:
        apply_snapshot(exposure_snapshot(clock.now()), session=session, clock=clock)
        clock.advance(10 * DAY)
        apply_snapshot(exposure_snapshot(clock.now(), public=False), session=session, clock=clock)
        session.commit()
    return {"RECERTIFY_DATABASE_URL": database_url}


def cli(capsys, monkeypatch, env: dict[str, str], *args: str) -> CliResult:  # noqa: ANN001
    """The command's output, wide enough that a table's cells are not cut (Rich reads COLUMNS)."""
    result = run_cli(capsys, monkeypatch, *args, env={**env, "COLUMNS": "300"})
    assert result.code == 0, result.stderr
    return result


def test_exposure_lists_public_first_then_by_store_with_the_kind_of_each(
    synced: dict[str, str], capsys, monkeypatch
) -> None:
    result = cli(
        capsys, monkeypatch, synced, "access", "--exposure", "--at", "2026-03-02", "--format", "json"
    )
    rows = json.loads(result.stdout)
    assert [(r["exposure"], r["store"]["name"], r["principal"]["name"], r["access"]) for r in rows] == [
        ("public", "benefit-claims", "anyone on the internet", "read"),
        ("public", "cases", "anyone on the internet", "read"),
        ("other-account", "benefit-claims", "Payments (444455556666)", "read"),
        ("external", "payroll", "Partner Ltd (999988887777)", "write"),
    ]  # neither ana (a person) nor CloudTrail (a service) is an exposure
    public, vpc, payments, partner = rows
    assert public["principal"] == {
        "id": "*",
        "type": "public",
        "name": "anyone on the internet",
        "email": None,
        "guest": False,
    }
    assert public["exposure_sentence"] == "anyone on the internet can read benefit-claims"
    assert public["path"] == ["resource_policy:bucket policy statement PublicRead"]
    assert vpc["conditional"] is True and vpc["exposure_sentence"] == (
        "anyone on the internet can read cases, but only under a condition: "
        "bucket policy statement VpcRead (if aws:SourceVpce = vpce-1a2b)"
    )
    assert partner["principal"]["guest"] is True and partner["principal"]["type"] == "aws_account"
    assert partner["exposure_sentence"] == (
        "account Partner Ltd (999988887777), outside the organisation, can write to payroll"
    )
    assert payments["principal"]["guest"] is False and payments["exposure_intended"] is False


def test_exposure_now_and_on_a_past_day_and_for_one_store(
    synced: dict[str, str], capsys, monkeypatch
) -> None:
    now = json.loads(cli(capsys, monkeypatch, synced, "access", "--exposure", "--format", "json").stdout)
    # The public statements went on day 10.
    assert {r["exposure"] for r in now} == {"external", "other-account"}
    one = cli(
        capsys, monkeypatch, synced, "access", "--exposure", "--store", "benefit-claims",
        "--at", "2026-03-02", "--format", "json",
    )  # fmt: skip
    assert [(r["exposure"], r["principal"]["name"]) for r in json.loads(one.stdout)] == [
        ("public", "anyone on the internet"),
        ("other-account", "Payments (444455556666)"),
    ]
    missing = run_cli(capsys, monkeypatch, "access", "--exposure", "--store", "benefit-claimz", env=synced)
    assert missing.code == 1 and "benefit-claimz" in missing.stderr  # a typo is not "nothing exposed"


def test_the_exposure_table_is_the_page_a_dpo_reads(synced: dict[str, str], capsys, monkeypatch) -> None:
    table = cli(capsys, monkeypatch, synced, "access", "--exposure", "--at", "2026-03-02").stdout
    for header in ("exposure", "store", "who", "access", "through", "conditional", "intended", "owner"):
        assert header in table
    lines = [line for line in table.splitlines() if "│" in line]
    body = [line for line in lines if any(k in line for k in ("public", "external", "other-account"))]
    assert [next(k for k in ("public", "external", "other-account") if k in line) for line in body] == [
        "public",
        "public",
        "other-account",
        "external",
    ]
    assert "4 exposed grant(s): 2 public, 1 external, 1 other-account" in table
    assert "olu@dept.example.gov" in table


def test_exposure_csv_has_the_exposure_column(synced: dict[str, str], capsys, monkeypatch) -> None:
    text = cli(capsys, monkeypatch, synced, "access", "--exposure", "--at", "2026-03-02", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text.stdout)))
    assert [(r["exposure"], r["store_name"], r["principal_type"]) for r in rows] == [
        ("public", "benefit-claims", "public"),
        ("public", "cases", "public"),
        ("other-account", "benefit-claims", "aws_account"),
        ("external", "payroll", "aws_account"),
    ]
    assert rows[0]["exposure_sentence"] == "anyone on the internet can read benefit-claims"
    assert rows[0]["principal_id"] == "*" and rows[0]["email"] == ""


def test_plain_access_shows_what_each_principal_nobody_is_stands_for(
    synced: dict[str, str], capsys, monkeypatch
) -> None:
    table = cli(capsys, monkeypatch, synced, "access", "--store", "payroll").stdout
    assert "Partner Ltd (999988887777) (external account)" in table
    assert "cloudtrail.amazonaws.com (service)" in table
    assert "ana " in table and "ana (" not in table  # a person's account gets no label
    rows = json.loads(
        cli(capsys, monkeypatch, synced, "access", "--store", "payroll", "--format", "json").stdout
    )
    kinds = {r["principal"]["name"]: (r["principal"]["type"], r["exposure"]) for r in rows}
    assert kinds == {
        "ana": ("iam_user", None),
        "Partner Ltd (999988887777)": ("aws_account", "external"),
        "cloudtrail.amazonaws.com": ("aws_service", None),
    }
    past = cli(capsys, monkeypatch, synced, "access", "--store", "cases", "--at", "2026-03-02").stdout
    assert "anyone on the internet (public)" in past


def test_history_of_public_access_reads_as_sentences(synced: dict[str, str], capsys, monkeypatch) -> None:
    entries = json.loads(
        cli(capsys, monkeypatch, synced, "audit", "history", "--principal", "*", "--format", "json").stdout
    )
    assert [(e["event"], e["store"], e["exposure"], e["principal_type"]) for e in entries] == [
        ("granted", "benefit-claims", "public", "public"),
        ("granted", "cases", "public", "public"),
        ("access_ended", "cases", "public", "public"),  # in chain order: as the sync recorded them
        ("access_ended", "benefit-claims", "public", "public"),
    ]
    assert entries[0]["detail"] == (
        "anyone on the internet can read benefit-claims; through resource_policy:bucket policy statement "
        "PublicRead"
    )
    assert entries[0]["person"] is None and entries[0]["actor"] == "system:sync"
    as_csv = cli(capsys, monkeypatch, synced, "audit", "history", "--principal", "*", "--format", "csv")
    rows: list[dict[str, Any]] = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["exposure"] for r in rows] == ["public"] * 4 and rows[0]["principal_type"] == "public"
    table = cli(capsys, monkeypatch, synced, "audit", "history", "--store", "payroll").stdout
    assert "Partner Ltd (999988887777) (external)" in table and "cloudtrail.amazonaws.com (service)" in table


def test_a_principal_nobody_is_linked_to_a_person_fails_the_sync(engine: Engine) -> None:
    """Anyone on the internet is nobody's account: a connector that links it to a person is wrong, and the
    sync says so (recorded as failed) rather than letting that person "hold" public access."""
    linked = Principal(
        System.AWS, PrincipalType.PUBLIC, "*", ANYONE.name, person_email="ana@dept.example.gov"
    )
    snapshot = Snapshot(System.AWS, T0, (PAYROLL,), (linked,), (grant(PAYROLL, linked),), (person("ana"),))
    with pytest.raises(IncompleteSnapshot, match=r"\* \(public\) is nobody's identity"):
        sync_source("aws", lambda _tally: snapshot, engine=engine, clock=FrozenClock(T0), max_drop=None)
    with Session(engine) as session:
        (run,) = session.exec(select(SyncRun)).all()
        assert run.status == "failed" and "nobody's identity" in (run.error or "")
