"""Campaign evidence (TESTING.md "Evidence"): every exported item carries every evidence field in CSV, JSON
and HTML; the population is the frozen one, all of it or nothing; spreadsheets cannot run what a store name
or a justification says; the manifest's hashes and chain head are the files' and the chain's; the export
writes nothing; an unknown campaign writes nothing either.

One campaign, run through the real engine (tests/campaigns helpers, the fake provider): payroll (owner olu)
and a store named like a spreadsheet formula (owner pat). Pat keeps everything in one "keep all" click 20
seconds after the digest; olu decides one by one over a day, one keep and three revokes; olu's own access
goes to the fallback, who stays silent. Of the three revocations one is refused by the provider, one is
verified, one is verified and then undone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, select

from reviews import audit
from reviews.actors import Actor, Role, cli_operator
from reviews.campaigns.bulk import BulkMode, record_bulk
from reviews.campaigns.decide import record_decision
from reviews.campaigns.notify import advance_notifications
from reviews.clock import FrozenClock
from reviews.enforcement.outbox import undo
from reviews.entitlements import System
from reviews.errors import NotAuthorized, NotFound
from reviews.evidence.collect import EvidenceIncomplete, read_only_session
from reviews.evidence.export import ExportFormat, export_campaign
from reviews.evidence.model import columns
from reviews.evidence.render_csv import neutralise
from reviews.storage.models import Campaign, DecidedVia, DecisionOutcome, Person, ReviewItem, RevocationState
from tests.campaigns.test_enforce import LIVE, Loop
from tests.campaigns.test_sign_in_bound import READ, signed_in
from tests.campaigns.test_start import started
from tests.campaigns.world import FALLBACK, Department, RecordingNotifier, arn, email
from tests.fakes.provider import FakeConnector, FakeProvider
from tests.helpers import T0, CliResult, run_cli

PAYROLL, CASES = "arn:aws:s3:::payroll", "arn:aws:s3:::cases"
CASES_NAME = "@SUM(1+1)"  # a store name a spreadsheet would evaluate
EVE_NAME = "-1+1"  # and a principal name
JUSTIFY = '=HYPERLINK("http://evil.example/","click")'
DELIVERED = T0 + timedelta(hours=1)
ALL = list(ExportFormat)


@dataclass
class Scene:
    loop: Loop
    campaign_id: int

    @property
    def clock(self) -> FrozenClock:
        return self.loop.clock


def person_id(session: Session, name: str) -> int:
    person = session.exec(select(Person).where(Person.email == email(name))).one()
    assert person.id is not None
    return person.id


def item_id(session: Session, campaign_id: int, principal: str) -> int:
    items = session.exec(select(ReviewItem).where(ReviewItem.campaign_id == campaign_id)).all()
    (found,) = [i.id for i in items if i.frozen_grant["principal"]["name"] == principal]
    assert found is not None
    return found


def scene(session: Session, engine: Engine) -> Scene:
    clock = FrozenClock(T0)
    provider = FakeProvider(":memory:")
    provider.add_store(PAYROLL, name="payroll", owners=(email("olu"),))
    provider.add_store(CASES, name=CASES_NAME, owners=(email("pat"),))
    provider.add_group("g-payroll", store_provider_id=PAYROLL, name="payroll-read")
    provider.add_group("g-cases", store_provider_id=CASES, name="cases-read")
    recent, stale = T0 - timedelta(days=2), T0 - timedelta(days=200)
    for name, used, group in (
        ("ana", recent, "g-payroll"),
        ("ben", stale, "g-payroll"),
        ("cy", stale, "g-payroll"),
        ("dan", stale, "g-payroll"),
        ("olu", recent, "g-payroll"),
        ("dee", recent, "g-cases"),
        ("eve", stale, "g-cases"),
    ):
        provider.add_principal(
            arn(name), name=EVE_NAME if name == "eve" else name, email=email(name), last_used=used
        )
        provider.add_member(group, arn(name))
    loop = Loop(session, engine, clock, provider, FakeConnector(provider, clock=clock))
    loop.sync()
    campaign = loop.start(on_no_response="recommendation")
    assert campaign.id is not None
    campaign_id = campaign.id

    clock.advance(timedelta(hours=1))
    advance_notifications(session, RecordingNotifier(), clock=clock)  # olu, pat and the fallback reached
    session.commit()

    clock.advance(timedelta(seconds=20))
    pat = Actor("slack:pat", person_id(session, "pat"))
    record_bulk(
        engine,
        campaign_id=campaign_id,
        mode=BulkMode.KEEP_ALL,
        actor=pat,
        via=DecidedVia.SLACK,
        clock=clock,
        request_key="T1:keep-all",
    )
    olu = Actor("slack:olu", person_id(session, "olu"))
    for at, who, outcome, via, why in (
        (T0 + timedelta(hours=2), "ana", DecisionOutcome.KEEP, DecidedVia.SLACK, JUSTIFY),
        (T0 + timedelta(hours=3), "ben", DecisionOutcome.REVOKE, DecidedVia.CLI, "+1"),
        (T0 + timedelta(days=1), "cy", DecisionOutcome.REVOKE, DecidedVia.SLACK, None),
        (T0 + timedelta(days=1, seconds=30), "dan", DecisionOutcome.REVOKE, DecidedVia.SLACK, None),
    ):
        clock.advance(at - clock.now())
        record_decision(
            engine,
            item_id=item_id(session, campaign_id, who),
            outcome=outcome,
            actor=olu,
            via=via,
            clock=clock,
            justification=why,
        )
    session.expire_all()
    loop.close(session.get(Campaign, campaign_id) or campaign)
    loop.plan(session.get(Campaign, campaign_id) or campaign)
    loop.approve(campaign)
    provider.fail_next_revokes(1, "refused")
    loop.execute()
    loop.sync()  # the access is gone at the source: verified
    verified = [row for row in loop.outbox() if row.state == RevocationState.VERIFIED]
    assert verified and verified[0].id is not None
    undo(engine, verified[0].id, {"aws": loop.connector}, actor=cli_operator(), clock=clock, settings=LIVE)
    session.expire_all()
    return Scene(loop, campaign_id)


def export(engine: Engine, scene: Scene, out: Path, formats: list[ExportFormat] = ALL) -> None:
    export_campaign(
        engine, cli_operator(), scene.campaign_id, formats=formats, out_dir=out, clock=scene.clock
    )


def load_json(out: Path, campaign_id: int) -> dict:
    return json.loads((out / f"campaign-{campaign_id}-evidence.json").read_text(encoding="utf-8"))


def load_csv(out: Path, campaign_id: int) -> list[list[str]]:
    text = (out / f"campaign-{campaign_id}-evidence.csv").read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


class Cells(HTMLParser):
    """The rows of each <section id=…> of the report, as cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[list[str]]] = {}
        self.attributes: list[tuple[str, str, str | None]] = []  # (tag, attribute, value) of every tag
        self._section = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes += [(tag, name, value) for name, value in attrs]
        if tag == "section":
            self._section = dict(attrs).get("id") or ""
            self.sections[self._section] = []
        elif tag == "tr":
            self.sections.setdefault(self._section, []).append([])
        elif tag == "td":
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.sections[self._section][-1].append("".join(self._cell))
            self._cell = None


