"""A person by email, the way reviewers and delegates are named (cycles, owner tags, the CLI's `--as`).

Emails are stored lower-case. Someone a campaign must reach (a fallback mailbox, a later stage's reviewer)
gets a person row on first mention; someone a command acts for must already be known.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from reviews.errors import NotFound
from reviews.storage.models import Person


def person_id_for(session: Session, email: str, now: datetime) -> int:
    """The person's id, created (first seen `now`) if Recertify never saw this email."""
    person = _person_by_email(session, email)
    if person is None:
        person = Person(email=email.lower(), first_seen_at=now, updated_at=now)
        session.add(person)
        session.flush()
    assert person.id is not None  # noqa: S101
    return person.id


def known_person_id(session: Session, email: str) -> int:
    """An existing person's id: deciding or delegating for someone names a person Recertify already knows."""
    person = _person_by_email(session, email.strip())
    if person is None or person.id is None:
        raise NotFound(f"no person with email {email!r} (people come from syncs and campaigns)")
    return person.id


def _person_by_email(session: Session, email: str) -> Person | None:
    return session.exec(select(Person).where(Person.email == email.lower())).first()
