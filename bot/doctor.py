"""Slack's live checks for `recertify doctor` and `serve`'s start: the bot token (`auth.test`), the scopes
it was granted against the app manifest, and the secrets each connection mode needs. Read-only: auth.test
changes nothing.

Slack answers every Web API call made with a valid token with an `x-oauth-scopes` header listing the
scopes granted to that token (bolt-python reads the bot's scopes the same way, from auth.test, in
slack_bolt/middleware/authorization/internals.py); a token installed before a scope was added to the
manifest lacks it until the app is reinstalled.
"""

from __future__ import annotations

import logging
from importlib import resources
from typing import Literal

import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from reviews.health import CheckResult

logger = logging.getLogger(__name__)

SOURCE = "slack"
Mode = Literal["socket", "http"]
# auth.test's documented errors that mean the token itself is wrong, gone or disabled.
_BAD_TOKEN = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
_REINSTALL_ADVICE = (
    "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…, api.slack.com/apps → your app → "
    "OAuth & Permissions); reinstall the app to the workspace if it was uninstalled or the token revoked"
)


def manifest_scopes() -> set[str]:
    """The bot scopes bot/manifest.yaml asks for (what an admin installs)."""
    text = (resources.files("bot") / "manifest.yaml").read_text(encoding="utf-8")
    return set(yaml.safe_load(text)["oauth_config"]["scopes"]["bot"])


def slack_checks(
    client: WebClient | None,
    *,
    signing_secret: bool,
    app_token: bool,
    mode: Mode,
) -> list[CheckResult]:
    """`client`: None when SLACK_BOT_TOKEN is not set. `mode`: how serve connects (socket needs
    SLACK_APP_TOKEN, http needs SLACK_SIGNING_SECRET to verify every request)."""
    results = _token_checks(client)
    results.append(_secret_check(signing_secret, mode))
    if mode == "socket":
        results.append(
            CheckResult(SOURCE, "SLACK_APP_TOKEN (Socket Mode)", True, "set")
            if app_token
            else CheckResult(
                SOURCE,
                "SLACK_APP_TOKEN (Socket Mode)",
                False,
                "not set: Socket Mode cannot connect",
                "set SLACK_APP_TOKEN to an app-level token (xapp-…) with the connections:write scope "
                "(Basic Information → App-Level Tokens), or serve with --http PORT and SLACK_SIGNING_SECRET",
            )
        )
    return results


def _token_checks(client: WebClient | None) -> list[CheckResult]:
    if client is None:
        return [CheckResult(SOURCE, "auth.test", False, "SLACK_BOT_TOKEN is not set", _REINSTALL_ADVICE)]
    try:
        answer = client.auth_test()
    except SlackApiError as exc:
        error = str(exc.response.get("error", "")) if exc.response is not None else ""
        fix = _REINSTALL_ADVICE if error in _BAD_TOKEN else f"Slack refused auth.test ({error})"
        return [CheckResult(SOURCE, "auth.test", False, f"Slack answered {error or 'an error'}", fix)]
    except (SlackClientError, OSError) as exc:  # an answer that is not Slack's; unreachable (URLError)
        fix = "check that slack.api_url is Slack's Web API (https://slack.com/api/) and reachable from here"
        return [CheckResult(SOURCE, "auth.test", False, f"no answer from Slack: {exc}", fix)]
    team, user = answer.get("team"), answer.get("user")
    ok = CheckResult(SOURCE, "auth.test", True, f"the bot token is {user} in workspace {team}")
    return [ok, _scope_check(answer.headers)]


def _scope_check(headers: dict[str, str | list[str]]) -> CheckResult:
    name = "granted scopes (x-oauth-scopes) against bot/manifest.yaml"
    raw = next((value for key, value in headers.items() if key.lower() == "x-oauth-scopes"), None)
    if raw is None:
        return CheckResult(
            SOURCE,
            name,
            False,
            "Slack's answer carries no x-oauth-scopes header: the granted scopes are unknown",
            "check that slack.api_url is Slack's Web API (https://slack.com/api/)",
        )
    text = ",".join(raw) if isinstance(raw, list) else raw
    granted = {scope.strip() for scope in text.split(",") if scope.strip()}
    missing = sorted(manifest_scopes() - granted)
    if missing:
        return CheckResult(
            SOURCE,
            name,
            False,
            f"missing scope(s): {', '.join(missing)}",
            f"add {', '.join(missing)} to the app's bot token scopes (paste bot/manifest.yaml into the app's "
            "manifest), then reinstall the app to the workspace",
        )
    return CheckResult(SOURCE, name, True, f"all {len(manifest_scopes())} bot scopes granted")


def _secret_check(present: bool, mode: Mode) -> CheckResult:
    name = "SLACK_SIGNING_SECRET"
    if present:
        return CheckResult(SOURCE, name, True, "set")
    if mode == "socket":  # Socket Mode envelopes arrive over the authenticated connection, unsigned
        return CheckResult(
            SOURCE, name, True, "not set: needed only for HTTP mode (serve --http)", warning=True
        )
    return CheckResult(
        SOURCE,
        name,
        False,
        "not set: HTTP mode verifies every request with it",
        "set SLACK_SIGNING_SECRET to the app's Signing Secret (Basic Information → App Credentials)",
    )
