"""Slack as the chat directory (reviews.ports.ChatDirectory): `users.lookupByEmail` through slack_sdk.

The client retries 429s itself (slack_sdk's RateLimitErrorRetryHandler, honouring Retry-After); any answer
other than a user or `users_not_found` is a failure to ask, never "not found".
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from reviews.errors import Misconfigured, SourceUnavailable
from reviews.ports import ChatIdentity

SOURCE = "slack"
_AUTH_ERRORS = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "missing_scope"}


def slack_client(token: str, api_url: str, *, rate_limit_retries: int = 5) -> WebClient:
    return WebClient(
        token=token,
        base_url=api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries)],
    )


class SlackDirectory:
    def __init__(self, client: WebClient) -> None:
        self._client = client

    def lookup_by_email(self, email: str) -> ChatIdentity | None:
        try:
            answer = self._client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if error == "users_not_found":
                return None
            if error in _AUTH_ERRORS:
                raise Misconfigured(
                    f"Slack refused users.lookupByEmail: {error} (the bot needs users:read.email)"
                ) from None
            raise SourceUnavailable(
                SOURCE, f"users.lookupByEmail failed: {error or exc}", retryable=True
            ) from None
        except (SlackClientError, OSError) as exc:  # connection errors, rate limits beyond the retries
            raise SourceUnavailable(SOURCE, f"users.lookupByEmail failed: {exc}", retryable=True) from None
        user = answer["user"]
        return ChatIdentity(
            user["id"], (user.get("profile") or {}).get("email") or email, bool(user.get("deleted"))
        )
