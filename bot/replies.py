"""Where a Slack interaction happened, and a private answer to the person who made it."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

logger = logging.getLogger(__name__)


def where(body: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(user, channel, message ts) of an interaction; channel and ts are None in the App Home."""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return str(body["user"]["id"]), channel, ts


def team(body: dict[str, Any]) -> str:
    """The clicking user's workspace: in `team`, or (org-wide installs send `"team": null`) `user.team_id`."""
    found, user = body.get("team") or {}, body.get("user") or {}
    return str(body.get("team_id") or found.get("id") or user.get("team_id") or "")


def tell(client: WebClient, channel: str | None, user: str, text: str) -> None:
    """A private answer to one person: ephemeral where they clicked, else (not a member there, or no
    channel) a DM. Never raises: the decision (or refusal) is already recorded."""
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
            return
    except SlackApiError:
        pass  # e.g. user_not_in_channel: fall through to a DM
    try:
        client.chat_postMessage(channel=user, text=text)
    except (SlackApiError, SlackClientError) as exc:
        logger.warning("could not tell %s: %s", user, exc)
