"""The App Home: what this person has to review, and their delegate."""

from __future__ import annotations

from slack_sdk import WebClient
from sqlmodel import Session

from bot.blocks import home_view
from bot.services import BotServices
from reviews.campaigns.delegation import active_delegate
from reviews.campaigns.views import pending_for
from reviews.ports import ItemView
from reviews.storage.models import Person


def publish_home(services: BotServices, client: WebClient, user: str) -> None:
    actor = services.actor(user)
    pending: list[tuple[str, list[ItemView]]] = []
    delegate_label = None
    if actor.person_id is not None:
        with Session(services.engine) as session:
            pending = pending_for(session, actor.person_id, services.clock.now())
            current = active_delegate(session, actor.person_id, services.clock.now())
            person = session.get(Person, current) if current else None
            delegate_label = person.email if person else None
    client.views_publish(user_id=user, view=home_view(pending, delegate_label, actor.person_id is not None))
