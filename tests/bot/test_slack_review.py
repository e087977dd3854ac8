"""Reviewers in Slack, end to end: the engine's digest reaches the owner through the real SlackNotifier and
slack_sdk, the owner presses buttons that the Slack simulator signs and posts to the bot's HTTP server, and
the database and the simulator show the outcome (TESTING.md "Slack authenticity", "Authorization")."""

from __future__ import annotations

import time

from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.storage.models import AuditEvent, Decision, ItemStatus
from tests.bot.conftest import Conversation, eventually, items


def test_the_owner_gets_one_digest_with_every_item_and_its_buttons(conversation: Conversation) -> None:
    digest = conversation.digest("olu")
    text = str(digest.blocks)
    assert "ana" in text and "ben" in text and "item_keep" in text and "item_revoke" in text
    assert len(digest.blocks) <= 50
    assert [m for m in conversation.ws.dm_messages(conversation.users["ana"]) if m.bot_id] == []


def test_a_press_decides_and_the_message_updates_in_place(conversation: Conversation) -> None:
    target = items(conversation.engine)["ana"]
    answer = conversation.press("olu", conversation.digest("olu"), "item_revoke", str(target.id))
    assert answer.status == 200 and answer.in_time

    def redrawn() -> None:
        assert items(conversation.engine)["ana"].status == ItemStatus.REVOKED
        updated = conversation.digest("olu")
        assert updated.edits, "the digest was redrawn with chat.update"
        assert "Decided revoke" in str(updated.blocks)

    eventually(redrawn)


def test_someone_else_pressing_is_refused_and_told_why(conversation: Conversation) -> None:
    target = items(conversation.engine)["ana"]
    digest = conversation.digest("olu")
    payload = conversation.sim.payloads().block_action(
        conversation.users["eve"],
        digest,
        "item_keep",
        str(target.id),
        block_id=f"item:{target.id}",
        strict=False,
    )
    assert conversation.slack.send(payload).status == 200

    def refused() -> None:
        eve = conversation.users["eve"]
        told = conversation.ws.ephemeral_messages(eve) + conversation.ws.dm_messages(eve)
        assert any("Not recorded" in m.text for m in told)

    eventually(refused)
    assert items(conversation.engine)["ana"].status == ItemStatus.PENDING
    with Session(conversation.engine) as session:
        assert session.exec(select(Decision)).all() == []
        assert session.exec(select(AuditEvent).where(AuditEvent.kind == "security.decision_refused")).one()


def test_a_forged_signature_is_refused_and_records_nothing(conversation: Conversation) -> None:
    target = items(conversation.engine)["ana"]
    payload = conversation.sim.payloads().block_action(
        conversation.users["olu"],
        conversation.digest("olu"),
        "item_revoke",
        str(target.id),
        block_id=f"item:{target.id}",
    )
    before = len(conversation.sim.calls)
    assert conversation.slack.send(payload, secret="not-the-secret").status == 401
    assert conversation.slack.send(payload, shift=-301).status == 401
    assert conversation.slack.send(payload, headers={"X-Slack-Request-Timestamp": "9" * 5000}).status == 401
    assert items(conversation.engine)["ana"].status == ItemStatus.PENDING
    assert len(conversation.sim.calls) == before  # no outbound call either


def test_the_same_press_twice_is_one_decision(conversation: Conversation) -> None:
    target = items(conversation.engine)["ana"]
    payload = conversation.sim.payloads().block_action(
        conversation.users["olu"],
        conversation.digest("olu"),
        "item_keep",
        str(target.id),
        block_id=f"item:{target.id}",
    )
    first = conversation.slack.send(payload)
    again = conversation.slack.replay(first)
    assert (first.status, again.status) == (200, 200)

    def one_decision() -> None:
        with Session(conversation.engine) as session:
            assert len(session.exec(select(Decision)).all()) == 1

    eventually(one_decision)
    time.sleep(0.3)  # and still one once both have been processed
    one_decision()


