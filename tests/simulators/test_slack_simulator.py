"""The Slack Web API simulator over real HTTP (httpx) and through the real slack_sdk WebClient."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from simulators.slack import SlackSimulator, SlackWorkspace

TOKEN = "xoxb-test"
JSON = "application/json; charset=utf-8"


class ShiftableClock:
    """Real monotonic time plus an offset a test can move forward (a minute need not be waited)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


@pytest.fixture
def ws() -> SlackWorkspace:
    workspace = SlackWorkspace(team_id="T0001", team_name="Department")
    workspace.add_user("ana@dept.example.gov", "Ana", display_name="ana")
    workspace.add_user("bo@dept.example.gov", "Bo", deleted=True)
    return workspace


@pytest.fixture
def clock() -> ShiftableClock:
    return ShiftableClock()


@pytest.fixture
def sim(ws: SlackWorkspace, clock: ShiftableClock) -> Iterator[SlackSimulator]:
    with SlackSimulator(ws, bot_token=TOKEN, clock=clock) as simulator:
        yield simulator


@pytest.fixture
def http(sim: SlackSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.api_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as c:
        yield c


@pytest.fixture
def client(sim: SlackSimulator) -> WebClient:
    handler = RateLimitErrorRetryHandler(max_retry_count=1)
    return WebClient(token=TOKEN, base_url=sim.api_url, timeout=10, retry_handlers=[handler])


# --- the workspace ----------------------------------------------------------------------------------------


def test_ids_are_deterministic_slack_shaped_and_emails_unique() -> None:
    first, second = SlackWorkspace(), SlackWorkspace()
    ids = [w.add_user("ana@dept.example.gov", "Ana") for w in (first, second)]
    assert ids[0] == ids[1] and ids[0].startswith("U") and len(ids[0]) == 11 and ids[0].isalnum()
    assert first.bot_user_id != ids[0] and first.bot_id.startswith("B")
    with pytest.raises(ValueError, match="already taken"):
        first.add_user("ANA@dept.example.gov", "Another Ana")
    assert first.add_user("x@dept.example.gov", "X", user_id="U0ABC123") == "U0ABC123"


# --- methods over HTTP ------------------------------------------------------------------------------------


def test_auth_test_names_the_bot_and_the_team(client: WebClient, ws: SlackWorkspace) -> None:
    answer = client.auth_test()
    assert answer.data == {
        "ok": True,
        "url": "https://department.slack.com/",
        "team": "Department",
        "user": "recertify",
        "team_id": "T0001",
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def test_auth_test_lists_the_granted_scopes_in_its_header_and_refuses_a_bad_token(ws: SlackWorkspace) -> None:
    """Slack returns a token's granted scopes in the `x-oauth-scopes` response header: bolt-python reads the
    bot's scopes from auth.test's answer as `auth_test_result.headers.get("x-oauth-scopes")`
    (slack_bolt/middleware/authorization/internals.py). auth.test "checks authentication and tells "you" who
    you are" (docs.slack.dev/reference/methods/auth.test): a token Slack does not know is `invalid_auth`."""
    with SlackSimulator(ws, bot_token=TOKEN, bot_scopes=("chat:write", "commands")) as sim:
        good = WebClient(token=TOKEN, base_url=sim.api_url).auth_test()
        with pytest.raises(SlackApiError) as bad:
            WebClient(token="xoxb-revoked", base_url=sim.api_url).auth_test()  # noqa: S106
    assert good.headers["x-oauth-scopes"] == "chat:write,commands"
    assert bad.value.response["error"] == "invalid_auth"
    assert "x-oauth-scopes" not in bad.value.response.headers


def test_auth_test_in_an_org_wide_install_names_the_organization() -> None:
    """ "When working against a team within an Enterprise organization, you'll also find their enterprise_id
    here" (docs.slack.dev/reference/methods/auth.test); `is_enterprise_install` tells an org-wide install
    (api.slack.com/enterprise/apps/reference)."""
    grid = SlackWorkspace(team_id="T0001", enterprise_id="E0ORG1", org_wide=True)
    with SlackSimulator(grid, bot_token=TOKEN) as sim:
        answer = WebClient(token=TOKEN, base_url=sim.api_url).auth_test().data
    assert answer["enterprise_id"] == "E0ORG1" and answer["is_enterprise_install"] is True
    with pytest.raises(ValueError, match="enterprise_id"):
        SlackWorkspace(org_wide=True)


def test_lookup_by_email_found_case_insensitive_and_not_found(http: httpx.Client, ws: SlackWorkspace) -> None:
    found = http.get("users.lookupByEmail", params={"email": "ANA@Dept.Example.GOV"})
    assert found.status_code == 200 and found.headers["content-type"] == JSON
    ana, user = ws.user_by_email("ana@dept.example.gov"), found.json()["user"]
    assert ana is not None and found.json()["ok"] is True and user["id"] == ana.id
    assert user["team_id"] == "T0001" and user["deleted"] is False and user["is_bot"] is False
    assert user["profile"] == {
        "email": "ana@dept.example.gov",
        "real_name": "Ana",
        "real_name_normalized": "Ana",
        "display_name": "ana",
        "display_name_normalized": "ana",
        "team": "T0001",
    }
    assert {"name", "real_name", "updated"} <= user.keys()
    for email in ("nobody@dept.example.gov", "bo@dept.example.gov"):  # unknown, and deactivated (documented)
        missing = http.post("users.lookupByEmail", data={"email": email})
        assert missing.status_code == 200 and missing.json() == {"ok": False, "error": "users_not_found"}


def test_users_info_returns_deactivated_users_and_user_not_found(
    http: httpx.Client, ws: SlackWorkspace
) -> None:
    bo = ws.user_by_email("bo@dept.example.gov")
    assert bo is not None
    answer = http.post("users.info", json={"user": bo.id}).json()
    assert answer["ok"] is True and answer["user"]["id"] == bo.id and answer["user"]["deleted"] is True
    assert http.get("users.info", params={"user": "U0NOPE0000"}).json() == {
        "ok": False,
        "error": "user_not_found",
    }
    missing = http.get("users.info").json()
    assert missing["error"] == "invalid_arguments" and missing["response_metadata"]["messages"]


def test_changed_email_and_display_name_are_served(http: httpx.Client, ws: SlackWorkspace) -> None:
    ana = ws.user_by_email("ana@dept.example.gov")
    assert ana is not None
    ws.update_user(ana.id, email="ana.new@dept.example.gov", display_name="Ana N.")
    old = http.get("users.lookupByEmail", params={"email": "ana@dept.example.gov"}).json()
    new = http.get("users.lookupByEmail", params={"email": "ana.new@dept.example.gov"}).json()
    assert old["error"] == "users_not_found"
    assert new["user"]["id"] == ana.id and new["user"]["profile"]["display_name"] == "Ana N."


def test_tokens_missing_wrong_or_in_a_form_field(sim: SlackSimulator) -> None:
    with httpx.Client(base_url=sim.api_url) as anonymous:
        missing = anonymous.post("auth.test")
        wrong = anonymous.post("auth.test", headers={"Authorization": "Bearer xoxb-wrong"})
        in_query = anonymous.get("auth.test", params={"token": TOKEN})  # refused: query tokens are not read
        in_form = anonymous.post("auth.test", data={"token": TOKEN})
    assert [r.status_code for r in (missing, wrong, in_query, in_form)] == [200] * 4
    assert missing.json() == {"ok": False, "error": "not_authed"}
    assert wrong.json() == {"ok": False, "error": "invalid_auth"}
    assert in_query.json()["error"] == "not_authed" and in_form.json()["ok"] is True
    assert [c.token for c in sim.calls] == [None, "xoxb-wrong", None, TOKEN]
    assert all("token" not in c.args for c in sim.calls)


def test_unknown_methods_and_unreadable_bodies(http: httpx.Client) -> None:
    unknown = http.post("users.nothing")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == JSON
    assert unknown.json() == {"ok": False, "error": "unknown_method", "req_method": "users.nothing"}
    bad = http.post("users.info", content=b"{nope", headers={"Content-Type": "application/json"})
    assert bad.status_code == 200 and bad.json() == {"ok": False, "error": "invalid_json"}


def test_calls_record_method_arguments_token_and_answer(sim: SlackSimulator, client: WebClient) -> None:
    client.users_lookupByEmail(email="ana@dept.example.gov")  # slack_sdk: POST, arguments in the query
    with pytest.raises(SlackApiError):
        client.api_call("users.info", json={"user": "U0NOPE0000", "include_locale": True})
    client.api_call("users.info", data={"user": sim.workspace.bot_user_id})
    lookup, missing, found = sim.calls
    assert (lookup.method, lookup.http_method, lookup.args, lookup.token) == (
        "users.lookupByEmail",
        "POST",
        {"email": "ana@dept.example.gov"},
        TOKEN,
    )
    assert lookup.status == 200 and lookup.ok and lookup.response["user"]["real_name"] == "Ana"
    assert (
        missing.args == {"user": "U0NOPE0000", "include_locale": True} and missing.error == "user_not_found"
    )
    assert found.args == {"user": sim.workspace.bot_user_id} and found.ok
    assert sim.calls_to("users.info") == [missing, found]


# --- rate limits and faults -------------------------------------------------------------------------------


def test_a_method_over_its_limit_answers_429_until_the_minute_slides(
    ws: SlackWorkspace, clock: ShiftableClock
) -> None:
    with (
        SlackSimulator(ws, bot_token=TOKEN, rate_limits={"users.lookupByEmail": 2}, clock=clock) as sim,
        httpx.Client(base_url=sim.api_url, headers={"Authorization": f"Bearer {TOKEN}"}) as http,
    ):
        ask = {"email": "ana@dept.example.gov"}
        assert [http.get("users.lookupByEmail", params=ask).status_code for _ in range(2)] == [200, 200]
        limited = http.get("users.lookupByEmail", params=ask)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"
        assert (
            limited.json() == {"ok": False, "error": "ratelimited"}
            and limited.headers["content-type"] == JSON
        )
        assert http.post("auth.test").json()["ok"] is True  # limits are per method
        clock.offset += 59.0
        assert http.get("users.lookupByEmail", params=ask).headers["Retry-After"] == "1"  # 429s take no slot
        clock.offset += 1.0
        assert http.get("users.lookupByEmail", params=ask).status_code == 200
        assert [c.status for c in sim.calls_to("users.lookupByEmail")] == [200, 200, 429, 429, 200]


def test_default_limits_follow_slack_tiers(sim: SlackSimulator) -> None:
    assert sim.limiter.limits == {
        "auth.test": 100,  # special: "hundreds per minute"
        "users.lookupByEmail": 50,
        "users.info": 100,
        "usergroups.users.list": 20,
        "conversations.open": 50,
        "chat.postMessage": 300,  # special: per channel too (the channel limiter)
        "chat.update": 50,
        "chat.postEphemeral": 100,
        "views.open": 100,
        "views.push": 100,
        "views.update": 100,
        "views.publish": 100,
        "apps.connections.open": 1,
    }
    with pytest.raises(ValueError, match="no such methods"):
        SlackSimulator(sim.workspace, rate_limits={"users.lookupbyemail": 1})


def test_the_sdk_retry_handler_waits_out_the_window(ws: SlackWorkspace, clock: ShiftableClock) -> None:
    with SlackSimulator(ws, bot_token=TOKEN, rate_limits={"users.info": 1}, clock=clock) as limited:
        client = WebClient(
            token=TOKEN,
            base_url=limited.api_url,
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
        )
        assert client.users_info(user=ws.bot_user_id)["ok"] is True
        clock.offset += 59.5  # the window frees its slot in half a second; Retry-After says 1
        assert client.users_info(user=ws.bot_user_id)["user"]["id"] == ws.bot_user_id
        first, refused, retried = limited.calls
        assert [first.status, refused.status, retried.status] == [200, 429, 200]
        assert retried.at - refused.at >= 1.0  # the SDK waited Retry-After before retrying


def test_rate_limit_fault_is_retried_by_the_sdk_after_retry_after(
    client: WebClient, sim: SlackSimulator
) -> None:
    sim.faults.rate_limit_next("users.lookupByEmail", times=1, retry_after=1)
    answer = client.users_lookupByEmail(email="ana@dept.example.gov")
    assert answer["ok"] is True and answer.status_code == 200
    refused, retried = sim.calls_to("users.lookupByEmail")
    assert (refused.status, refused.error, retried.status) == (429, "ratelimited", 200)
    assert retried.at - refused.at >= 1.0


def test_fail_next_answers_an_error_once(client: WebClient, sim: SlackSimulator) -> None:
    sim.faults.fail_next("users.lookupByEmail", error="internal_error", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as failure:
            client.users_lookupByEmail(email="ana@dept.example.gov")
        assert failure.value.response.status_code == 200
        assert failure.value.response.data == {"ok": False, "error": "internal_error"}
    assert client.users_lookupByEmail(email="ana@dept.example.gov")["ok"] is True
    with pytest.raises(ValueError, match="does not implement"):
        sim.faults.fail_next("chat.deleteScheduledMessage")


def test_an_outage_answers_503_to_every_call_until_it_ends(http: httpx.Client, sim: SlackSimulator) -> None:
    sim.faults.outage(True)
    down = [http.post("auth.test"), http.get("users.nothing"), httpx.post(sim.api_url + "auth.test")]
    assert [(r.status_code, r.headers["content-type"]) for r in down] == [(503, JSON)] * 3
    assert down[0].json() == {"ok": False, "error": "service_unavailable"}
    sim.faults.outage(False)
    assert http.post("auth.test").json()["ok"] is True
    assert [c.status for c in sim.calls] == [503, 503, 503, 200]


def test_the_sdk_sees_an_outage_as_an_api_error(client: WebClient, sim: SlackSimulator) -> None:
    sim.faults.outage(True)
    with pytest.raises(SlackApiError) as failure:
        client.auth_test()
    assert failure.value.response.status_code == 503


# --- lifecycle --------------------------------------------------------------------------------------------


def test_stopping_closes_keep_alive_connections_and_threads(ws: SlackWorkspace) -> None:
    before = threading.active_count()
    with (
        SlackSimulator(ws, bot_token=TOKEN) as sim,
        httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}) as http,
    ):
        assert http.post(sim.api_url + "auth.test").json()["ok"] is True  # the connection stays open
        sim.stop()
        deadline = time.monotonic() + 5
        while threading.active_count() > before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert threading.active_count() == before
    with pytest.raises(RuntimeError):
        _ = sim.api_url


def test_a_valid_token_answers_with_its_granted_scopes(sim: SlackSimulator) -> None:
    """Slack sends the token's granted scopes in the `x-oauth-scopes` header (Bolt reads the bot's scopes
    from it: slack_bolt/middleware/authorization/internals.py); a refused token gets none."""
    with httpx.Client(base_url=sim.api_url) as anonymous:
        valid = anonymous.post("auth.test", headers={"Authorization": f"Bearer {TOKEN}"})
        wrong = anonymous.post("auth.test", headers={"Authorization": "Bearer xoxb-wrong"})
    assert set(valid.headers["x-oauth-scopes"].split(",")) == set(sim.bot_scopes)
    assert "x-oauth-scopes" not in wrong.headers
    sim.bot_scopes = ("chat:write",)
    with httpx.Client(base_url=sim.api_url) as anonymous:
        narrow = anonymous.post("auth.test", headers={"Authorization": f"Bearer {TOKEN}"})
    assert narrow.headers["x-oauth-scopes"] == "chat:write"
