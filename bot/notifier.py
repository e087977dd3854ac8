"""Slack as the engine's notifier (reviews.ports.Notifier): one digest per reviewer per campaign, as DMs.

Each page is a `chat.postMessage` to the reviewer's user id (Slack opens the app's DM with them), reported
back with the items it shows (the engine records each message: what a click on it may redraw). A page whose
items an earlier attempt of the same delivery posted (`ReviewerMessage.already_posted`) is not posted
again. slack_sdk retries 429s itself, honouring Retry-After (RateLimitErrorRetryHandler on the client),
and messages to one channel are paced at about one a second, Slack's documented rate for
chat.postMessage. Nothing is dropped silently: a person Slack cannot reach, or Slack being down, is a
`Delivery` that says so, which the engine records (and which keeps silence from ever revoking that
reviewer's items).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.blocks import digest_pages, item_ids
from bot.blocks_kit import SlackMessage
from bot.blocks_notice import revoked_notice, survived_notice
from reviews.ports import Delivery, PostedMessage, ReviewerMessage, RevocationNotice, SurvivalNotice

PACE_SECONDS = 1.0
# Slack's answers that mean "this person cannot get a DM from the app", not "try later".
UNREACHABLE = frozenset(
    {"user_not_found", "channel_not_found", "user_disabled", "is_archived", "not_in_channel", "cannot_dm_bot"}
)


class SlackNotifier:
    def __init__(
        self,
        client: WebClient,
        *,
        pace_seconds: float = PACE_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._pace, self._sleep, self._monotonic = pace_seconds, sleep, monotonic
        self._last_post: dict[str, float] = {}
        self._lock = threading.Lock()

    def notify(self, message: ReviewerMessage) -> Delivery:
        if not message.reviewer_chat_id:
            return Delivery(
                delivered=False, error="no Slack account is linked to this reviewer", unreachable=True
            )
        posted: list[PostedMessage] = []
        for page in digest_pages(message):
            shown = tuple(item_ids(page.blocks))
            if shown and set(shown) <= message.already_posted:
                continue  # an earlier attempt of this delivery posted this page: never twice
            delivery = self._post(message.reviewer_chat_id, page)
            if not delivery.delivered:
                return replace(delivery, messages=tuple(posted))
            assert delivery.channel is not None and delivery.message_ts is not None  # noqa: S101  (_post)
            posted.append(PostedMessage(delivery.channel, delivery.message_ts, shown))
        if not posted:
            return Delivery(True)  # every page had reached the person already
        first = posted[0]
        return Delivery(True, channel=first.channel, message_ts=first.message_ts, messages=tuple(posted))

    def tell_revoked(self, notice: RevocationNotice) -> Delivery:
        if not notice.person_chat_id:
            return Delivery(
                delivered=False, error="no Slack account is linked to this person", unreachable=True
            )
        return self._post(notice.person_chat_id, revoked_notice(notice))

    def tell_survived(self, notice: SurvivalNotice, to: str) -> Delivery:
        return self._post(to, survived_notice(notice))

    def _post(self, channel: str, message: SlackMessage) -> Delivery:
        self._wait_for(channel)
        try:
            answer = self._client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            return Delivery(delivered=False, error=str(error or exc), unreachable=error in UNREACHABLE)
        except (SlackClientError, OSError) as exc:  # unreachable, or 429s beyond the retries
            return Delivery(delivered=False, error=f"slack unavailable: {exc}")
        return Delivery(delivered=True, channel=str(answer["channel"]), message_ts=str(answer["ts"]))

    def _wait_for(self, channel: str) -> None:
        with self._lock:
            last = self._last_post.get(channel)
            now = self._monotonic()
            if last is not None and now - last < self._pace:
                self._sleep(self._pace - (now - last))
            self._last_post[channel] = self._monotonic()
