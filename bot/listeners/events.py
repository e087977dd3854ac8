"""Events Slack sends: the App Home opened."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.home import publish_home
from bot.services import BotServices


def register(app: App, services: BotServices) -> None:
    def on_home(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") not in (None, "home"):
            return
        publish_home(services, client, str(event.get("user", "")))

    app.event("app_home_opened")(on_home)
