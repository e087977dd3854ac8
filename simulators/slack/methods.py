"""The Web API methods the simulator speaks, each with its rate-limit tier, in one registry.

A method is a function from a `Call` (the workspace and the parsed arguments) to the body of a successful
answer; it raises `ApiError` for `{"ok": false, "error": …}`. Adding a method (chat.postMessage,
views.publish, …) is one decorated function here or in a sibling module imported by `server.py`.

Tiers and their per-minute limits follow Slack's published table (docs.slack.dev/apis/web-api/rate-limits):
Tier 1 1+, Tier 2 20+, Tier 3 50+, Tier 4 100+ per minute; the simulator enforces the floor of each tier.
auth.test is "special" ("hundreds per minute"); it is given Tier 4's 100 here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from simulators.slack.workspace import SlackWorkspace

TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}


class ApiError(Exception):
    """An `{"ok": false, "error": error, **extra}` answer (HTTP 200 unless `status` says otherwise)."""

    def __init__(self, error: str, *, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra


@dataclass(frozen=True)
class Call:
    workspace: SlackWorkspace
    args: Mapping[str, Any]

    def required(self, name: str) -> str:
        value = self.args.get(name)
        if not isinstance(value, str) or not value:
            raise ApiError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] missing required field: {name}"]},
            )
        return value


Handler = Callable[[Call], dict[str, Any]]


@dataclass(frozen=True)
class Method:
    name: str
    tier: int
    handler: Handler

    @property
    def per_minute(self) -> int:
        return TIER_PER_MINUTE[self.tier]


METHODS: dict[str, Method] = {}


def method(name: str, *, tier: int) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if name in METHODS:
            raise ValueError(f"{name} is registered twice")
        METHODS[name] = Method(name, tier, handler)
        return handler

    return register


@method("auth.test", tier=4)
def auth_test(call: Call) -> dict[str, Any]:
    ws = call.workspace
    bot = ws.user(ws.bot_user_id)
    if bot is None or bot.deleted:
        raise ApiError("account_inactive")
    return {
        "url": ws.url,
        "team": ws.team_name,
        "user": bot.name,
        "team_id": ws.team_id,
        "user_id": bot.id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


@method("users.lookupByEmail", tier=3)
def users_lookup_by_email(call: Call) -> dict[str, Any]:
    """Case-insensitive on the email. A deactivated user answers users_not_found, as Slack documents:
    "If the user has been deactivated, users_not_found will be returned instead of a user object"."""
    user = call.workspace.user_by_email(call.required("email"))
    if user is None or user.deleted:
        raise ApiError("users_not_found")
    return {"user": user.to_api(call.workspace.team_id)}


@method("users.info", tier=4)
def users_info(call: Call) -> dict[str, Any]:
    """Deactivated users are returned, with `"deleted": true`."""
    user = call.workspace.user(call.required("user"))
    if user is None:
        raise ApiError("user_not_found")
    return {"user": user.to_api(call.workspace.team_id)}
