"""The HTML evidence report as a person reads and prints it (TESTING.md "Evidence"), in a real browser:
headless Chromium from Debian's packages (tests/evidence/browser.py; never skipped: without it these fail,
saying what to install).

Printed to PDF, every item's decider and decision time is in the PDF's text, on landscape pages; in a window
1280 px wide no table cell ends past the right edge. Without a browser: the legend explains every status and
revocation state, escalations say when, from whom (where recorded) and to whom, the sign-off has its blanks
and the audit head, and an unknown observation window is said in words.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews import audit
from reviews.actors import Actor, cli_operator
from reviews.campaigns.close import close_campaign
from reviews.campaigns.decide import record_decision
from reviews.clock import FrozenClock
from reviews.evidence.export import ExportFormat, export_campaign
from reviews.outcomes import Outcome
from reviews.storage.models import (
    DecidedVia,
    DecisionOutcome,
    ItemStatus,
    Person,
    ReviewItem,
    RevocationState,
)
from tests.campaigns.test_notify_close import setup, tick
from tests.campaigns.world import FALLBACK, RecordingNotifier, email
from tests.evidence import browser
from tests.evidence.test_export import export, load_json, parse_html, scene
from tests.helpers import T0

WHEN = "%Y-%m-%d %H:%M:%S UTC"  # how the report writes a time
SILENT = "the reviewer decided nothing within 5 days of delivery"


def html_file(out: Path, campaign_id: int) -> Path:
    return out / f"campaign-{campaign_id}-evidence.html"


def compact(text: str) -> str:
    """Text without whitespace (a cell that wraps onto two lines still reads as one value) and without the
    font's ligatures ("ﬁ" for "fi")."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


