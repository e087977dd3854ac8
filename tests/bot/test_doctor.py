"""`recertify doctor`'s Slack checks against the Slack simulator.

Slack's auth.test documents `invalid_auth` ("Some aspect of authentication cannot be validated. Either the
provided token is invalid or the request originates from an IP address disallowed from making the
request.") and `not_authed` ("No authentication token provided."), each in an HTTP 200 `{"ok": false}`
answer. Every Web API answer to a valid token carries the scopes granted to that token in its
`x-oauth-scopes` header; Bolt reads the bot's scopes from that header of auth.test
(slack_bolt/middleware/authorization/internals.py: `auth_test_result.headers.get("x-oauth-scopes")`).
"""

from __future__ import annotations

from bot.directory import slack_client
from bot.doctor import manifest_scopes, slack_checks
from reviews.health import CheckResult
from simulators.slack import SlackSimulator, SlackWorkspace
from tests.bot.conftest import TOKEN


def _workspace() -> SlackWorkspace:
    return SlackWorkspace(team_id="T0001", team_name="Department")


def _by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {result.name: result for result in results}


SCOPES = "granted scopes (x-oauth-scopes) against bot/manifest.yaml"


def test_an_app_installed_from_the_manifest_passes() -> None:
    with SlackSimulator(_workspace(), bot_token=TOKEN) as sim:
        results = slack_checks(
            slack_client(TOKEN, sim.api_url), signing_secret=True, app_token=True, mode="socket"
        )
    assert all(r.ok and not r.warning for r in results), results
    assert [r.name for r in results] == [
        "auth.test",
        SCOPES,
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN (Socket Mode)",
    ]
    assert "Department" in results[0].detail


def test_an_invalid_token_fails_auth_test_with_the_fix() -> None:
    with SlackSimulator(_workspace(), bot_token=TOKEN) as sim:
        results = slack_checks(
            slack_client("xoxb-revoked", sim.api_url), signing_secret=True, app_token=False, mode="http"
        )
        assert sim.calls_to("auth.test")[0].response == {"ok": False, "error": "invalid_auth"}
    check = _by_name(results)["auth.test"]
    assert not check.ok and "invalid_auth" in check.detail
    assert "SLACK_BOT_TOKEN" in check.fix and "reinstall" in check.fix
    assert SCOPES not in _by_name(results)  # nothing to compare without a valid token


def test_a_scope_missing_from_the_token_is_named() -> None:
    """An app installed before a scope was added to the manifest lacks it until it is reinstalled."""
    granted = sorted(manifest_scopes() - {"usergroups:read"})
    with SlackSimulator(_workspace(), bot_token=TOKEN, bot_scopes=granted) as sim:
        results = slack_checks(
            slack_client(TOKEN, sim.api_url), signing_secret=True, app_token=False, mode="http"
        )
    check = _by_name(results)[SCOPES]
    assert not check.ok and check.detail == "missing scope(s): usergroups:read"
    assert "usergroups:read" in check.fix and "reinstall" in check.fix


def test_http_mode_needs_the_signing_secret_socket_mode_the_app_token() -> None:
    with SlackSimulator(_workspace(), bot_token=TOKEN) as sim:
        client = slack_client(TOKEN, sim.api_url)
        http = _by_name(slack_checks(client, signing_secret=False, app_token=False, mode="http"))
        socket = _by_name(slack_checks(client, signing_secret=False, app_token=False, mode="socket"))
    assert not http["SLACK_SIGNING_SECRET"].ok and "Signing Secret" in http["SLACK_SIGNING_SECRET"].fix
    assert "SLACK_APP_TOKEN (Socket Mode)" not in http
    assert socket["SLACK_SIGNING_SECRET"].ok and socket["SLACK_SIGNING_SECRET"].warning
    app_token = socket["SLACK_APP_TOKEN (Socket Mode)"]
    assert not app_token.ok and "connections:write" in app_token.fix


def test_no_bot_token_fails_without_calling_slack() -> None:
    results = slack_checks(None, signing_secret=True, app_token=True, mode="socket")
    check = _by_name(results)["auth.test"]
    assert not check.ok and check.detail == "SLACK_BOT_TOKEN is not set"


def test_an_unreachable_slack_fails_auth_test_instead_of_raising() -> None:
    with SlackSimulator(_workspace(), bot_token=TOKEN) as sim:
        url = sim.api_url
    results = slack_checks(slack_client(TOKEN, url), signing_secret=True, app_token=False, mode="http")
    check = _by_name(results)["auth.test"]
    assert not check.ok and check.detail.startswith("no answer from Slack")
    assert "slack.api_url" in check.fix
