"""Reviewers in Slack, end to end: the engine's digest reaches the owner through the real SlackNotifier and
slack_sdk, the owner presses buttons that the Slack simulator signs and posts to the bot's HTTP server, and
the database and the simulator show the outcome (TESTING.md "Slack authenticity", "Authorization")."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.app import BotServices, build_app
from bot.directory import SlackDirectory, slack_client
from bot.http import BotServer
from bot.notifier import SlackNotifier
from reviews.actors import cli_operator
from reviews.campaigns.notify import advance_notifications
from reviews.campaigns.protection import Protection
from reviews.campaigns.start import start_campaign
from reviews.clock import FrozenClock
from reviews.models import AuditEvent, Decision, ItemStatus, Person, ReviewItem
from reviews.settings import SlackSettings
from simulators.slack import SlackSimulator, SlackWorkspace
from simulators.slack.outgoing import SlackRequests
from tests.campaigns.world import Department, cycle, email, store_cycle
from tests.helpers import T0

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # noqa: S105  (the simulator's signing secret, not a real one)
TOKEN = "xoxb-test"  # noqa: S105


@dataclass
class Conversation:
    ws: SlackWorkspace
    sim: SlackSimulator
    slack: SlackRequests
    engine: Engine
    users: dict[str, str]  # name → Slack user id

    def digest(self, name: str):  # noqa: ANN201
        (message,) = [m for m in self.ws.dm_messages(self.users[name]) if m.bot_id]
        return message

    def press(self, name: str, message, action_id: str, value: str | None = None):  # noqa: ANN001, ANN201
        payload = self.sim.payloads().block_action(self.users[name], message, action_id, value)
        return self.slack.send(payload)


def eventually(check, timeout: float = 10.0):  # noqa: ANN001, ANN201
    """The bot acknowledges first and works after (Slack's 3 s): wait for the work, not for the answer."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def items(engine: Engine) -> dict[str, ReviewItem]:
    with Session(engine) as session:
        return {i.frozen_grant["principal"]["name"]: i for i in session.exec(select(ReviewItem)).all()}


@pytest.fixture
def conversation(engine: Engine, session: Session) -> Iterator[Conversation]:
    clock = FrozenClock(T0)
    names = ("olu", "ana", "ben", "eve")
    (
        Department()
        .store("payroll", "olu")
        .user("ana")
        .user("ben")
        .user("eve")
        .grant("ana", "payroll")
        .grant("ben", "payroll")
        .sync(session, clock)
    )
    ws = SlackWorkspace(team_id="T0001", team_name="Department")
    users = {name: ws.add_user(email(name), name.title()) for name in names}
    for name, user_id in users.items():  # what the people sync would have linked
        person = session.exec(select(Person).where(Person.email == email(name))).first()
        if person is not None:
            person.slack_user_id = user_id
            session.add(person)
    session.commit()
    definition = cycle()
    row = store_cycle(session, definition, clock.now())
    start_campaign(
        session, row, definition, actor=cli_operator(), clock=clock, protection=Protection.of([], [])
    )
    session.commit()
    with SlackSimulator(ws, bot_token=TOKEN) as sim:
        client = slack_client(TOKEN, sim.api_url)
        advance_notifications(session, SlackNotifier(client, pace_seconds=0), clock=clock)
        session.commit()
        settings = SlackSettings(team_id="T0001")
        services = BotServices(engine, clock, settings, SlackDirectory(client), Protection.of([], []))
        server = BotServer(
            build_app(services, client=client, signing_secret=SECRET),
            host="127.0.0.1",
            port=0,
            ready=lambda: True,
        ).start()
        try:
            yield Conversation(ws, sim, SlackRequests(f"{server.url}/slack/events", SECRET), engine, users)
        finally:
            server.stop()


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
        assert "Revoked" in str(updated.blocks)

    eventually(redrawn)


def test_someone_else_pressing_is_refused_and_told_why(conversation: Conversation) -> None:
    target = items(conversation.engine)["ana"]
    digest = conversation.digest("olu")
    payload = conversation.sim.payloads().block_action(
        conversation.users["eve"], digest, "item_keep", str(target.id), strict=False
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
        conversation.users["olu"], conversation.digest("olu"), "item_revoke", str(target.id)
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
        conversation.users["olu"], conversation.digest("olu"), "item_keep", str(target.id)
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
    if "bulk_keep" not in str(digest.blocks):
        pytest.skip("no bulk button on this digest")
    assert conversation.press("olu", digest, "bulk_keep").status == 200
    eventually(lambda: _all_kept(conversation.engine))


def _all_kept(engine: Engine) -> None:
    assert {i.status for i in items(engine).values()} == {ItemStatus.KEPT}
