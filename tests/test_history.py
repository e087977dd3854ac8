"""`recertify audit history` and the query behind it (and behind `/recertify history`): one timeline of
granted, reviewed, decided, revoked, verified, ended and granted again, filtered and refused as it should."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.actors import Actor, Role, cli_operator
from reviews.errors import NotAuthorized, NotFound
from reviews.queries.history import HistoryEntry, HistoryFilter, history
from reviews.storage.models import (
    AuditEvent,
    DecidedVia,
    Decision,
    DecisionOutcome,
    Person,
    SyncRun,
    SyncStatus,
)
from tests.campaigns.test_enforce import READERS, Loop, arn
from tests.campaigns.world import email
from tests.helpers import run_cli

AUDITOR = Actor("slack:UAUDIT", roles=frozenset({Role.AUDITOR}))


def events(entries: list[HistoryEntry], principal: str = "u00") -> list[str]:
    return [e.event for e in entries if e.principal == principal]


@pytest.fixture
def revoked_then_regranted(engine: Engine, session: Session) -> Loop:
    """u00 reads payroll through payroll-read; a campaign revokes it (silence, inactive for 200 days), the
    revocation is verified and the next sync sees it gone; a day later someone grants it again."""
    loop = Loop.with_readers(session, engine, 1)
    loop.planned_and_approved()
    loop.execute()
    loop.clock.advance(timedelta(hours=1))
    loop.sync()
    loop.clock.advance(timedelta(days=1))
    loop.provider.add_member(READERS, arn("u00"))
    loop.sync()
    return loop


def test_a_person_s_history_runs_from_grant_to_revocation_to_the_grant_again(
    revoked_then_regranted: Loop, session: Session
) -> None:
    entries = history(session, AUDITOR, HistoryFilter(person=email("u00")))
    # The fixture marks the items delivered, reminded and escalated in the table only, so that silence may
    # revoke: the chain recorded no message, and history tells none.
    assert events(entries) == [
        "granted",
        "review_opened",
        "decided",
        "revocation_planned",
        "revocation_approved",
        "revocation_claimed",
        "revocation_applied",
        "revocation_read_back",  # the change is in place…
        "access_ended",  # …the next sync no longer finds the access…
        "revocation_verified",  # …so the revocation is verified
        "granted",
        "granted_again",  # flagged: access Recertify revoked came back
    ]
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)  # chain order
    assert {e.principal for e in entries} == {"u00"}  # nobody else's access
    decided = next(e for e in entries if e.event == "decided")
    assert decided.actor == "policy:quarterly" and decided.detail.startswith("revoke via policy")
    rules = {d.context.get("reason") for d in session.exec(select(Decision)).all() if d.via == "policy"}
    assert any(r and decided.detail.endswith(f": {r}") for r in rules)  # the rule applied, as recorded
    approved = next(e for e in entries if e.event == "revocation_approved")
    assert approved.actor == cli_operator().id
    assert approved.detail == "approved from planned"  # never held: not "it was held …"
    assert decided.campaign is not None and decided.item is not None
    assert next(e for e in entries if e.event == "revocation_applied").detail.startswith(
        "applied (live): remove"
    )
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    granted = [e for e in entries if e.event == "granted"]
    assert granted[0].detail == "group:payroll-read" and granted[1].at > granted[0].at


def test_filters_by_store_principal_campaign_and_time(revoked_then_regranted: Loop, session: Session) -> None:
    loop = revoked_then_regranted
    by_store = history(session, AUDITOR, HistoryFilter(store="payroll"))
    assert {e.principal for e in by_store} == {"olu", "break-glass-1", "u00"}
    by_arn = history(session, AUDITOR, HistoryFilter(store="arn:aws:s3:::payroll", principal=arn("u00")))
    assert by_arn == [e for e in by_store if e.principal == "u00"]
    campaign = next(e.campaign for e in by_store if e.campaign is not None)
    in_campaign = history(session, AUDITOR, HistoryFilter(campaign=campaign, principal="u00"))
    assert events(in_campaign) == [
        "granted",  # the grant that campaign reviewed, not the later one
        "review_opened",
        "decided",
        "revocation_planned",
        "revocation_approved",
        "revocation_claimed",
        "revocation_applied",
        "revocation_read_back",
        "access_ended",
        "revocation_verified",
    ]
    since = loop.clock.now() - timedelta(hours=1)
    assert events(history(session, AUDITOR, HistoryFilter(person=email("u00"), since=since))) == [
        "granted",
        "granted_again",
    ]
    until = next(e.at for e in by_store if e.event == "access_ended")
    # Before the sync that saw the access gone, the revocation was read back, not yet verified.
    assert events(history(session, AUDITOR, HistoryFilter(principal="u00", until=until)))[-2:] == [
        "revocation_applied",
        "revocation_read_back",
    ]


def test_a_reviewer_s_keep_shows_who_decided_how_and_why(engine: Engine, session: Session) -> None:
    loop = Loop.with_readers(session, engine, 1)
    campaign = loop.start()
    loop.owner_decides(
        campaign,
        "u00",
        DecisionOutcome.KEEP,
        '=HYPERLINK("http://evil") needed for payroll runs',
        via=DecidedVia.SLACK,
    )
    (decided,) = [
        e for e in history(session, AUDITOR, HistoryFilter(principal="u00")) if e.event == "decided"
    ]
    assert decided.actor == email("olu")
    assert decided.detail == 'keep via slack, stage 1: =HYPERLINK("http://evil") needed for payroll runs'


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (HistoryFilter(store="nope"), "no store has the id or name 'nope'"),
        (HistoryFilter(store="payroll' OR '1'='1"), "no store has the id or name \"payroll' OR '1'='1\""),
        (HistoryFilter(principal="x'; DROP TABLE person; --"), "no principal"),
        (HistoryFilter(person="%@%"), "no person has the email '%@%'"),
        (HistoryFilter(campaign=999), "no campaign 999"),
    ],
)
def test_a_filter_that_names_nothing_is_an_error_and_is_only_ever_text(
    engine: Engine, session: Session, where: HistoryFilter, message: str
) -> None:
    Loop.with_readers(session, engine, 1)
    with pytest.raises(NotFound, match=message.replace("(", r"\(").replace(")", r"\)").replace("'1'", ".1.")):
        history(session, AUDITOR, where)
    assert session.exec(select(Person)).first() is not None  # the table is still there


def test_only_auditors_and_admins_read_history(engine: Engine, session: Session) -> None:
    Loop.with_readers(session, engine, 1)
    with pytest.raises(NotAuthorized, match="only auditors and admins"):
        history(session, Actor("slack:UNOBODY", person_id=1), HistoryFilter(store="payroll"))
    assert history(session, cli_operator(), HistoryFilter(store="payroll"))


def test_the_cli_prints_json_and_csv_and_refuses_an_unknown_store(
    revoked_then_regranted: Loop,
    session: Session,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = revoked_then_regranted
    campaign = loop.start(name="after-the-regrant")
    loop.owner_decides(campaign, "u00", DecisionOutcome.KEEP, "fine", via=DecidedVia.CLI)
    env = {"RECERTIFY_DATABASE_URL": database_url}
    result = run_cli(
        capsys, monkeypatch, "audit", "history", "--person", email("u00"), "--format", "json", env=env
    )
    assert result.code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["event"] for r in rows][-4:] == ["granted", "granted_again", "review_opened", "decided"]
    assert rows[-1]["actor"] == email("olu") and rows[-1]["detail"] == "keep via cli, stage 1: fine"
    result = run_cli(
        capsys, monkeypatch, "audit", "history", "--store", "payroll", "--format", "csv", env=env
    )
    assert result.code == 0, result.stderr
    table = list(csv.reader(io.StringIO(result.stdout)))
    assert table[0][:4] == ["seq", "at", "event", "store_id"]
    assert len(table) == 1 + len(history(session, AUDITOR, HistoryFilter(store="payroll")))
    result = run_cli(capsys, monkeypatch, "audit", "history", "--store", "nope", env=env)
    assert result.code != 0 and "no store has the id or name 'nope'" in result.stderr


@pytest.mark.parametrize(
    ("at", "u00_could_read"),
    [
        ("2026-03-10", True),  # the first grant
        ("2026-03-16T12:00:00+00:00", False),  # revoked, verified, and the sync agreed
        ("2026-03-17", True),  # the whole day: granted again at 10:00
        ("2026-03-17T09:59:00", False),  # an instant (UTC) before the re-grant
        ("2026-03-17T10:00:00Z", True),
    ],
)
def test_who_could_read_at_a_past_moment_across_grant_revoke_and_re_grant(
    revoked_then_regranted: Loop,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    at: str,
    u00_could_read: bool,
) -> None:
    env = {"RECERTIFY_DATABASE_URL": database_url}
    result = run_cli(
        capsys, monkeypatch, "access", "--store", "payroll", "--at", at, "--format", "json", env=env
    )
    assert result.code == 0, result.stderr
    readers = {row["principal"]["name"] for row in json.loads(result.stdout) if row["access"] == "read"}
    assert ("u00" in readers) is u00_could_read
    assert readers <= {"olu", "break-glass-1", "u00"}


def test_access_before_the_first_sync_or_in_the_future_is_an_error_that_says_why(
    revoked_then_regranted: Loop,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {"RECERTIFY_DATABASE_URL": database_url}
    before = run_cli(capsys, monkeypatch, "access", "--store", "payroll", "--at", "2026-02-01", env=env)
    assert (before.code, before.stdout) == (2, "")
    assert before.stderr == (
        "error: at '2026-02-01' is before the first sync (it finished 2026-03-01 09:00:00 UTC): "
        "access before then was never recorded\n"
    )
    future = run_cli(capsys, monkeypatch, "access", "--at", "2999-01-01", env=env)
    assert (future.code, future.stdout) == (2, "")
    assert future.stderr.startswith("error: at '2999-01-01' is in the future (it is now ")
    assert future.stderr.endswith(" UTC): access is known up to now\n")
    assert run_cli(capsys, monkeypatch, "access", "--at", "2026-03-01", env=env).code == 0  # the first day


def test_access_before_any_sync_is_an_error_not_an_empty_table(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"RECERTIFY_DATABASE_URL": database_url}
    assert run_cli(capsys, monkeypatch, "db", "upgrade", env=env).code == 0
    for args in ([], ["--at", "2026-03-01"], ["--format", "json"]):
        result = run_cli(capsys, monkeypatch, "access", *args, env=env)
        assert (result.code, result.stdout) == (1, ""), result.stderr
        assert result.stderr == (
            "error: no sync has been applied yet: nobody's access is known before `recertify sync` has run\n"
        )


def test_an_inverted_or_future_history_window_is_an_error_not_zero_events(
    revoked_then_regranted: Loop,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {"RECERTIFY_DATABASE_URL": database_url}
    history_of = ("audit", "history", "--store", "payroll")
    inverted = run_cli(
        capsys, monkeypatch, *history_of, "--since", "2026-03-10", "--until", "2026-03-09", env=env
    )
    assert (inverted.code, inverted.stdout) == (2, "")
    assert (
        inverted.stderr
        == "error: since '2026-03-10' is after until '2026-03-09': no moment is in that range\n"
    )
    future = run_cli(capsys, monkeypatch, *history_of, "--since", "2999-01-01", env=env)
    assert future.code == 2 and future.stderr.startswith("error: since '2999-01-01' is in the future")
    bad = run_cli(capsys, monkeypatch, *history_of, "--until", "soon", env=env)
    assert (bad.code, bad.stderr) == (2, "error: until 'soon': expected YYYY-MM-DD or an ISO 8601 time\n")
    one_day = run_cli(
        capsys, monkeypatch, *history_of, "--since", "2026-03-01", "--until", "2026-03-01", env=env
    )
    assert one_day.code == 0 and one_day.stdout.splitlines()[-1] != "0 events"  # until is inclusive


def test_what_one_reviewer_was_asked_and_decided_and_what_one_actor_did(
    revoked_then_regranted: Loop,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = revoked_then_regranted
    campaign = loop.start(name="after-the-regrant")
    loop.owner_decides(campaign, "u00", DecisionOutcome.KEEP, "fine", via=DecidedVia.CLI)
    env = {"RECERTIFY_DATABASE_URL": database_url}

    def rows(*args: str) -> list[dict[str, str]]:
        result = run_cli(capsys, monkeypatch, "audit", "history", *args, "--format", "json", env=env)
        assert result.code == 0, result.stderr
        return json.loads(result.stdout)

    asked = rows("--reviewer", email("olu"))
    assert [(r["event"], r["item"], r["actor"]) for r in asked] == [
        ("review_opened", 1, "cli:root"),  # break-glass-1's item: olu was asked when the campaign started…
        ("review_opened", 4, "cli:root"),
        ("closed_without_decision", 1, "policy:quarterly"),  # …nobody answered: left unchanged…
        ("decided", 4, "policy:quarterly"),  # …or decided by the cycle's policy
        ("revocation_planned", 4, "system:planner"),
        ("review_opened", 5, "cli:root"),
        ("review_opened", 7, "cli:root"),
        ("decided", 7, email("olu")),  # olu kept u00's access
    ]
    assert {r["detail"] for r in asked if r["event"] == "review_opened"} >= {
        "reviewer olu@dept.example.gov (owner); recommendation revoke (not used for 200 days (limit 90))"
    }
    assert rows("--reviewer", email("u00")) == []  # a person who was never asked anything
    by_olu = rows("--actor", email("olu").upper())
    assert [(r["event"], r["item"], r["detail"]) for r in by_olu] == [
        ("decided", 7, "keep via cli, stage 1: fine")
    ]
    assert {r["actor"] for r in rows("--actor", "sync")} == {"system:sync"}
    unknown = run_cli(capsys, monkeypatch, "audit", "history", "--reviewer", "nobody@x.example", env=env)
    assert (unknown.code, unknown.stderr) == (1, "error: no person has the email 'nobody@x.example'\n")
    typo = run_cli(capsys, monkeypatch, "audit", "history", "--actor", "polcy", env=env)
    assert typo.code == 1 and typo.stdout == ""
    assert typo.stderr.startswith("error: no event has the actor 'polcy' (actors here: ")


def test_a_table_piped_to_another_program_is_never_cut_or_wrapped(
    revoked_then_regranted: Loop,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Standard output is not a terminal here, as in `recertify audit history | grep`: whatever COLUMNS says,
    each row is one whole line."""
    env = {"RECERTIFY_DATABASE_URL": database_url, "COLUMNS": "40"}
    result = run_cli(capsys, monkeypatch, "audit", "history", "--principal", "u00", env=env)
    assert result.code == 0, result.stderr
    (verified,) = [line for line in result.stdout.splitlines() if "revocation_verified" in line]
    assert "payroll" in verified and "u00" in verified and "the access is gone at the source" in verified
    assert "…" not in result.stdout
    access = run_cli(capsys, monkeypatch, "access", "--store", "payroll", "--at", "2026-03-10", env=env)
    assert any("u00" in line and "group:payroll-read" in line for line in access.stdout.splitlines())


