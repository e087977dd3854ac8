"""An Enterprise Grid organization with the app installed org-wide (issue 17): Slack sends interactions with
`"team": null` and the user's workspace in `user.team_id`, and names the organization; the bot serves its
own organization (`[slack] enterprise_id`) and still refuses any other, saying so in the log.

Slack's own words: "team is null for org apps shortcut payload" (bolt-js, src/types/shortcuts/
global-shortcut.ts) and "With org-wide installations, payload.team in interactivity payloads can be None.
You need to extract either payload.user.team_id or payload.view.team_id" (bolt-python,
slack_bolt/request/internals.py); "Use the is_enterprise_install boolean" to tell an org-wide install
(api.slack.com/enterprise/apps/reference)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.settings import SlackSettings
from reviews.storage.models import AuditEvent, Decision, ItemStatus
from simulators.slack import SlackWorkspace
from tests.bot.conftest import Conversation, converse, eventually, items, two_stores

ORG, TEAM = "E0ORG1", "T0001"


def _org_wide() -> SlackWorkspace:
    return SlackWorkspace(team_id=TEAM, team_name="Department", enterprise_id=ORG, org_wide=True)


@pytest.fixture
def grid(engine: Engine, session: Session) -> Iterator[Conversation]:
    """The bot configured for its organization only (no workspace named)."""
    with converse(
        engine, session, two_stores(), workspace=_org_wide(), settings=SlackSettings(enterprise_id=ORG)
    ) as talk:
        yield talk


def _decisions(talk: Conversation) -> list[Decision]:
    with Session(talk.engine) as session:
        return list(session.exec(select(Decision)).all())


def test_a_press_from_an_org_wide_install_is_served(grid: Conversation) -> None:
    target = items(grid.engine)["ana"]
    press = grid.sim.payloads().block_action(
        grid.users["olu"], grid.digest("olu"), "item_revoke", str(target.id), block_id=f"item:{target.id}"
    )
    # the payload is shaped as Slack shapes it for an org-ready app
    assert press.payload["team"] is None and press.payload["is_enterprise_install"] is True
    assert press.payload["user"]["team_id"] == TEAM and press.payload["enterprise"]["id"] == ORG
    assert grid.slack.send(press).status == 200

    def decided() -> None:
        assert items(grid.engine)["ana"].status == ItemStatus.REVOKED
        assert "Decided revoke" in str(grid.digest("olu").blocks)

    eventually(decided)


def test_a_modal_submission_from_an_org_wide_install_is_served(grid: Conversation) -> None:
    target = items(grid.engine)["gil"]  # special category: keeping it needs a written justification
    olu = grid.users["olu"]
    press = grid.sim.payloads().block_action(
        olu, grid.digest("olu"), "item_keep", str(target.id), block_id=f"item:{target.id}"
    )
    assert grid.slack.send(press).status == 200

    def opened() -> str:
        views = grid.ws.open_views(olu)
        assert views and views[-1].callback_id == "justify"
        return views[-1].id

    submit = grid.sim.payloads().view_submission(olu, eventually(opened), {"text": "case officer"})
    assert submit.payload["team"] is None and submit.payload["user"]["team_id"] == TEAM
    answer = grid.slack.send(submit)
    assert answer.status == 200 and answer.ack_problem is None
    eventually(lambda: _assert(items(grid.engine)["gil"].status == ItemStatus.KEPT))
    assert [d.justification for d in _decisions(grid)] == ["case officer"]


def test_a_slash_command_from_an_org_wide_install_is_served(grid: Conversation) -> None:
    """Slack adds `enterprise_id` and `enterprise_name` to a command from an Enterprise Grid workspace, and
    `is_enterprise_install` says whether the app is installed org-wide."""
    adm = grid.users["adm"]
    command = grid.sim.payloads().slash_command(adm, "/recertify", "status")
    assert command.payload["enterprise_id"] == ORG and command.payload["is_enterprise_install"] == "true"
    assert grid.slack.send(command).status == 200

    def answered() -> None:
        answers = [f"{m.text} {m.blocks}" for m in grid.ws.ephemeral_messages(adm)]
        assert len(answers) == 1, answers
        answer = answers[0]
        assert "quarterly" in answer and "Not done" not in answer, answer

    eventually(answered)


def test_another_organization_is_refused_with_a_log_line_and_records_nothing(
    grid: Conversation, caplog: pytest.LogCaptureFixture
) -> None:
    target = items(grid.engine)["ana"]
    olu, adm = grid.users["olu"], grid.users["adm"]
    foreign = grid.sim.payloads(enterprise_id="E0OTHER")
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        press = foreign.block_action(
            olu, grid.digest("olu"), "item_revoke", str(target.id), block_id=f"item:{target.id}"
        )
        assert grid.slack.send(press).status == 403
        assert grid.slack.send(foreign.slash_command(adm, "/recertify", "status")).status == 403
        assert grid.slack.send(foreign.app_home_opened(olu)).status == 403
    refused = [r.getMessage() for r in caplog.records if r.name == "bot.app"]
    assert len(refused) == 3, refused
    assert all(
        "refused a request from organization E0OTHER" in line and f"is not {ORG}" in line for line in refused
    )
    assert items(grid.engine)["ana"].status == ItemStatus.PENDING and _decisions(grid) == []
    with Session(grid.engine) as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.kind == "decision.recorded")).all() == []


def test_a_workspace_outside_any_organization_is_refused(grid: Conversation) -> None:
    """A request naming no organization at all (a plain workspace) is not the configured one either."""
    plain = SlackWorkspace(team_id="T0PLAIN", team_name="Elsewhere")
    stranger = plain.add_user("zed@elsewhere.example", "Zed")
    command = type(grid.sim.payloads())(plain).slash_command(stranger, "/recertify", "status")
    assert "enterprise_id" not in command.payload
    assert grid.slack.send(command).status == 403


def test_a_workspace_id_is_read_from_the_user_when_team_is_null(engine: Engine, session: Session) -> None:
    """Configured by workspace only (`team_id`), an org-wide install's press was refused with 403 because
    its `team` is null; the workspace is the user's `team_id`, also in a modal submission, whose view names
    the organization as where the app is installed (`app_installed_team_id`: E…)."""
    with converse(
        engine, session, two_stores(), workspace=_org_wide(), settings=SlackSettings(team_id=TEAM)
    ) as talk:
        target = items(talk.engine)["ana"]
        assert talk.press("olu", talk.digest("olu"), "item_revoke", str(target.id)).status == 200
        eventually(lambda: _assert(items(talk.engine)["ana"].status == ItemStatus.REVOKED))
        gil = items(talk.engine)["gil"]
        assert talk.press("olu", talk.digest("olu"), "item_keep", str(gil.id)).status == 200
        olu = talk.users["olu"]
        view = eventually(lambda: _top(talk, olu))
        submit = talk.sim.payloads().view_submission(olu, view, {"text": "case officer"})
        assert submit.payload["view"]["app_installed_team_id"] == ORG
        assert talk.slack.send(submit).status == 200
        eventually(lambda: _assert(items(talk.engine)["gil"].status == ItemStatus.KEPT))
        ben = items(talk.engine)["ben"].id
        other = talk.sim.payloads(team_id="T0OTHER").block_action(
            talk.users["olu"], talk.digest("olu"), "item_keep", str(ben), block_id=f"item:{ben}"
        )
        assert talk.slack.send(other).status == 403


def test_an_organization_id_is_not_taken_for_a_workspace_id() -> None:
    with pytest.raises(ValidationError, match=r"set it as \[slack\] enterprise_id"):
        SlackSettings(team_id="E0ORG1")
    with pytest.raises(ValidationError, match="organization id such as E0123ABCD"):
        SlackSettings(enterprise_id="T0001")


def _assert(condition: bool) -> None:
    assert condition


def _top(talk: Conversation, user: str) -> str:
    views = talk.ws.open_views(user)
    assert views and views[-1].callback_id == "justify"
    return views[-1].id