def parse_html(out: Path, campaign_id: int) -> tuple[str, Cells]:
    text = (out / f"campaign-{campaign_id}-evidence.html").read_text(encoding="utf-8")
    cells = Cells()
    cells.feed(text)
    return text, cells


# ── completeness ────────────────────────────────────────────────────────────────────────────────────────


def test_every_item_carries_every_evidence_field_in_json(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    world = scene(session, engine)
    export(engine, world, tmp_path)
    body = load_json(tmp_path, world.campaign_id)
    campaign = session.get(Campaign, world.campaign_id)
    assert campaign is not None
    assert body["campaign"]["population_count"] == campaign.population_count == 7
    assert body["campaign"]["population_sha256"] == campaign.population_sha256
    assert len(body["items"]) == campaign.population_count
    for item in body["items"]:
        assert set(item) == set(columns())
        assert item["campaign_id"] == world.campaign_id
        assert (item["cycle"], item["cycle_version"]) == ("quarterly", 1)
        assert (item["population_count"], item["population_sha256"]) == (7, campaign.population_sha256)
        for required in ("store_id", "store_name", "principal_id", "principal_name", "person", "access"):
            assert item[required], (required, item)
        assert item["path"] and item["path"][0].startswith("group:")
        assert item["recommendation"] in ("keep", "revoke") and item["recommendation_reason"]
        assert item["evidence_source"] == "fake-provider" and item["evidence_last_used_at"]
        assert item["reviewer"] and item["stage"] == 1
        assert item["delivery_status"] == "delivered" and item["delivered_at"] == DELIVERED.isoformat()
    by_name = {item["principal_name"]: item for item in body["items"]}
    ana = by_name["ana"]
    assert (ana["decision"], ana["justification"], ana["decided_via"]) == ("keep", JUSTIFY, "slack")
    assert ana["decided_by"] == email("olu") and ana["reviewer"] == email("olu")
    assert ana["decided_at"] == (T0 + timedelta(hours=2)).isoformat()
    assert ana["revocation_state"] is None
    assert (by_name["ben"]["decided_via"], by_name["ben"]["justification"]) == ("cli", "+1")
    assert by_name[EVE_NAME]["store_name"] == CASES_NAME and by_name[EVE_NAME]["decision"] == "keep"
    assert by_name[EVE_NAME]["decision_history"][0]["bulk"] == "keep_all"
    own = by_name["olu"]  # olu's own access went to the fallback, who said nothing: the policy decided
    assert own["reviewer"] == FALLBACK and own["decided_via"] == "policy"
    assert own["decided_by"] == "policy:quarterly"
    fates = sorted(by_name[n]["revocation_state"] for n in ("ben", "cy", "dan"))
    assert fates == ["failed_permanent", "undone", "verified"]
    for name in ("ben", "cy", "dan"):
        row = by_name[name]
        assert row["decision"] == "revoke" and row["revocation_dry_run"] is False
        if row["revocation_state"] in ("verified", "undone"):
            assert row["applied_at"] and row["verified_at"]
        if row["revocation_state"] == "undone":
            assert row["undone_at"]
        if row["revocation_state"] == "failed_permanent":
            assert row["revocation_error"] and row["applied_at"] is None
    assert body["audit_head"] == str(audit.head(session))


def test_every_item_carries_every_evidence_field_in_csv_and_html(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    world = scene(session, engine)
    export(engine, world, tmp_path)
    items = {item["item_id"]: item for item in load_json(tmp_path, world.campaign_id)["items"]}
    header, *rows = load_csv(tmp_path, world.campaign_id)
    assert header == columns()
    assert len(rows) == len(items) == 7
    for values in rows:
        assert len(values) == len(header)
        row = dict(zip(header, values, strict=True))
        item = items[int(row["item_id"])]
        for name in ("campaign_id", "cycle_version", "population_count", "population_sha256", "store_id",
                     "principal_id", "access", "reviewer", "stage", "status", "delivery_status"):  # fmt: skip
            assert row[name] == str(item[name]), name
        for name in ("decision", "decided_at", "decided_via", "decided_by", "revocation_state", "applied_at",
                     "verified_at", "undone_at", "evidence_source", "evidence_last_used_at"):  # fmt: skip
            assert row[name] == (item[name] or ""), name
        assert row["path"] == " > ".join(item["path"])
        assert row["decision_history"].startswith("stage 1 ")
    _text, cells = parse_html(tmp_path, world.campaign_id)
    table = {int(r[0]): r for r in cells.sections["items"] if r}
    decided = {int(r[0]): r for r in cells.sections["decisions"] if r}
    assert set(table) == set(decided) == set(items)
    for key, item in items.items():
        store, principal = table[key][1], table[key][2]
        assert (store, principal) == (item["store_name"], item["principal_name"])
        assert decided[key][1] == item["principal_name"]
        assert (decided[key][2], decided[key][6]) == (item["reviewer"], item["decision"] or "–")
        assert decided[key][8] == (item["decided_by"] or "–")


def test_the_export_is_the_frozen_population_or_nothing(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    world = scene(session, engine)
    campaign = session.get(Campaign, world.campaign_id)
    assert campaign is not None
    campaign.population_count += 1  # an item row lost, or a count rewritten: either way it does not add up
    session.add(campaign)
    session.commit()
    with pytest.raises(EvidenceIncomplete, match="froze 8 grants but has 7 review items"):
        export(engine, world, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    campaign.population_count -= 1
    item = session.get(ReviewItem, item_id(session, world.campaign_id, "ana"))
    assert item is not None
    item.frozen_grant = {**item.frozen_grant, "access": "admin"}  # the frozen copy edited afterwards
    session.add_all([campaign, item])
    session.commit()
    with pytest.raises(EvidenceIncomplete, match="hash to"):
        export(engine, world, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# ── spreadsheet safety ──────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "cell", [JUSTIFY, "+1", "-1+1", "@SUM(1+1)", "\tnote", "\r=1+1", "  =1+1", "=cmd|' /C calc'!A0"]
)
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["payroll", "arn:aws:s3:::x", "2026-03-01T09:00:00+00:00", "", "a=b", "1-2"])
def test_ordinary_cells_are_left_alone(cell: str) -> None:
    assert neutralise(cell) == cell


def test_csv_cells_cannot_be_read_as_formulas_and_the_file_round_trips(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    world = scene(session, engine)
    export(engine, world, tmp_path, [ExportFormat.CSV])
    header, *rows = load_csv(tmp_path, world.campaign_id)
    records = [dict(zip(header, values, strict=True)) for values in rows]
    assert all(len(values) == len(header) for values in rows)
    for record in records:
        for value in record.values():
            assert not value.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), value
    by_name = {r["principal_name"]: r for r in records}
    assert by_name["ana"]["justification"] == "'" + JUSTIFY
    assert by_name["ben"]["justification"] == "'+1"
    assert "'" + EVE_NAME in by_name
    assert by_name["'" + EVE_NAME]["store_name"] == "'" + CASES_NAME
    assert by_name["ana"]["store_name"] == "payroll"  # ordinary cells are written as stored


# ── manifest, read-only, self-contained report ──────────────────────────────────────────────────────────


def test_the_manifest_hashes_the_files_and_names_the_chain_head(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    world = scene(session, engine)
    head, out = audit.head(session), tmp_path / "out"
    export(engine, world, out)
    manifest = json.loads((out / f"campaign-{world.campaign_id}-manifest.json").read_text())
    assert manifest["audit_head"] == str(head) == f"{head.seq}:{head.hash}"
    assert manifest["campaign_id"] == world.campaign_id and manifest["population_count"] == 7
    assert [f["name"].removeprefix(f"campaign-{world.campaign_id}-") for f in manifest["files"]] == [
        "evidence.csv",
        "history.csv",  # the campaign's audit events, told one by one
        "evidence.json",
        "evidence.html",
    ]
    for entry in manifest["files"]:
        data = (out / entry["name"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data)
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(
        [*(f["name"] for f in manifest["files"]), f"campaign-{world.campaign_id}-manifest.json"]
    )


def row_counts(session: Session) -> dict[str, int]:
    return {
        name: session.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in SQLModel.metadata.tables.items()
    }


def test_the_export_writes_nothing_to_the_database(engine: Engine, session: Session, tmp_path: Path) -> None:
    world = scene(session, engine)
    before, head = row_counts(session), audit.head(session)
    export(engine, world, tmp_path)
    session.expire_all()
    assert row_counts(session) == before
    assert audit.head(session) == head
    audit.verify(session)
    # The connection it used went back to the pool writable: the next use case can write.
    with Session(engine) as other:
        other.add(Person(email="after@dept.example.gov", first_seen_at=T0, updated_at=T0))
        other.commit()


def test_the_read_is_read_only_at_the_database_and_leaves_the_pool_writable(engine: Engine) -> None:
    with pytest.raises(DBAPIError), read_only_session(engine) as session:
        session.add(Person(email="auditor@dept.example.gov", first_seen_at=T0, updated_at=T0))
        session.flush()
    with Session(engine) as session:
        session.add(Person(email="admin@dept.example.gov", first_seen_at=T0, updated_at=T0))
        session.commit()
        assert session.exec(select(func.count()).select_from(Person)).one() == 1


def test_only_auditors_and_admins_export(engine: Engine, session: Session, tmp_path: Path) -> None:
    world = scene(session, engine)
    auditor = Actor("slack:aud", roles=frozenset({Role.AUDITOR}))
    export_campaign(
        engine, auditor, world.campaign_id, formats=ALL, out_dir=tmp_path / "a", clock=world.clock
    )
    assert len(list((tmp_path / "a").iterdir())) == 5  # csv (items, history), json, html, manifest
    with pytest.raises(NotAuthorized, match="auditor"):
        export_campaign(
            engine,
            Actor("slack:olu", 1),
            world.campaign_id,
            formats=ALL,
            out_dir=tmp_path / "b",
            clock=world.clock,
        )
    assert not (tmp_path / "b").exists()


def test_the_html_report_is_self_contained(engine: Engine, session: Session, tmp_path: Path) -> None:
    world = scene(session, engine)
    export(engine, world, tmp_path, [ExportFormat.HTML])
    text, cells = parse_html(tmp_path, world.campaign_id)
    assert not [
        (t, a, v) for t, a, v in cells.attributes if a in ("src", "href", "srcset", "action", "xmlns")
    ]
    assert not re.search(r"<(script|link|iframe|object|embed|img)\b", text, re.IGNORECASE)
    assert not re.search(r"url\(|@import", text, re.IGNORECASE)
    assert "http://evil.example/" not in text.replace("&quot;http://evil.example/&quot;", "")  # only as text
    assert not re.search(r"https?://", text.replace("&quot;http://evil.example/&quot;", ""))
    assert "<svg" in text and "<style>" in text
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    for section in ("legend", "completion", "stores", "escalations", "revocations", "reviewers", "items",
                    "decisions", "sign-off"):  # fmt: skip
        assert section in cells.sections, section
    stores = {r[0]: r for r in cells.sections["stores"] if r}
    # Outcomes (reviews.outcomes), in the legend's order: kept, revoked, failed, undone are the ones present.
    assert stores["kept"][1] == "4" and stores["revoked"][1] == "1"  # the totals: "revoked" is gone only
    assert stores[CASES_NAME][2:] == ["2", "0", "0", "0"]  # kept, revoked, failed, undone
    assert stores["payroll"][2:] == ["2", "1", "1", "1"]
    revoked = [r for r in cells.sections["revocations"] if r]
    assert sorted((r[4], r[5]) for r in revoked) == [
        ("failed", "failed_permanent"),
        ("revoked", "verified"),
        ("undone", "undone"),
    ]


# ── the command ─────────────────────────────────────────────────────────────────────────────────────────


def test_the_command_writes_all_formats_and_a_manifest_and_prints_them(
    engine: Engine, session: Session, database_url: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    world = scene(session, engine)
    out = tmp_path / "evidence"
    env = {"RECERTIFY_DATABASE_URL": database_url}
    result = run_cli(
        capsys,
        monkeypatch,
        "audit",
        "export",
        str(world.campaign_id),
        "--format",
        "all",
        "--out",
        str(out),
        env=env,
    )
    assert result.code == 0, result.stderr
    names = [f"campaign-{world.campaign_id}-evidence.{ext}" for ext in ("csv", "json", "html")]
    names += [f"campaign-{world.campaign_id}-history.csv", f"campaign-{world.campaign_id}-manifest.json"]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    for name in names:
        assert name in result.stdout
    assert str(audit.head(session)) in result.stdout
    again = run_cli(
        capsys, monkeypatch, "audit", "export", str(world.campaign_id), "--format", "csv", "--format", "json",
        "--out", str(tmp_path / "two"), "--keep-all-within", "10", env=env,
    )  # fmt: skip
    assert again.code == 0, again.stderr
    assert sorted(p.suffix for p in (tmp_path / "two").iterdir()) == [".csv", ".csv", ".json", ".json"]
    quality = load_json(tmp_path / "two", world.campaign_id)["reviewer_quality"]
    assert quality["keep_all_within_seconds"] == 10


def test_an_unknown_campaign_is_refused_and_nothing_is_written(
    engine: Engine, database_url: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    out = tmp_path / "evidence"
    out.mkdir()
    env = {"RECERTIFY_DATABASE_URL": database_url}
    result = run_cli(
        capsys, monkeypatch, "audit", "export", "999", "--format", "all", "--out", str(out), env=env
    )
    assert result.code == 1
    assert result.stderr.startswith("error: campaign 999 does not exist")
    assert list(out.iterdir()) == []
    with pytest.raises(NotFound):
        export_campaign(
            engine, cli_operator(), 999, formats=ALL, out_dir=tmp_path / "nothing", clock=FrozenClock(T0)
        )
    assert not (tmp_path / "nothing").exists()


def test_a_sign_in_bound_is_exported_as_a_last_sign_in_never_as_a_use(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    """Entra memberships have no measured use; the holder's last sign-in bounded it, and every format says
    so: the bound and the sign-in time in their own columns, "last sign-in" (not "last used") in HTML."""
    clock = FrozenClock(T0)
    (
        Department(system=System.ENTRA)
        .store("benefit-claims", "olu")
        .user("olu", sign_in=signed_in(1))
        .user("ida", created=T0 - timedelta(days=400), sign_in=signed_in(200))
        .user("nia", created=T0 - timedelta(days=400), sign_in=signed_in(None))
        .grant("ida", "benefit-claims")
        .grant("nia", "benefit-claims")
        .sync(session, clock)
    )
    campaign = started(session, clock)
    assert campaign.id is not None
    export_campaign(engine, cli_operator(), campaign.id, formats=ALL, out_dir=tmp_path, clock=clock)
    items = {item["principal_name"]: item for item in load_json(tmp_path, campaign.id)["items"]}
    idle, never = items["ida"], items["nia"]
    assert (idle["recommendation"], idle["evidence_source"]) == ("revoke", "entra:signInActivity")
    assert idle["evidence_bound"] == "last_sign_in" and idle["evidence_last_used_at"] is None
    assert idle["evidence_last_sign_in_at"] == (T0 - timedelta(days=200)).isoformat()
    assert idle["evidence_observed_until"] == READ.isoformat()  # the bound holds up to the read
    assert never["evidence_bound"] == "last_sign_in" and never["evidence_last_sign_in_at"] is None
    header, *rows = load_csv(tmp_path, campaign.id)
    csv_rows = {row[header.index("principal_name")]: dict(zip(header, row, strict=True)) for row in rows}
    assert csv_rows["ida"]["evidence_bound"] == "last_sign_in"
    assert csv_rows["ida"]["evidence_last_sign_in_at"] == idle["evidence_last_sign_in_at"]
    assert csv_rows["ida"]["evidence_observed_until"] == READ.isoformat()
    assert csv_rows["ida"]["evidence_last_used_at"] == ""
    _text, cells = parse_html(tmp_path, campaign.id)
    evidence = {row[2]: row[7] for row in cells.sections["items"] if row}
    assert evidence["ida"] == (
        f"entra:signInActivity; use not measured; last sign-in {idle['evidence_last_sign_in_at']}"
        f" as of {READ.isoformat()} (an upper bound on use)"
    )
    assert "last sign-in never" in evidence["nia"] and "last used" not in evidence["nia"]


def test_an_export_keeps_the_earlier_files_of_the_set_in_the_manifest_while_they_match_their_hash(
    engine: Engine, session: Session, database_url: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    world = scene(session, engine)
    out, env = tmp_path / "evidence", {"RECERTIFY_DATABASE_URL": database_url}
    name = f"campaign-{world.campaign_id}"

    def export_as(*formats: str) -> tuple[CliResult, dict[str, Any]]:
        options = [part for fmt in formats for part in ("--format", fmt)]
        result = run_cli(
            capsys,
            monkeypatch,
            "audit",
            "export",
            str(world.campaign_id),
            *options,
            "--out",
            str(out),
            env=env,
        )
        assert result.code == 0, result.stderr
        return result, json.loads((out / f"{name}-manifest.json").read_text())

    _, first = export_as("all")
    result, second = export_as("html")
    assert [f["name"] for f in second["files"]] == [
        f"{name}-evidence.csv",
        f"{name}-history.csv",
        f"{name}-evidence.json",
        f"{name}-evidence.html",
    ]
    for entry in second["files"]:
        data = (out / entry["name"]).read_bytes()
        assert (entry["sha256"], entry["bytes"]) == (hashlib.sha256(data).hexdigest(), len(data))
    assert [f["exported_at"] for f in second["files"]] == [first["exported_at"]] * 3 + [second["exported_at"]]
    assert second["format"] == "recertify.evidence-manifest/2"
    assert f"{name}-evidence.csv  sha256 {first['files'][0]['sha256']}" in result.stdout
    assert "(kept from the export of " in result.stdout and result.stderr == ""

    with (out / f"{name}-evidence.csv").open("a") as csv_file:  # edited by hand after the export
        csv_file.write("tampered\n")
    (out / f"{name}-evidence.html").unlink()
    result, third = export_as("json")
    assert [f["name"] for f in third["files"]] == [f"{name}-history.csv", f"{name}-evidence.json"]
    assert result.stderr == (
        f"note: {name}-evidence.csv changed since it was exported (its hash differs): no longer listed\n"
        f"note: {name}-evidence.html is listed by the earlier manifest but is gone: no longer listed\n"
    )
