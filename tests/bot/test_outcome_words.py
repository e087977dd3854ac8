"""One vocabulary (reviews.outcomes) wherever items are counted: a campaign with an item in every outcome says
the same counts in the same words in Slack (the digest after a press, `/recertify status`), the CLI
(`campaign list`, `campaign show`) and the evidence (CSV, JSON, HTML). "Revoked" only for access gone."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from html import escape
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.blocks import ITEM_REVOKE
from reviews.actors import cli_operator
from reviews.evidence.export import ExportFormat, export_campaign
from reviews.outcomes import DEFINITIONS, Outcome, said
from reviews.storage.models import (
    Campaign,
    ItemStatus,
    ReviewItem,
    Revocation,
    RevocationItem,
    RevocationState,
)
from tests.bot.conftest import Conversation, converse, eventually, items
from tests.bot.test_slack_commands import ask
from tests.campaigns.world import Department
from tests.helpers import run_cli

S = RevocationState
# Each holder's item, set up in the state that names its outcome. "press" is decided in Slack by its owner.
SETUP: dict[str, tuple[str, str | None, str | None]] = {  # holder → (item status, revocation state, reason)
    "pen": (ItemStatus.PENDING, None, None),
    "kip": (ItemStatus.KEPT, None, None),
    "exa": (ItemStatus.EXPIRED, None, None),
    "hal": (ItemStatus.REVOKED, S.HELD, "over the blast-radius limit: an admin must approve"),
    "ref": (ItemStatus.NEEDS_HUMAN_REVIEW, None, "protected: ref is a break-glass account"),
    "lea": (ItemStatus.NEEDS_HUMAN_REVIEW, None, "a dynamic group: a person must change its rule"),
    "run": (ItemStatus.REVOKED, S.APPLIED, None),
    "gon": (ItemStatus.REVOKED, S.VERIFIED, None),
    "abs": (ItemStatus.REVOKED, S.ALREADY_ABSENT, None),  # absent, confirmed by a sync
    "sur": (ItemStatus.REVOKED, S.SURVIVED, None),
    "fai": (ItemStatus.REVOKED, S.FAILED_PERMANENT, "refused by the provider"),
    "und": (ItemStatus.REVOKED, S.UNDONE, None),
}
PRESSED = "prs"
EXPECTED = {
    "pending": 1,
    "kept": 1,
    "expired": 1,
    "decided revoke": 1,
    "held": 1,
    "refused": 1,
    "left to a person": 1,
    "revoking": 1,
    "revoked": 2,
    "survived": 1,
    "failed": 1,
    "undone": 1,
}
NAMES = ("olu", "adm", "aud", PRESSED, *SETUP)


@pytest.fixture
def every_outcome(engine: Engine, session: Session) -> Iterator[Conversation]:
    department = Department().store("payroll", "olu").user("adm").user("aud")
    for name in (PRESSED, *SETUP):
        department.user(name).grant(name, "payroll")
    with converse(engine, session, department, NAMES) as talk:
        yield talk


def test_every_surface_counts_the_same_outcomes_in_the_same_words(
    every_outcome: Conversation,
    session: Session,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    talk = every_outcome
    digest = talk.digest("olu")
    pressed = items(talk.engine)[PRESSED]
    assert talk.press("olu", digest, ITEM_REVOKE, str(pressed.id)).status == 200
    # The digest after the press: decided, not revoked (the access is still there).
    redrawn = eventually(lambda: _edited(talk, digest))
    assert "Decided revoke" in redrawn and "*Revoked*" not in redrawn
    _set_up(session, talk)

    words = said(EXPECTED)
    assert words == (
        "1 pending, 1 kept, 1 expired, 1 decided revoke, 1 held, 1 refused, 1 left to a person, 1 revoking, "
        "2 revoked, 1 survived, 1 failed, 1 undone"
    )
    # Slack: the campaign's status as an admin asks for it.
    campaign_id = session.exec(select(Campaign.id)).one()
    status = ask(talk, "adm", f"status {campaign_id}")
    assert words in status
    # The CLI.
    env = {"RECERTIFY_DATABASE_URL": database_url}
    listed = run_cli(capsys, monkeypatch, "campaign", "list", "--format", "json", env=env)
    assert listed.code == 0, listed.stderr
    assert json.loads(listed.stdout)[0]["items"] == EXPECTED
    table = run_cli(capsys, monkeypatch, "campaign", "list", env=env)
    assert "2 revoked" in table.stdout and "1 decided revoke" in table.stdout
    shown = run_cli(capsys, monkeypatch, "campaign", "show", str(campaign_id), env=env)
    assert shown.code == 0, shown.stderr
    assert f"items: {words}" in shown.stdout
    for outcome, meaning in DEFINITIONS.items():  # the legend
        assert f"{outcome}: {meaning}" in shown.stdout
    # The evidence, in each format.
    report = export_campaign(
        talk.engine,
        cli_operator(),
        campaign_id,
        formats=list(ExportFormat),
        out_dir=tmp_path,
        clock=talk.clock,
    )
    files = {f.format: f.path for f in report.files if "-evidence." in f.path.name}
    summary = json.loads(files["json"].read_text())["summary"]
    assert summary["items_by_outcome"] == EXPECTED
    assert summary["legend"] == {str(o): meaning for o, meaning in DEFINITIONS.items()}
    with files["csv"].open(newline="") as handle:
        assert Counter(row["outcome"] for row in csv.DictReader(handle)) == EXPECTED
    html = files["html"].read_text()
    for outcome in Outcome:
        assert f"<td>{escape(outcome)}</td><td>{escape(DEFINITIONS[outcome])}</td>" in html


def _edited(talk: Conversation, digest: object) -> str:
    (message,) = [m for m in talk.ws.dm_messages(talk.users["olu"]) if m.bot_id]
    assert message.edits
    return str(message.blocks)


def _set_up(session: Session, talk: Conversation) -> None:
    """Each holder's item put in the state its name says, as the engine leaves them (rows, not mocks)."""
    found = items(talk.engine)
    now = talk.clock.now()
    for holder, (status, state, reason) in SETUP.items():
        item = session.get(ReviewItem, found[holder].id)
        assert item is not None and item.id is not None
        item.status = status
        item.human_review_reason = reason if status == ItemStatus.NEEDS_HUMAN_REVIEW else None
        session.add(item)
        if state is None:
            continue
        verified = state in (S.VERIFIED, S.ALREADY_ABSENT, S.UNDONE)
        row = Revocation(
            review_item_id=item.id,
            campaign_id=item.campaign_id,
            grant_id=item.grant_id,
            store_id=item.store_id,
            principal_id=item.principal_id,
            system="aws",
            action={"description": f"remove {holder}"},
            state=state,
            hold_reason=reason if state == S.HELD else None,
            last_error=reason if state == S.FAILED_PERMANENT else None,
            planned_at=now - timedelta(hours=1),
            verified_at=now if verified else None,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        session.add(RevocationItem(revocation_id=row.id, review_item_id=item.id))
    session.commit()