class Body(HTMLParser):
    """The attributes of <body> in a dumped DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.attributes: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.attributes = dict(attrs)


# ── in a browser ────────────────────────────────────────────────────────────────────────────────────────


def test_the_printed_report_holds_every_items_decider_and_decision_time(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    world = scene(session, engine)
    export(engine, world, tmp_path, [ExportFormat.HTML, ExportFormat.JSON])
    items = load_json(tmp_path, world.campaign_id)["items"]
    pdf = browser.print_to_pdf(html_file(tmp_path, world.campaign_id), tmp_path / "report.pdf")
    reader = PdfReader(pdf)
    assert all(page.mediabox.width > page.mediabox.height for page in reader.pages)  # landscape
    text = compact("\n".join(page.extract_text() for page in reader.pages))
    for heading in ("decidedat", "justification", "revocation", "Escalations", "Sign-off", "signature"):
        assert heading in text, heading
    assert len(items) == 7 and all(item["decided_by"] and item["decided_at"] for item in items)
    for item in items:
        decided_at = datetime.fromisoformat(item["decided_at"]).strftime(WHEN)
        for value in (item["decided_by"], decided_at, item["reviewer"]):
            assert compact(value) in text, (item["principal_name"], value)
        if item["revocation_state"]:
            assert item["revocation_state"] in text
    assert compact(str(audit.head(session))) in text


def test_every_cell_fits_a_1280_px_window(engine: Engine, session: Session, tmp_path: Path) -> None:
    world = scene(session, engine)
    export(engine, world, tmp_path, [ExportFormat.HTML])
    body = Body()
    body.feed(browser.measure_at(html_file(tmp_path, world.campaign_id), 1280, tmp_path))
    measured = body.attributes
    assert measured["data-window-width"] == "1280"
    assert int(measured["data-cells"] or 0) > 100
    assert measured["data-cells-past-right-edge"] == "0", measured["data-first-past"]
    assert int(measured["data-scroll-width"] or 0) <= 1280


# ── the report's text ───────────────────────────────────────────────────────────────────────────────────


def test_the_legend_explains_every_status_and_revocation_state(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    world = scene(session, engine)
    export(engine, world, tmp_path, [ExportFormat.HTML])
    _text, cells = parse_html(tmp_path, world.campaign_id)
    legend = {row[0]: row[1] for row in cells.sections["legend"] if row}
    assert set(legend) == {o.value for o in Outcome} | {s.value for s in RevocationState}
    assert all(len(meaning) > 20 for meaning in legend.values())
    shown = {row[5] for row in cells.sections["decisions"] if row} | {
        row[12] for row in cells.sections["decisions"] if row and row[12] != "–"
    }
    assert shown and shown <= set(legend)


def test_the_sign_off_has_blanks_and_the_audit_head(engine: Engine, session: Session, tmp_path: Path) -> None:
    world = scene(session, engine)
    export(engine, world, tmp_path, [ExportFormat.HTML])
    text, cells = parse_html(tmp_path, world.campaign_id)
    blanks = [row for row in cells.sections["sign-off"] if row]
    assert blanks and all(row == ["", "", "", ""] for row in blanks)
    sign_off = text[text.index('<section id="sign-off">') :]
    for heading in ("<th>name</th>", "<th>role</th>", "<th>signature</th>", "<th>date</th>"):
        assert heading in sign_off
    assert f"<code>{audit.head(session)}</code>" in sign_off


def test_an_unknown_observation_window_is_said_in_words(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    world = scene(session, engine)
    items = session.exec(select(ReviewItem).where(ReviewItem.campaign_id == world.campaign_id)).all()
    bounds = {"ana": (None, None), "ben": ("2026-01-01T00:00:00+00:00", None), "cy": (None, "2026-02-01")}
    for item in items:
        name = item.frozen_grant["principal"]["name"]
        if name in bounds:
            start, end = bounds[name]
            item.recommendation_evidence = {
                **item.recommendation_evidence,
                "window_start": start,
                "window_end": end,
            }
            session.add(item)
    session.commit()
    export(engine, world, tmp_path, [ExportFormat.HTML])
    text, cells = parse_html(tmp_path, world.campaign_id)
    evidence = {row[2]: row[7] for row in cells.sections["items"] if row}
    assert evidence["ana"].endswith("observation window not recorded")
    assert evidence["ben"].endswith(
        "observed from 2026-01-01T00:00:00+00:00 (end of the window not recorded)"
    )
    assert evidence["cy"].endswith("observed up to 2026-02-01 (start of the window not recorded)")
    assert "?" not in "".join(evidence.values())


def test_escalations_say_when_from_whom_and_to_whom(engine: Engine, session: Session, tmp_path: Path) -> None:
    """Silent reviewers' items go to the fallback after 5 days: the audit event names the reviewer before."""
    clock, notifier = FrozenClock(T0), RecordingNotifier()
    campaign = setup(session, clock, escalate_after_days=5)
    assert campaign.id is not None
    for _ in range(7):
        tick(session, notifier, clock)
        clock.advance(timedelta(days=1))
    tick(session, notifier, clock)
    fallback = session.exec(select(Person).where(Person.email == FALLBACK)).one()
    items = session.exec(select(ReviewItem).where(ReviewItem.campaign_id == campaign.id)).all()
    assert all(i.escalated_at is not None for i in items)
    cat = next(i for i in items if i.frozen_grant["principal"]["name"] == "cat")
    assert cat.id is not None
    record_decision(
        engine,
        item_id=cat.id,
        outcome=DecisionOutcome.KEEP,
        actor=Actor("slack:security", fallback.id),
        via=DecidedVia.SLACK,
        clock=clock,
        justification="still needed",
    )
    export_campaign(
        engine, cli_operator(), campaign.id, formats=[ExportFormat.HTML], out_dir=tmp_path, clock=clock
    )
    _text, cells = parse_html(tmp_path, campaign.id)
    rows = {row[2]: row for row in cells.sections["escalations"] if row}
    assert set(rows) == {"ana", "ben", "cat"}
    before = {"ana": email("olu"), "ben": email("olu"), "cat": email("pat")}
    for name, row in rows.items():
        item = next(i for i in items if i.frozen_grant["principal"]["name"] == name)
        assert item.escalated_at is not None
        assert row[3] == item.escalated_at.strftime(WHEN)
        assert (row[4], row[5]) == (before[name], FALLBACK)
        assert row[6].endswith("UTC")  # the fallback's escalation message was delivered
    assert rows["cat"][7:] == [ItemStatus.KEPT, "keep", FALLBACK, SILENT]
    assert rows["ana"][7:] == [ItemStatus.PENDING, "–", "–", SILENT]


def test_an_escalation_at_the_deadline_names_the_reviewer_before_it(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    clock, notifier = FrozenClock(T0), RecordingNotifier()
    campaign = setup(session, clock, on_no_response="escalate", escalate_after_days=None)
    assert campaign.id is not None
    tick(session, notifier, clock)
    clock.advance(timedelta(days=15))
    assert close_campaign(session, campaign, actor=cli_operator(), clock=clock).escalated == 3
    session.commit()
    export_campaign(
        engine, cli_operator(), campaign.id, formats=[ExportFormat.HTML], out_dir=tmp_path, clock=clock
    )
    _text, cells = parse_html(tmp_path, campaign.id)
    rows = [row for row in cells.sections["escalations"] if row]
    assert len(rows) == 3
    assert all(row[3] == clock.now().strftime(WHEN) for row in rows)
    owners = {r.email for r in session.exec(select(Person)).all()} - {FALLBACK}
    assert all(row[4] in owners and row[5] == FALLBACK for row in rows)  # from the silent owner, as recorded
    assert all(row[10] == "deadline passed without a decision" for row in rows)