def test_accept_all_recommendations_from_the_digest(conversation: Conversation) -> None:
    digest = conversation.digest("olu")
    assert "bulk_keep" in str(digest.blocks)
    assert conversation.press("olu", digest, "bulk_keep").status == 200
    eventually(lambda: _all_kept(conversation.engine))


def _all_kept(engine: Engine) -> None:
    statuses = {name: i.status for name, i in items(engine).items()}
    # gil's access to special-category data needs a justification: "keep all" leaves it to be decided alone
    assert statuses == {"ana": ItemStatus.KEPT, "ben": ItemStatus.KEPT, "gil": ItemStatus.PENDING}


def test_keeping_special_category_access_opens_a_modal_and_records_the_justification(
    conversation: Conversation,
) -> None:
    target = items(conversation.engine)["gil"]
    olu = conversation.users["olu"]
    assert conversation.press("olu", conversation.digest("olu"), "item_keep", str(target.id)).status == 200

    def modal_open() -> str:
        views = conversation.ws.open_views(olu)
        assert views and views[-1].callback_id == "justify"
        return views[-1].id

    view_id = eventually(modal_open)
    too_short = conversation.sim.payloads().view_submission(olu, view_id, {"text": "ok"}, strict=False)
    assert conversation.slack.send(too_short).status == 200
    assert items(conversation.engine)["gil"].status == ItemStatus.PENDING  # refused in the modal itself
    submit = conversation.sim.payloads().view_submission(
        olu, view_id, {"text": "case officer for the inquiry"}
    )
    assert conversation.slack.send(submit).status == 200

    def kept() -> None:
        assert items(conversation.engine)["gil"].status == ItemStatus.KEPT
        assert "Kept" in str(conversation.digest("olu").blocks)

    eventually(kept)
    with Session(conversation.engine) as session:
        decision = session.exec(select(Decision)).one()
    assert decision.justification == "case officer for the inquiry" and decision.via == "slack"


def test_the_app_home_lists_pending_items(conversation: Conversation) -> None:
    olu = conversation.users["olu"]
    event = conversation.sim.payloads().app_home_opened(olu)
    assert conversation.slack.send(event).status == 200

    def published() -> None:
        home = conversation.ws.home(olu)
        assert home is not None
        text = str(home.blocks)
        assert "ana" in text and "gil" in text and "set_delegate" in text

    eventually(published)


def test_a_reviewer_hands_their_items_to_a_delegate_from_the_app_home(conversation: Conversation) -> None:
    olu, eve = conversation.users["olu"], conversation.users["eve"]
    conversation.slack.send(conversation.sim.payloads().app_home_opened(olu))
    home = eventually(lambda: _home(conversation, olu))
    pick = conversation.sim.payloads().view_action(olu, home.id, "set_delegate", eve)
    assert conversation.slack.send(pick).status == 200
    eventually(lambda: _shows(conversation, olu, "eve@"))  # olu's home now names the delegate
    conversation.slack.send(conversation.sim.payloads().app_home_opened(eve))
    eve_home = eventually(lambda: _shows(conversation, eve, "ana"))  # eve sees olu's items
    target = items(conversation.engine)["ana"]
    keep = conversation.sim.payloads().view_action(eve, eve_home.id, "item_keep", str(target.id))
    assert conversation.slack.send(keep).status == 200

    def decided_for_olu() -> None:
        assert items(conversation.engine)["ana"].status == ItemStatus.KEPT
        with Session(conversation.engine) as session:
            decision = session.exec(select(Decision)).one()
        assert decision.on_behalf_of_person_id is not None

    eventually(decided_for_olu)


def _home(conversation: Conversation, user: str):  # noqa: ANN202
    home = conversation.ws.home(user)
    assert home is not None
    return home


def _shows(conversation: Conversation, user: str, text: str):  # noqa: ANN202
    home = _home(conversation, user)
    assert text in str(home.blocks), home.blocks
    return home
