"""Redrawing a digest after a click (issue 15): from the bot's own record of what it posted (one
notification row per message: channel, ts, the items it shows), never from what the payload says the
message holds. A forged page reference or modal metadata changes nothing but the clicker's own message."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.blocks import item_ids
from reviews.storage.models import Decision, ItemStatus, Notification
from simulators.slack.model import SlackMessage
from tests.bot.conftest import Conversation, converse, eventually, items, tampered
from tests.campaigns.world import Department, email


@pytest.fixture
def two_owners(engine: Engine, session: Session) -> Iterator[Conversation]:
    """olu owns payroll (ana's and ben's access), pat owns benefits (eve's, special category)."""
    department = (
        Department()
        .store("payroll", "olu")
        .store("benefits", "pat", "special-category")
        .user("ana")
        .user("ben")
        .user("eve")
        .grant("ana", "payroll")
        .grant("ben", "payroll")
        .grant("eve", "benefits")
    )
    with converse(engine, session, department, ("olu", "pat", "ana", "ben", "eve")) as talk:
        yield talk


@pytest.fixture
def many_pages(engine: Engine, session: Session) -> Iterator[Conversation]:
    """olu owns payroll, read by 40 people: a digest of several pages."""
    department = Department().store("payroll", "olu")
    for n in range(40):
        department.user(f"u{n:02d}").grant(f"u{n:02d}", "payroll")
    with converse(engine, session, department, ("olu",)) as talk:
        yield talk


def pages(talk: Conversation, name: str) -> list[SlackMessage]:
    return [m for m in talk.ws.dm_messages(talk.users[name]) if m.bot_id]


def shown(message: SlackMessage) -> str:
    return str(message.blocks)


def test_a_forged_page_reference_redraws_only_what_the_bot_posted_to_the_clicker(
    two_owners: Conversation,
) -> None:
    """pat presses Revoke in pat's digest, the payload claiming the message is olu's page (olu's footer and
    item blocks): pat's message is redrawn with pat's item alone, olu's digest is untouched."""
    talk = two_owners
    mine, theirs = items(talk.engine)["eve"], items(talk.engine)["ana"]
    (pat_digest,), (olu_digest,) = pages(talk, "pat"), pages(talk, "olu")
    press = talk.sim.payloads().block_action(
        talk.users["pat"], pat_digest, "item_revoke", str(mine.id), block_id=f"item:{mine.id}"
    )

    def forge(payload: dict[str, Any]) -> None:
        payload["message"]["blocks"] = copy.deepcopy(olu_digest.blocks)

    assert talk.slack.send(tampered(press, forge)).status == 200

    def redrawn() -> None:
        assert items(talk.engine)["eve"].status == ItemStatus.REVOKED
        (message,) = pages(talk, "pat")
        assert message.edits and "Decided revoke" in shown(message)

    eventually(redrawn)
    (message,) = pages(talk, "pat")
    assert item_ids(message.blocks) == [mine.id]
    for theirs_shown in (email("ana"), email("ben"), "payroll"):
        assert theirs_shown not in shown(message)
    updates = talk.sim.calls_to("chat.update")
    assert {(call.args["channel"], call.args["ts"]) for call in updates} == {
        (pat_digest.channel, pat_digest.ts)
    }
    (olu_now,) = pages(talk, "olu")
    assert olu_now.edits == [] and items(talk.engine)["ana"].status == ItemStatus.PENDING
    assert theirs.id in item_ids(olu_now.blocks)


def test_forged_modal_metadata_neither_decides_nor_redraws_anything_of_someone_else(
    two_owners: Conversation,
) -> None:
    """The modal's private_metadata comes back from the client: naming olu's item decides nothing (refused,
    naming nothing); naming olu's message, or carrying a page of olu's items, redraws nothing of olu's."""
    talk = two_owners
    pat = talk.users["pat"]
    mine, theirs = items(talk.engine)["eve"], items(talk.engine)["ana"]
    (pat_digest,), (olu_digest,) = pages(talk, "pat"), pages(talk, "olu")

    def keep_and_submit(metadata: dict[str, Any]) -> None:
        talk.slack.send(
            talk.sim.payloads().block_action(
                pat, pat_digest, "item_keep", str(mine.id), block_id=f"item:{mine.id}"
            )
        )

        def opened() -> str:
            views = talk.ws.open_views(pat)
            assert views and views[-1].callback_id == "justify"
            return views[-1].id

        submit = talk.sim.payloads().view_submission(
            pat, eventually(opened), {"text": "runs the benefits desk"}
        )

        def forge(payload: dict[str, Any]) -> None:
            payload["view"]["private_metadata"] = json.dumps(metadata)

        assert talk.slack.send(tampered(submit, forge)).status == 200

    keep_and_submit({"item": theirs.id, "channel": pat_digest.channel, "ts": pat_digest.ts})

    def refused() -> None:
        answers = [m.text for m in talk.ws.ephemeral_messages(pat) if "Not recorded" in m.text]
        assert answers and all(email("ana") not in text and "payroll" not in text for text in answers)

    eventually(refused)
    assert items(talk.engine)["ana"].status == ItemStatus.PENDING

    keep_and_submit(
        {
            "item": mine.id,
            "channel": olu_digest.channel,
            "ts": olu_digest.ts,
            "page": [mine.campaign_id, 1, 1, [theirs.id, items(talk.engine)["ben"].id]],
        }
    )
    eventually(lambda: _assert(items(talk.engine)["eve"].status == ItemStatus.KEPT))
    time.sleep(0.5)  # the redraw worker runs after the decision: give a wrong redraw the time to happen
    with Session(talk.engine) as session:
        (decision,) = session.exec(select(Decision).where(Decision.review_item_id == mine.id)).all()
    assert decision.justification == "runs the benefits desk"
    (olu_now,) = pages(talk, "olu")
    assert olu_now.edits == []
    assert all(call.args["channel"] != olu_digest.channel for call in talk.sim.calls_to("chat.update"))


def test_each_page_is_recorded_and_a_click_on_page_two_redraws_page_two(many_pages: Conversation) -> None:
    talk = many_pages
    posted = pages(talk, "olu")
    assert len(posted) >= 2
    with Session(talk.engine) as session:
        rows = session.exec(
            select(Notification).where(Notification.kind == "digest").order_by(col(Notification.id))
        ).all()
    assert [(row.channel, row.message_ts, row.item_ids) for row in rows] == [
        (page.channel, page.ts, item_ids(page.blocks)) for page in posted
    ]
    second = posted[1]
    target = item_ids(second.blocks)[0]
    assert talk.press("olu", second, "item_revoke", str(target)).status == 200

    def redrawn() -> None:
        page = pages(talk, "olu")[1]
        assert page.edits and "Decided revoke" in shown(page)

    eventually(redrawn)
    first, again = pages(talk, "olu")[:2]
    assert first.edits == []
    assert item_ids(again.blocks) == item_ids(second.blocks)
    footer = [b["block_id"] for b in again.blocks if str(b.get("block_id", "")).startswith("page:")]
    assert footer == [f"page:{rows[0].campaign_id}:2:{len(posted)}"]


def test_keep_all_redraws_every_page_of_the_digest(many_pages: Conversation) -> None:
    talk = many_pages
    posted = pages(talk, "olu")
    assert talk.press("olu", posted[-1], "bulk_keep").status == 200

    def all_redrawn() -> None:
        now = pages(talk, "olu")
        assert all(page.edits for page in now)
        assert all("item_keep" not in shown(page) for page in now)

    eventually(all_redrawn)
    assert {i.status for i in items(talk.engine).values()} == {ItemStatus.KEPT}


def _assert(condition: bool) -> None:
    assert condition
