"""The Slack conversation every bot test drives: a department and a campaign in the database, the Slack
simulator, the engine's digest delivered through the real SlackNotifier, and the bot's HTTP server on a free
port, reached through requests the simulator signs as Slack does."""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.app import BotServices, build_app
from bot.directory import SlackDirectory, slack_client
from bot.http import BotServer
from bot.notifier import SlackNotifier
from bot.settings import SlackSettings
from reviews.actors import cli_operator
from reviews.campaigns.notify import advance_notifications
from reviews.campaigns.start import start_campaign
from reviews.clock import FrozenClock
from reviews.protection import Protection
from reviews.storage.models import Person, ReviewItem
from simulators.slack import SlackSimulator, SlackWorkspace
from simulators.slack.outgoing import Outgoing, SlackRequests, encode_json
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
    clock: FrozenClock  # the bot's and the engine's

    def digest(self, name: str):  # noqa: ANN201
        (message,) = [m for m in self.ws.dm_messages(self.users[name]) if m.bot_id]
        return message

    def press(self, name: str, message, action_id: str, value: str | None = None):  # noqa: ANN001, ANN201
        """A press on the button of item `value` (its actions block is `item:{id}`), or on a page-wide one."""
        block = f"item:{value}" if value is not None else None
        payload = self.sim.payloads().block_action(
            self.users[name], message, action_id, value, block_id=block
        )
        return self.slack.send(payload)


def tampered(outgoing: Outgoing, change: Callable[[dict[str, Any]], None]) -> Outgoing:
    """The same interaction with its payload changed as a forged client would send it (signed all the same:
    what is tested is what the bot trusts, not the signature)."""
    payload = copy.deepcopy(outgoing.payload)
    change(payload)
    body = urlencode({"payload": encode_json(payload).decode()}).encode()
    return dataclasses.replace(outgoing, body=body, payload=payload)


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


def link_slack_accounts(session: Session, ws: SlackWorkspace, names: Iterable[str]) -> dict[str, str]:
    """A Slack account for each name, linked to its person as the people sync would: name → user id."""
    users = {name: ws.add_user(email(name), name.title()) for name in names}
    for name, user_id in users.items():
        person = session.exec(select(Person).where(Person.email == email(name))).first()
        if person is not None:
            person.slack_user_id = user_id
            session.add(person)
    session.commit()
    return users


def start_quarterly(session: Session, clock: FrozenClock) -> None:
    """The default cycle applied and a campaign started over the synced department."""
    definition = cycle()
    row = store_cycle(session, definition, clock.now())
    start_campaign(
        session, row, definition, actor=cli_operator(), clock=clock, protection=Protection.of([], [])
    )
    session.commit()


def two_stores() -> Department:
    """Olu owns payroll (ana, ben) and special-category cases (gil); eve, aud and adm hold nothing."""
    return (
        Department()
        .store("payroll", "olu")
        .store("cases", "olu", "special-category")
        .user("ana")
        .user("ben")
        .user("eve")
        .user("gil")
        .user("aud")
        .user("adm")
        .grant("ana", "payroll")
        .grant("ben", "payroll")
        .grant("gil", "cases")
    )


@pytest.fixture
def conversation(engine: Engine, session: Session) -> Iterator[Conversation]:
    with converse(engine, session, two_stores()) as talk:
        yield talk


NAMES = ("olu", "ana", "ben", "eve", "gil", "aud", "adm")


class Syncs(Protocol):
    """A world the conversation reads: a Department, or a fake provider behind its connector."""

    def sync(self, session: Session, clock: FrozenClock) -> object: ...


@contextmanager
def converse(
    engine: Engine,
    session: Session,
    department: Syncs,
    names: Iterable[str] = NAMES,
    *,
    before_digests: Callable[[Session, FrozenClock], object] | None = None,
    workspace: SlackWorkspace | None = None,
    settings: SlackSettings | None = None,
) -> Iterator[Conversation]:
    """The department synced, Slack accounts linked, the quarterly campaign started (then `before_digests`,
    e.g. a delegation) and its digests delivered through the Slack simulator; the bot serving on a free port
    (admin: adm, auditor: aud). `workspace` and `settings` (its admins and auditors are set here) replace
    the default single workspace T0001."""
    clock = FrozenClock(T0)
    department.sync(session, clock)
    ws = workspace or SlackWorkspace(team_id="T0001", team_name="Department")
    users = link_slack_accounts(session, ws, names)
    start_quarterly(session, clock)
    if before_digests is not None:
        before_digests(session, clock)
        session.commit()
    with SlackSimulator(ws, bot_token=TOKEN) as sim:
        client = slack_client(TOKEN, sim.api_url)
        advance_notifications(session, SlackNotifier(client, pace_seconds=0), clock=clock)
        session.commit()
        roles = {"admins": [email("adm")], "auditors": [email("aud")]}
        chosen = (settings or SlackSettings(team_id="T0001")).model_copy(update=roles)
        services = BotServices(engine, clock, chosen, SlackDirectory(client), Protection.of([], []))
        server = BotServer(
            build_app(services, client=client, signing_secret=SECRET),
            signing_secret=SECRET,
            host="127.0.0.1",
            port=0,
            ready=lambda: True,
        ).start()
        try:
            requests = SlackRequests(f"{server.url}/slack/events", SECRET)
            yield Conversation(ws, sim, requests, engine, users, clock)
        finally:
            server.stop()