def test_an_answer_from_before_a_source_s_first_sync_says_that_source_is_missing(
    revoked_then_regranted: Loop,
    session: Session,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    later = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
    session.add(SyncRun(source="entra", started_at=later, finished_at=later, status=SyncStatus.SUCCEEDED))
    session.commit()
    env = {"RECERTIFY_DATABASE_URL": database_url}
    result = run_cli(capsys, monkeypatch, "access", "--store", "payroll", "--at", "2026-03-10", env=env)
    assert result.code == 0 and "u00" in result.stdout
    assert result.stderr == (
        "note: entra was first synced 2026-03-20 08:00:00 UTC: its access is not in this answer\n"
    )
    assert run_cli(capsys, monkeypatch, "access", "--at", "2026-03-21", env=env).stderr == ""


def test_a_chain_written_before_items_were_recorded_is_told_as_far_as_it_recorded(
    engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A campaign started by an older version: no `item.opened` events. Its items' reviews open with the
    campaign's start, naming no reviewer (the item row's reviewer now may be a later one)."""
    monkeypatch.setattr("reviews.campaigns.start._opened_events", lambda *_args: [])
    loop = Loop.with_readers(session, engine, 1)
    campaign = loop.start()
    entries = history(session, AUDITOR, HistoryFilter(campaign=campaign.id))
    opened = [e for e in entries if e.event == "review_opened"]
    assert sorted(e.item for e in opened) == sorted(i.id for i in loop.items(campaign))
    started = session.exec(select(AuditEvent).where(AuditEvent.kind == "campaign.started")).one()
    assert {(e.seq, e.actor, e.detail) for e in opened} == {
        (started.seq, "cli:root", "the campaign started (its reviewer was not recorded per item)")
    }


def test_an_event_whose_payload_is_not_what_its_kind_records_is_shown_raw_not_dropped() -> None:
    from reviews.queries.history_events import tell

    def names(person: object) -> str:
        return str(person)

    event, detail = tell("grant.opened", {"principal": "p", "path": 5}, names)
    assert event == "grant_opened" and detail.startswith("(not told in words: ")
    assert detail.endswith('{"path": 5, "principal": "p"}')
    assert tell("grant.opened", ["a", "list"], names) == (
        "grant_opened",
        "(payload is not an object: ['a', 'list'])",
    )
    assert tell("something.new", {"k": 1}, names) == ("something_new", '{"k": 1}')  # a kind with no words yet
