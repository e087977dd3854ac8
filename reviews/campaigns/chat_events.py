"""Chat events are processed once: Slack retries an event it believes was not acknowledged in time (and
says so in `X-Slack-Retry-Num`); the event id is the key."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from reviews.ports import Clock
from reviews.storage.models import ChatEvent


def first_delivery(engine: Engine, event_id: str, *, clock: Clock) -> bool:
    """True the first time this event id is seen (and records it); False for every retry after."""
    try:
        with Session(engine) as session:
            session.add(ChatEvent(event_id=event_id[:100], received_at=clock.now()))
            session.commit()
    except IntegrityError:
        return False
    return True
