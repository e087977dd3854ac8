"""A digest of several pages whose later page fails after the retries (issue 17): the next attempt posts only
the pages that did not reach the reviewer, never one twice, and a click on a resumed page redraws it as the
page of the whole digest it is.

Slack's rules the scene turns on: chat.postMessage answers "HTTP 429 Too Many Requests" with "a Retry-After
HTTP header containing the number of seconds until you can retry" (docs.slack.dev/apis/web-api/rate-limits),
which slack_sdk retries (RateLimitErrorRetryHandler) and then gives up; every message posted is a message
the person has, so posting the same page again is a duplicate in their DM."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.blocks import item_ids
from bot.directory import slack_client
from bot.notifier import SlackNotifier
from reviews.actors import Actor
from reviews.campaigns.decide import record_decision
from reviews.campaigns.notify import advance_notifications
from reviews.campaigns.posted import posted_page
from reviews.clock import FrozenClock
from reviews.storage.models import AuditEvent, DecidedVia, DecisionOutcome, Notification, Person, ReviewItem
from simulators.slack import SlackSimulator, SlackWorkspace
from simulators.slack.model import SlackMessage
from tests.bot.conftest import TOKEN, link_slack_accounts, start_quarterly
from tests.campaigns.world import Department, email
from tests.helpers import T0

HOLDERS = 80  # enough items for a digest of four pages or more


@dataclass
class Scene:
    session: Session
    clock: FrozenClock
    ws: SlackWorkspace
    sim: SlackSimulator
    notifier: SlackNotifier
    olu: str  # the reviewer's Slack user id

    def tick(self) -> None:
        self.clock.advance(timedelta(minutes=5))
        advance_notifications(self.session, self.notifier, clock=self.clock)
        self.session.commit()

    def pages(self) -> list[SlackMessage]:
        return [m for m in self.ws.dm_messages(self.olu) if m.bot_id]


@pytest.fixture
def scene(engine: Engine, session: Session) -> Iterator[Scene]:
    department = Department().store("payroll", "olu").user("olu")
    for n in range(HOLDERS):
        department.user(f"holder{n:02}").grant(f"holder{n:02}", "payroll")
    clock = FrozenClock(T0)
    department.sync(session, clock)
    ws = SlackWorkspace(team_id="T0001", team_name="Department")
    users = link_slack_accounts(session, ws, ["olu"])
    start_quarterly(session, clock)
    with SlackSimulator(ws, bot_token=TOKEN, channel_limit=None) as sim:
        client = slack_client(TOKEN, sim.api_url, rate_limit_retries=1)
        yield Scene(session, clock, ws, sim, SlackNotifier(client, pace_seconds=0), users["olu"])


def _footer(message: SlackMessage) -> str:
    (page,) = message.text.split("(page ")[1:]
    return page.rstrip(")")


def test_a_later_page_that_failed_is_posted_alone_next_time(scene: Scene) -> None:
    # page 3 is refused with 429 and so is its one retry: slack_sdk gives up, the delivery stops there
    scene.sim.faults.rate_limit_next("chat.postMessage", times=2, retry_after=0, after=2)
    first = advance_notifications(scene.session, scene.notifier, clock=scene.clock)
    scene.session.commit()
    assert (first.sent, first.failed) == (0, 1) and "ratelimited" in first.errors[0]
    posted_first = scene.pages()
    assert [_footer(m).split(" of ")[0] for m in posted_first] == ["1", "2"]
    total = int(_footer(posted_first[0]).split(" of ")[1])
    assert total >= 4

    scene.tick()
    pages = scene.pages()
    assert [_footer(m) for m in pages] == [f"{k} of {total}" for k in range(1, total + 1)]
    shown = Counter(item_id for m in pages for item_id in item_ids(m.blocks))
    assert set(shown.values()) == {1} and len(shown) == HOLDERS, "each item on exactly one page, once"
    accepted = [c for c in scene.sim.calls_to("chat.postMessage") if c.status == 200]
    assert len(accepted) == total

    scene.tick()  # nothing is due any more: nothing is posted again
    assert len(scene.pages()) == total

    with Session(scene.session.get_bind()) as session:
        pending = session.exec(select(ReviewItem).where(col(ReviewItem.delivered_at).is_(None))).all()
        assert pending == []
        kinds = session.exec(select(AuditEvent.payload).where(AuditEvent.kind == "notification.digest")).all()
        assert [event["delivered"] for event in kinds] == [False, True]
        assert set(kinds[0]["reached"]) == {i for m in pages[:2] for i in item_ids(m.blocks)}


def test_a_click_on_a_resumed_page_knows_it_as_a_page_of_the_whole_digest(scene: Scene) -> None:
    scene.sim.faults.rate_limit_next("chat.postMessage", times=2, retry_after=0, after=2)
    advance_notifications(scene.session, scene.notifier, clock=scene.clock)
    scene.session.commit()
    scene.tick()
    pages = scene.pages()
    olu = scene.session.exec(select(Person).where(Person.email == email("olu"))).one()
    assert olu.id is not None
    third = posted_page(scene.session, channel=pages[2].channel, message_ts=pages[2].ts, person_id=olu.id)
    assert third is not None
    assert (third.page, third.pages) == (3, len(pages))
    assert third.messages == tuple((m.channel, m.ts) for m in pages), "bulk decisions redraw every page"
    assert len(third.digest_item_ids) == HOLDERS
    rows = scene.session.exec(select(Notification).where(col(Notification.delivered).is_(True))).all()
    assert len(rows) == len(pages)


def test_a_second_failure_resumes_from_where_it_stopped_again(scene: Scene) -> None:
    scene.sim.faults.rate_limit_next("chat.postMessage", times=2, retry_after=0, after=2)
    advance_notifications(scene.session, scene.notifier, clock=scene.clock)
    scene.session.commit()
    scene.sim.faults.rate_limit_next("chat.postMessage", times=2, retry_after=0, after=1)
    scene.tick()  # page 3 goes out, page 4 fails
    assert len(scene.pages()) == 3
    failed = scene.session.exec(
        select(Notification).where(col(Notification.delivered).is_(False)).order_by(col(Notification.id))
    ).all()
    on_first_three = {i for m in scene.pages() for i in item_ids(m.blocks)}
    assert not set(failed[-1].item_ids) & on_first_three, "what did not go out: the pages from 4 on only"
    assert len(failed[-1].item_ids) == HOLDERS - len(on_first_three)
    scene.tick()
    pages = scene.pages()
    total = len(pages)
    assert [_footer(m) for m in pages] == [f"{k} of {total}" for k in range(1, total + 1)]
    shown = Counter(item_id for m in pages for item_id in item_ids(m.blocks))
    assert set(shown.values()) == {1} and len(shown) == HOLDERS


def test_a_reminder_that_stopped_part_way_is_resumed_too(scene: Scene) -> None:
    """Reminders go out on the cycle's days before the deadline (default 7, 3 and 1); a reminder of several
    pages that stopped part-way is finished, not sent again from its first page."""
    advance_notifications(scene.session, scene.notifier, clock=scene.clock)  # the digest, whole
    scene.session.commit()
    digest_pages = len(scene.pages())
    _olu_answers_one(scene)  # a reviewer who answered is reminded, not escalated after 5 silent days
    scene.clock.advance(timedelta(days=7))  # 14-day campaign: the first reminder is due
    scene.sim.faults.rate_limit_next("chat.postMessage", times=2, retry_after=0, after=2)
    advance_notifications(scene.session, scene.notifier, clock=scene.clock)
    scene.session.commit()
    assert len(scene.pages()) == digest_pages + 2
    scene.tick()
    scene.tick()  # and nothing more once it is finished
    reminders = [m for m in scene.pages()[digest_pages:] if m.text.startswith("Reminder")]
    assert len(reminders) == len(scene.pages()) - digest_pages == digest_pages
    assert [_footer(m) for m in reminders] == [f"{k} of {digest_pages}" for k in range(1, digest_pages + 1)]


def _olu_answers_one(scene: Scene) -> None:
    olu = scene.session.exec(select(Person).where(Person.email == email("olu"))).one()
    first = scene.session.exec(select(ReviewItem).order_by(col(ReviewItem.id))).first()
    assert first is not None and first.id is not None and olu.id is not None
    record_decision(
        scene.session.get_bind(),  # type: ignore[arg-type]
        item_id=first.id,
        outcome=DecisionOutcome.KEEP,
        actor=Actor("slack:olu", person_id=olu.id),
        via=DecidedVia.SLACK,
        clock=scene.clock,
    )
    scene.session.expire_all()
