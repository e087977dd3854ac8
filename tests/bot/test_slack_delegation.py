"""A delegate in Slack (issue 15): their digest and App Home never offer them their own access; that access
reaches the next reviewer in its chain (here ana's manager, meg), and everyone reached can decide what they
were sent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.blocks import item_ids
from bot.directory import slack_client
from bot.notifier import SlackNotifier
from reviews.actors import Actor
from reviews.campaigns.handover import hand_over
from reviews.campaigns.notify import advance_notifications
from reviews.clock import FrozenClock
from reviews.storage.models import AuditEvent, Decision, ItemStatus, Person
from simulators.slack.model import SlackMessage
from tests.bot.conftest import TOKEN, Conversation, converse, eventually, items
from tests.campaigns.world import Department, email

NAMES = ("olu", "ana", "ben", "meg")


def department() -> Department:
    """olu owns payroll, read by ana (managed by meg) and ben."""
    return (
        Department()
        .store("payroll", "olu")
        .user("ana", manager="meg")
        .user("ben")
        .user("meg")
        .grant("ana", "payroll")
        .grant("ben", "payroll")
    )


def person_id(session: Session, name: str) -> int:
    found = session.exec(select(Person).where(Person.email == email(name))).one()
    assert found.id is not None
    return found.id


def olu_away(session: Session, clock: FrozenClock) -> None:
    """olu hands their reviews to ana for a week, before the digests go out."""
    olu, ana = person_id(session, "olu"), person_id(session, "ana")
    now = clock.now()
    hand_over(
        session,
        person_id=olu,
        delegate_person_id=ana,
        valid_from=now,
        valid_to=now + timedelta(days=7),
        actor=Actor("cli:test", olu),
        clock=clock,
    )


@pytest.fixture
def delegated(engine: Engine, session: Session) -> Iterator[Conversation]:
    with converse(engine, session, department(), NAMES, before_digests=olu_away) as talk:
        yield talk


@pytest.fixture
def in_person(engine: Engine, session: Session) -> Iterator[Conversation]:
    with converse(engine, session, department(), NAMES) as talk:
        yield talk


def digests(talk: Conversation, name: str) -> list[SlackMessage]:
    return [m for m in talk.ws.dm_messages(talk.users[name]) if m.bot_id and m.blocks]


def test_the_delegates_digest_omits_their_own_access_which_reaches_the_next_reviewer(
    delegated: Conversation,
) -> None:
    talk = delegated
    ana_item, ben_item = items(talk.engine)["ana"], items(talk.engine)["ben"]
    (to_ana,), (to_meg,) = digests(talk, "ana"), digests(talk, "meg")
    assert item_ids(to_ana.blocks) == [ben_item.id]
    assert f"({email('ana')})" not in str(to_ana.blocks)  # how an item names its holder
    assert item_ids(to_meg.blocks) == [ana_item.id]
    assert digests(talk, "olu") == []

    assert talk.press("ana", to_ana, "item_keep", str(ben_item.id)).status == 200
    assert talk.press("meg", to_meg, "item_revoke", str(ana_item.id)).status == 200

    def decided() -> None:
        assert items(talk.engine)["ben"].status == ItemStatus.KEPT
        assert items(talk.engine)["ana"].status == ItemStatus.REVOKED

    eventually(decided)
    with Session(talk.engine) as session:
        by_item = {d.review_item_id: d for d in session.exec(select(Decision)).all()}
        olu, ana, meg = (person_id(session, name) for name in ("olu", "ana", "meg"))
        (event,) = session.exec(select(AuditEvent).where(AuditEvent.kind == "item.rerouted")).all()
    assert (by_item[ben_item.id].decided_by_person_id, by_item[ben_item.id].on_behalf_of_person_id) == (
        ana,
        olu,
    )
    assert (by_item[ana_item.id].decided_by_person_id, by_item[ana_item.id].on_behalf_of_person_id) == (
        meg,
        None,
    )
    assert (event.payload["from"], event.payload["to"], event.payload["delegate"]) == (olu, meg, ana)


def test_a_delegate_chosen_in_the_app_home_never_sees_their_own_access_and_it_moves_at_once(
    in_person: Conversation,
) -> None:
    talk = in_person
    olu, ana = talk.users["olu"], talk.users["ana"]
    ana_item, ben_item = items(talk.engine)["ana"], items(talk.engine)["ben"]
    talk.slack.send(talk.sim.payloads().app_home_opened(olu))
    home = eventually(lambda: _home(talk, olu))
    assert talk.slack.send(talk.sim.payloads().view_action(olu, home.id, "set_delegate", ana)).status == 200

    def moved() -> None:
        assert items(talk.engine)["ana"].reviewer_source == "manager"
        assert any("delegate's own access" in m.text for m in talk.ws.dm_messages(olu) if not m.blocks)

    eventually(moved)
    with Session(talk.engine) as session:
        assert items(talk.engine)["ana"].reviewer_person_id == person_id(session, "meg")
        assert (
            session.exec(select(AuditEvent).where(AuditEvent.kind == "item.rerouted")).one().actor
            == f"slack:{olu}"
        )

    talk.slack.send(talk.sim.payloads().app_home_opened(ana))

    def ana_sees_olus_items_but_not_her_own() -> None:
        shown = _home(talk, ana)
        assert item_ids(shown.blocks) == [ben_item.id]

    eventually(ana_sees_olus_items_but_not_her_own)

    advance_notifications_now(talk)  # the scheduler's next tick
    (to_meg,) = digests(talk, "meg")
    assert item_ids(to_meg.blocks) == [ana_item.id]


def advance_notifications_now(talk: Conversation) -> None:
    with Session(talk.engine) as session:
        client = slack_client(TOKEN, talk.sim.api_url)
        advance_notifications(session, SlackNotifier(client, pace_seconds=0), clock=talk.clock)
        session.commit()


def _home(talk: Conversation, user: str):  # noqa: ANN202
    home = talk.ws.home(user)
    assert home is not None
    return home
