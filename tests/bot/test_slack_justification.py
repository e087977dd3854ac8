"""The justification modal (issue 15): it shows the item, so it opens only for someone who may decide it;
what it hands back is checked on the server (length, shape) and a problem is answered on the form itself,
with nothing typed lost and nothing recorded."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlmodel import Session, select

from reviews.storage.models import AuditEvent, Decision, ItemStatus
from tests.bot.conftest import Conversation, eventually, items, tampered


def open_modal(talk: Conversation, name: str = "olu") -> str:
    """`name` presses Keep on gil's special-category access in olu's digest; the modal's view id."""
    target = items(talk.engine)["gil"]
    assert talk.press(name, talk.digest("olu"), "item_keep", str(target.id)).status == 200

    def opened() -> str:
        views = talk.ws.open_views(talk.users[name])
        assert views and views[-1].callback_id == "justify"
        return views[-1].id

    return eventually(opened)


def told(talk: Conversation, name: str) -> list[str]:
    user = talk.users[name]
    return [m.text for m in talk.ws.ephemeral_messages(user) + talk.ws.dm_messages(user) if not m.blocks]


def decisions(talk: Conversation) -> list[Decision]:
    with Session(talk.engine) as session:
        return list(session.exec(select(Decision)).all())


def test_someone_who_may_not_decide_gets_no_modal_and_learns_nothing_about_the_item(
    conversation: Conversation,
) -> None:
    """eve presses Keep on gil's access (special category) in a copy of olu's digest: the refusal comes
    first, recorded, and says nothing of whose access it is or where; Slack is never asked to open a view."""
    talk = conversation
    target = items(talk.engine)["gil"]
    press = talk.sim.payloads().block_action(
        talk.users["eve"],
        talk.digest("olu"),
        "item_keep",
        str(target.id),
        block_id=f"item:{target.id}",
        strict=False,
    )
    assert talk.slack.send(press).status == 200

    def refused() -> None:
        assert any("Not recorded" in text for text in told(talk, "eve"))

    eventually(refused)
    assert talk.sim.calls_to("views.open") == [] and talk.ws.open_views(talk.users["eve"]) == []
    answer = " ".join(told(talk, "eve"))
    for detail in ("gil", "Gil", "cases", "special"):
        assert detail not in answer
    with Session(talk.engine) as session:
        refusals = session.exec(
            select(AuditEvent).where(AuditEvent.kind == "security.decision_refused")
        ).all()
    assert [(e.actor, e.subject) for e in refusals] == [(f"slack:{talk.users['eve']}", f"item:{target.id}")]
    assert decisions(talk) == [] and items(talk.engine)["gil"].status == ItemStatus.PENDING


def test_the_modal_asks_slack_to_cap_the_text_at_3000_characters(conversation: Conversation) -> None:
    """Slack: "max_length — The maximum length of input that the user can provide. If the user provides
    more, they will receive an error. Acceptable values for this field are between 1 and 3000, inclusive."
    (docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element)"""
    view_id = open_modal(conversation)
    view = conversation.ws.view(view_id)
    assert view is not None
    (field,) = [block["element"] for block in view.blocks if block.get("type") == "input"]
    assert (field["type"], field["min_length"], field["max_length"]) == ("plain_text_input", 10, 3_000)


def test_an_oversized_justification_is_answered_on_the_form_and_nothing_is_stored(
    conversation: Conversation,
) -> None:
    """A client that ignores `max_length` and submits 500,000 characters: the bot answers with
    `response_action: errors` keyed by the input's block_id, which Slack shows under that input and leaves
    the modal open with the text in it (Bolt's `ViewErrorsResponseAction`: `response_action: "errors"`,
    `errors: {[blockId: string]: string}`, docs.slack.dev/tools/bolt-js/reference/interfaces/
    ViewErrorsResponseAction). Nothing is recorded; exactly 3,000 characters then is."""
    talk = conversation
    olu = talk.users["olu"]
    view_id = open_modal(talk)
    with Session(talk.engine) as session:
        events = len(session.exec(select(AuditEvent)).all())
    huge = talk.sim.payloads().view_submission(olu, view_id, {"text": "x" * 500_000}, strict=False)
    answer = talk.slack.send(huge)
    assert answer.status == 200 and answer.ack_problem is None
    view = talk.ws.view(view_id)
    assert view is not None and view.open and list(view.errors) == ["justification"]
    assert (
        "At most 3,000 characters" in view.errors["justification"]
        and "500,000" in view.errors["justification"]
    )
    with Session(talk.engine) as session:
        assert len(session.exec(select(AuditEvent)).all()) == events
    assert decisions(talk) == [] and items(talk.engine)["gil"].status == ItemStatus.PENDING

    assert (
        talk.slack.send(talk.sim.payloads().view_submission(olu, view_id, {"text": "y" * 3_000})).status
        == 200
    )
    eventually(lambda: _assert(items(talk.engine)["gil"].status == ItemStatus.KEPT))
    (decision,) = decisions(talk)
    assert decision.justification == "y" * 3_000


@pytest.mark.parametrize(
    "metadata",
    ["", "not json", "[]", '{"item": "x"}', '{"item": 0}', '{"item": 5, "channel": 7, "ts": "1.2"}'],
)
def test_a_submission_whose_form_is_not_ours_is_answered_on_the_form(
    conversation: Conversation, metadata: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Bad input gets a clear answer and no traceback; the text stays in the form for the person to copy."""
    talk = conversation
    olu = talk.users["olu"]
    view_id = open_modal(talk)
    submit = talk.sim.payloads().view_submission(olu, view_id, {"text": "case officer for the inquiry"})

    def forge(payload: dict[str, Any]) -> None:
        payload["view"]["private_metadata"] = metadata

    with caplog.at_level(logging.ERROR):
        answer = talk.slack.send(tampered(submit, forge))
    assert answer.status == 200 and answer.ack_problem is None
    view = talk.ws.view(view_id)
    assert view is not None and view.open
    assert "press Keep again" in view.errors["justification"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert decisions(talk) == [] and items(talk.engine)["gil"].status == ItemStatus.PENDING


def _assert(condition: bool) -> None:
    assert condition
