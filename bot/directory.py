"""Slack as the chat directory (reviews.ports.ChatDirectory), through slack_sdk.

The client retries 429s itself (slack_sdk's RateLimitErrorRetryHandler, honouring Retry-After); any answer
other than a user or "no such user" is a failure to ask, never "not found".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.rate_limits import CountingRateLimitHandler
from reviews.errors import Misconfigured, SourceUnavailable
from reviews.ports import ChatIdentity

SOURCE = "slack"
_AUTH_ERRORS = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "missing_scope"}


def slack_client(token: str, api_url: str, *, rate_limit_retries: int = 5) -> WebClient:
    # slack_sdk's RateLimitErrorRetryHandler, counting each 429 for /metrics first
    handler = CountingRateLimitHandler(max_retry_count=rate_limit_retries)
    return WebClient(token=token, base_url=api_url, retry_handlers=[handler])


GROUP_CACHE_SECONDS = 300.0  # usergroups.users.list is Tier 2 (about 20 a minute): not once per click


class SlackDirectory:
    def __init__(
        self,
        client: WebClient,
        *,
        team_id: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`team_id`: the workspace whose user groups are read; an org-wide install's token must name it
        (Slack ignores it for a workspace token)."""
        self._client = client
        self._team_id = team_id
        self._monotonic = monotonic
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def group_members(self, group_id: str) -> frozenset[str]:
        """Members of a Slack user group, cached a few minutes. An unknown group is a configuration error."""
        with self._lock:
            cached = self._groups.get(group_id)
            if cached is not None and self._monotonic() - cached[0] < GROUP_CACHE_SECONDS:
                return cached[1]
        try:
            params = {"usergroup": group_id} | ({"team_id": self._team_id} if self._team_id else {})
            answer = self._client.api_call("usergroups.users.list", http_verb="GET", params=params)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if error == "no_such_subteam":
                raise Misconfigured(
                    f"Slack has no user group {group_id} (slack.admin_groups / auditor_groups)"
                ) from None
            if error == "missing_argument":
                raise Misconfigured(
                    f"Slack needs the workspace of user group {group_id}: an org-wide install must set "
                    "[slack] team_id to it"
                ) from None
            raise SourceUnavailable(
                SOURCE, f"usergroups.users.list failed: {error or exc}", retryable=True
            ) from None
        except (SlackClientError, OSError) as exc:
            raise SourceUnavailable(SOURCE, f"usergroups.users.list failed: {exc}", retryable=True) from None
        members = frozenset(str(user) for user in answer.get("users") or [])
        with self._lock:
            self._groups[group_id] = (self._monotonic(), members)
        return members

    def lookup_by_email(self, email: str) -> ChatIdentity | None:
        """Slack answers users_not_found for unknown *and* deactivated accounts (as documented)."""
        user = self._call("users.lookupByEmail", "users_not_found", email=email)
        return None if user is None else _identity(user)

    def account(self, user_id: str) -> ChatIdentity | None:
        user = self._call("users.info", "user_not_found", user=user_id)
        return None if user is None else _identity(user)

    def _call(self, method: str, absent: str, **arguments: str) -> dict[str, Any] | None:
        try:
            answer = self._client.api_call(method, http_verb="GET", params=arguments)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if error == absent:
                return None
            if error in _AUTH_ERRORS:
                raise Misconfigured(
                    f"Slack refused {method}: {error} (the bot needs users:read.email)"
                ) from None
            raise SourceUnavailable(SOURCE, f"{method} failed: {error or exc}", retryable=True) from None
        except (SlackClientError, OSError) as exc:  # connection errors, rate limits beyond the retries
            raise SourceUnavailable(SOURCE, f"{method} failed: {exc}", retryable=True) from None
        user: dict[str, Any] = answer["user"]
        return user


def _identity(user: dict[str, Any]) -> ChatIdentity:
    return ChatIdentity(user["id"], (user.get("profile") or {}).get("email") or "", bool(user.get("deleted")))
