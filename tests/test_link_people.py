"""Linking people to chat accounts: by email, cached, bound by immutable id, never guessed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews import audit
from reviews.clock import FrozenClock
from reviews.people.link import LinkSummary, link_chat_accounts, link_in_batches
from reviews.ports import ChatIdentity
from reviews.storage.db import session_scope
from reviews.storage.models import AuditEvent, Person
from tests.helpers import T0

WEEK = timedelta(days=7)


class Directory:
    """reviews.ports.ChatDirectory in memory, counting lookups."""

    def __init__(self, accounts: dict[str, ChatIdentity]) -> None:
        self.accounts, self.lookups = accounts, 0

    def lookup_by_email(self, email: str) -> ChatIdentity | None:
        self.lookups += 1
        found = self.accounts.get(email)
        return None if found is None or found.deleted else found  # as Slack: deactivated = not found

    def account(self, user_id: str) -> ChatIdentity | None:
        return next((a for a in self.accounts.values() if a.user_id == user_id), None)


def _people(session: Session, *emails: str) -> None:
    for email in emails:
        session.add(Person(email=email, first_seen_at=T0, updated_at=T0))
    session.commit()


def _slack_ids(session: Session) -> dict[str, str | None]:
    return {p.email: p.slack_user_id for p in session.exec(select(Person))}


def _link(session: Session, directory: Directory, clock: FrozenClock, limit: int = 50):
    summary = link_chat_accounts(session=session, directory=directory, clock=clock, max_age=WEEK, limit=limit)
    session.commit()
    return summary


def test_people_are_linked_by_email_and_the_answer_is_cached(session: Session) -> None:
    _people(session, "ana@dept.example.gov", "ben@dept.example.gov")
    directory = Directory({"ana@dept.example.gov": ChatIdentity("U1", "ana@dept.example.gov", False)})
    clock = FrozenClock(T0)
    summary = _link(session, directory, clock)
    assert (summary.checked, summary.linked, summary.not_found) == (2, 1, 1)
    assert _slack_ids(session) == {"ana@dept.example.gov": "U1", "ben@dept.example.gov": None}
    clock.advance(timedelta(days=1))
    assert _link(session, directory, clock).checked == 0 and directory.lookups == 2  # cached
    clock.advance(WEEK)
    assert _link(session, directory, clock).checked == 2  # stale: asked again


def test_a_changed_email_keeps_the_binding_and_a_deactivated_account_loses_it(session: Session) -> None:
    _people(session, "ana@dept.example.gov", "ben@dept.example.gov")
    directory = Directory(
        {
            "ana@dept.example.gov": ChatIdentity("U1", "ana@dept.example.gov", False),
            "ben@dept.example.gov": ChatIdentity("U2", "ben@dept.example.gov", False),
        }
    )
    clock = FrozenClock(T0)
    _link(session, directory, clock)
    directory.accounts = {
        "ana.new@dept.example.gov": ChatIdentity("U1", "ana.new@dept.example.gov", False),
        "ben@dept.example.gov": ChatIdentity("U2", "ben@dept.example.gov", True),
    }
    clock.advance(WEEK * 2)
    summary = _link(session, directory, clock)
    assert summary.unlinked == 1
    assert _slack_ids(session) == {"ana@dept.example.gov": "U1", "ben@dept.example.gov": None}
    kinds = [e.kind for e in session.exec(select(AuditEvent).order_by(AuditEvent.seq))]
    assert kinds == ["person.chat_linked", "person.chat_linked", "person.chat_unlinked"]
    assert audit.verify(session).seq == 3


def test_two_people_resolving_to_one_account_are_not_guessed_between(session: Session) -> None:
    _people(session, "ana@dept.example.gov", "ana.smith@dept.example.gov")
    same = ChatIdentity("U1", "ana@dept.example.gov", False)
    directory = Directory({"ana@dept.example.gov": same, "ana.smith@dept.example.gov": same})
    summary = _link(session, directory, FrozenClock(T0))
    assert summary.linked == 1 and len(summary.conflicts) == 1
    assert "both resolve to Slack user U1" in summary.conflicts[0]
    assert sorted(v for v in _slack_ids(session).values() if v) == ["U1"]


def test_lookups_per_run_are_bounded_and_the_rest_waits(session: Session) -> None:
    _people(session, *(f"p{i}@dept.example.gov" for i in range(7)))
    directory = Directory({})
    summary = _link(session, directory, FrozenClock(T0), limit=5)
    assert (summary.checked, summary.remaining) == (5, 2)


def test_a_sync_links_in_committed_batches_up_to_its_budget_and_says_how_many_are_left(
    engine: Engine, session: Session
) -> None:
    emails = [f"p{n:02d}@dept.example.gov" for n in range(12)]
    _people(session, *emails)
    directory = Directory({e: ChatIdentity(f"U{n}", e, False) for n, e in enumerate(emails) if n % 3})

    def sync() -> LinkSummary:  # one sync's linking: 10 lookups, committed 4 at a time
        return link_in_batches(
            lambda: session_scope(engine),
            directory=directory,
            clock=FrozenClock(T0),
            max_age=WEEK,
            budget=10,
            batch=4,
        )

    summary = sync()
    assert (summary.checked, summary.linked, summary.not_found, summary.remaining) == (10, 6, 4, 2)
    assert directory.lookups == 10
    session.expire_all()
    assert sum(1 for v in _slack_ids(session).values() if v) == 6  # committed, batch by batch
    rest = sync()
    assert (rest.checked, rest.linked, rest.remaining) == (2, 2, 0)
