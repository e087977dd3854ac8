"""The Slack app (Bolt): reviewers decide, admins start campaigns and approve held revocations, auditors ask.

This module builds the App: its middleware (requests from another workspace or app are refused before any
handler runs; an event Slack retries is processed once) and the listeners, grouped by kind in bot/listeners/
(actions, views, events, commands), each with its `register`. Every handler acknowledges first (Slack allows
3 s), then hands the work to one use case and redraws what the person sees. Who may do what is decided by
the use cases (`record_decision`, `record_bulk`, `start_campaign`, the reads), from the person bound to the
clicking Slack account by its immutable id; a refusal is answered ephemerally, names nothing about the item,
and is recorded by the use case. The justification modal, which shows the item, opens only once
`check_may_decide` allowed it, and only when the domain says the press needs one
(reviews.campaigns.justification).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient

from bot.desk import ReviewDesk
from bot.listeners import actions, commands, events, views
from bot.origin import origin, refusal
from bot.services import BotServices
from bot.settings import SlackSettings
from reviews.campaigns.chat_events import first_delivery

__all__ = ["BotServices", "build_app"]

logger = logging.getLogger(__name__)
LISTENER_THREADS = 32


def build_app(
    services: BotServices,
    *,
    client: WebClient,
    signing_secret: str | None,
) -> App:
    """`signing_secret` None: Socket Mode only (requests arrive over the app's own socket, not HTTP)."""
    app = App(
        client=client,
        # Bolt acknowledges a press only once a listener thread runs it: its default of 10 threads left the
        # 50th of 50 simultaneous presses waiting (bench/slack.py). Listeners are short (bot/background.py).
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="bolt"),
        signing_secret=signing_secret or "",
        request_verification_enabled=signing_secret is not None,
        token_verification_enabled=False,  # no auth.test at start: `config check` and the sync prove it
        raise_error_for_unhandled_request=False,
    )
    app.middleware(_only_our_workspace(services.slack))
    app.middleware(_events_once(services))
    desk = ReviewDesk(services)
    actions.register(app, services, desk)
    views.register(app, services, desk)
    events.register(app, services)
    commands.register(app, services)
    return app


def _only_our_workspace(slack: SlackSettings) -> Callable[..., Any]:
    def middleware(
        body: dict[str, Any],
        context: BoltContext,
        next: Callable[[], Any],  # noqa: A002  (Bolt's name)
    ) -> Any:
        where = origin(body, context)
        reason = refusal(slack, where)
        if reason is not None:
            logger.warning("refused a request from %s: %s", where, reason)
            return BoltResponse(status=403, body="")
        return next()

    return middleware


def _events_once(services: BotServices) -> Callable[..., Any]:
    def middleware(body: dict[str, Any], next: Callable[[], Any]) -> Any:  # noqa: A002
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not first_delivery(services.engine, str(event_id), clock=services.clock):
            return BoltResponse(status=200, body="")  # a retry of what was handled: acknowledge, do nothing
        return next()

    return middleware
