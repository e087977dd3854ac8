"""What the Slack listeners need, built by app.py (the composition root)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from bot.settings import SlackSettings
from reviews.actors import Actor
from reviews.people.chat_actor import chat_actor
from reviews.ports import ChatDirectory, Clock
from reviews.protection import Protection


@dataclass(frozen=True)
class BotServices:
    """What the handlers need; built by app.py (the composition root)."""

    engine: Engine
    clock: Clock
    slack: SlackSettings
    directory: ChatDirectory | None
    protection: Protection

    def actor(self, user_id: str) -> Actor:
        with Session(self.engine) as session:
            actor = chat_actor(
                session,
                user_id,
                directory=self.directory,
                admins=self.slack.admins,
                auditors=self.slack.auditors,
                clock=self.clock,
                admin_groups=self.slack.admin_groups,
                auditor_groups=self.slack.auditor_groups,
            )
            session.commit()
        return actor
