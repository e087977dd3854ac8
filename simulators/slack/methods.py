"""The Web API methods the simulator speaks, each with its rate-limit tier, in one registry.

A method is a function from a `Call` (the workspace and the parsed arguments) to the body of a successful
answer; it raises `ApiError` for `{"ok": false, "error": …}`. Adding a method is one decorated function
here or in a sibling module imported by `server.py` (`chat.py`: conversations.open and chat.*; `views.py`:
views.*; `socketmode.py`: apps.connections.open).

Tiers and their per-minute limits follow Slack's published table (docs.slack.dev/apis/web-api/rate-limits):
Tier 1 1+, Tier 2 20+, Tier 3 50+, Tier 4 100+ per minute; the simulator enforces the floor of each tier.
"Special" methods name their own per-minute limit: auth.test ("hundreds per minute") is given 100;
chat.postMessage ("1 message per second per channel … while also maintaining a workspace-wide limit",
the latter documented only as "several hundred messages per minute") is given 300 per minute for the
workspace, plus the per-channel limit the server applies to methods marked `per_channel`.

A method is called with the bot token (xoxb-) unless it is marked `auth="app"` (an app-level xapp-
token, as apps.connections.open requires); the other kind is answered `not_allowed_token_type`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from simulators.slack.workspace import SlackWorkspace

TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}


class ApiError(Exception):
    """An `{"ok": false, "error": error, **extra}` answer (HTTP 200 unless `status` says otherwise)."""

    def __init__(self, error: str, *, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra


def invalid_arguments(*messages: str) -> ApiError:
    """Slack's `invalid_arguments`, its reasons in `response_metadata.messages` ("[ERROR] …")."""
    return ApiError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {m}" for m in messages]})


@dataclass(frozen=True)
class Call:
    workspace: SlackWorkspace
    args: Mapping[str, Any]
    socket_url: Callable[[], str] | None = None  # a fresh Socket Mode URL (None: no Socket Mode)

    def required(self, name: str) -> str:
        value = self.args.get(name)
        if not isinstance(value, str) or not value:
            raise invalid_arguments(f"missing required field: {name}")
        return value

    def optional(self, name: str) -> str | None:
        value = self.args.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise invalid_arguments(f"must be a string [json-pointer:/{name}]")
        return value

    def flag(self, name: str) -> bool:
        """A boolean argument: JSON true, or "true"/"1" in a form or query string."""
        value = self.args.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return value is True or value == 1

    def json_object(self, name: str) -> dict[str, Any]:
        """An argument Slack takes as a JSON object: a JSON string (forms) or the object (JSON bodies)."""
        value = self.args.get(name)
        if value is None or value == "":
            raise invalid_arguments(f"missing required field: {name}")
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise invalid_arguments(f"invalid JSON [json-pointer:/{name}]") from None
        if not isinstance(value, dict):
            raise invalid_arguments(f"must be an object [json-pointer:/{name}]")
        return value


Handler = Callable[[Call], dict[str, Any]]


@dataclass(frozen=True)
class Method:
    name: str
    tier: int | Literal["special"]
    handler: Handler
    special_per_minute: int | None = None  # the limit of a "special" method
    auth: Literal["bot", "app"] = "bot"  # the kind of token the method takes
    per_channel: bool = False  # also limited per conversation (the server's channel limit)

    @property
    def per_minute(self) -> int:
        if self.tier == "special":
            return self.special_per_minute or 0
        return TIER_PER_MINUTE[self.tier]


METHODS: dict[str, Method] = {}


def method(
    name: str,
    *,
    tier: int | Literal["special"],
    per_minute: int | None = None,
    auth: Literal["bot", "app"] = "bot",
    per_channel: bool = False,
) -> Callable[[Handler], Handler]:
    if (tier == "special") != (per_minute is not None):
        raise ValueError("a special-tier method names its per-minute limit, and only it")

    def register(handler: Handler) -> Handler:
        if name in METHODS:
            raise ValueError(f"{name} is registered twice")
        METHODS[name] = Method(name, tier, handler, per_minute, auth, per_channel)
        return handler

    return register


@method("auth.test", tier="special", per_minute=100)
def auth_test(call: Call) -> dict[str, Any]:
    """Who the token is. "When working against a team within an Enterprise organization, you'll also find
    their enterprise_id here" (docs.slack.dev/reference/methods/auth.test); a bad token never gets here
    (the server answers `invalid_auth`)."""
    ws = call.workspace
    bot = ws.user(ws.bot_user_id)
    if bot is None or bot.deleted:
        raise ApiError("account_inactive")
    answer: dict[str, Any] = {
        "url": ws.url,
        "team": ws.team_name,
        "user": bot.name,
        "team_id": ws.team_id,
        "user_id": bot.id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": ws.org_wide,
    }
    if ws.enterprise_id:
        answer["enterprise_id"] = ws.enterprise_id
    return answer


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


@method("usergroups.users.list", tier=2)
def usergroups_users_list(call: Call) -> dict[str, Any]:
    """The members of a user group; an unknown id answers no_such_subteam, as documented. A disabled
    group is listed only with `include_disabled` (else no_such_subteam as well: the simulator's choice).
    With an org-wide install's token the group's workspace must be named: `team_id` "Required if org token
    is used" (docs.slack.dev, usergroups.list and usergroups.users.list); without it `missing_argument`,
    "A required argument is missing", the error Slack documents for the usergroups methods."""
    if call.workspace.org_wide and not call.optional("team_id"):
        raise ApiError("missing_argument")
    group = call.workspace.usergroup(call.required("usergroup"))
    if group is None or (group.disabled and not call.flag("include_disabled")):
        raise ApiError("no_such_subteam")
    return {"users": list(group.members)}
