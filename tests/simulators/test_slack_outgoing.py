"""Requests to the bot as Slack makes them: signatures the real SDK verifies, payloads real slack_bolt
parses and routes, the knobs that forge them, response URLs, acks applied as Slack applies them, and
Socket Mode envelopes, with a small Bolt app standing in for the bot."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from simulators.slack import SlackRequests, SlackSimulator, SlackWorkspace, sign
from simulators.transport import LocalServer, Reply

TOKEN = "xoxb-test"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ANA, CY = "U0ANA00001", "U0CY000001"


class WallClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def wall() -> WallClock:
    return WallClock()


@pytest.fixture
def ws(wall: WallClock) -> SlackWorkspace:
    workspace = SlackWorkspace(team_id="T0001", team_name="Department", clock=wall)
    workspace.add_user("ana@dept.example.gov", "Ana", user_id=ANA)
    workspace.add_user("cy@dept.example.gov", "Cy", user_id=CY)
    return workspace


@pytest.fixture
def sim(ws: SlackWorkspace) -> Iterator[SlackSimulator]:
    with SlackSimulator(ws, bot_token=TOKEN, channel_limit=None) as simulator:
        yield simulator


@pytest.fixture
def client(sim: SlackSimulator) -> WebClient:
    return WebClient(token=TOKEN, base_url=sim.api_url, timeout=10)


def review_blocks(item: str = "item-1") -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Ana* holds *s3-admin*"}},
        {
            "type": "actions",
            "block_id": "decide",
            "elements": [
                {
                    "type": "button",
                    "action_id": "keep",
                    "value": item,
                    "text": {"type": "plain_text", "text": "Keep"},
                },
                {
                    "type": "button",
                    "action_id": "why",
                    "value": item,
                    "text": {"type": "plain_text", "text": "Why?"},
                },
                {
                    "type": "static_select",
                    "action_id": "delegate",
                    "placeholder": {"type": "plain_text", "text": "Delegate"},
                    "options": [
                        {"text": {"type": "plain_text", "text": "Cy"}, "value": CY},
                        {"text": {"type": "plain_text", "text": "Bo"}, "value": "U0BO000001"},
                    ],
                },
            ],
        },
    ]


REASON_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "reason",
    "title": {"type": "plain_text", "text": "Why keep it?"},
    "submit": {"type": "plain_text", "text": "Send"},
    "private_metadata": "item-1",
    "blocks": [
        {
            "type": "input",
            "block_id": "why",
            "label": {"type": "plain_text", "text": "Reason"},
            "element": {"type": "plain_text_input", "action_id": "text", "min_length": 5},
        }
    ],
}


# --- signing ----------------------------------------------------------------------------------------------


def test_sign_matches_slacks_documented_example() -> None:
    """The worked example of docs.slack.dev/authentication/verifying-requests-from-slack."""
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    assert sign(body, SECRET, 1531420618) == {
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        "X-Slack-Request-Timestamp": "1531420618",
    }


def test_the_sdks_verifier_accepts_our_signature_within_five_minutes_only(sim: SlackSimulator) -> None:
    body = "payload=" + json.dumps({"type": "block_actions", "text": "é ✓ a+b *"})
    raw = body.encode()
    verifier = SignatureVerifier(SECRET)
    now = int(time.time())
    assert verifier.is_valid_request(raw, sign(raw, SECRET, now))
    assert verifier.is_valid_request(raw, sign(raw, SECRET, now - 290))
    assert not verifier.is_valid_request(raw, sign(raw, SECRET, now - 310))
    assert not verifier.is_valid_request(raw, sign(raw, SECRET, now + 310))
    assert not verifier.is_valid_request(raw, sign(raw, "another-secret", now))
    assert not verifier.is_valid_request(raw + b" ", sign(raw, SECRET, now))


# --- payloads that slack_bolt parses -----------------------------------------------------------------------


def bolt_app(sim: SlackSimulator, **kwargs: Any) -> App:
    return App(
        signing_secret=SECRET,
        client=WebClient(token=TOKEN, base_url=sim.api_url, timeout=10),
        token_verification_enabled=False,
        process_before_response=True,  # the handler has finished when the ack is answered
        **kwargs,
    )


def test_a_block_action_body_dispatches_to_a_bolt_action_handler(
    sim: SlackSimulator, client: WebClient, ws: SlackWorkspace
) -> None:
    app = bolt_app(sim)
    seen: list[tuple[str, str, str]] = []

    @app.action("keep")
    def keep(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        seen.append((body["user"]["id"], action["value"], body["container"]["message_ts"]))

    posted = client.chat_postMessage(channel=ANA, text="review", blocks=review_blocks())
    press = sim.payloads().block_action(ANA, (posted["channel"], posted["ts"]), "keep")
    headers: dict[str, str | Sequence[str]] = {
        k: [v] for k, v in sign(press.body, SECRET, int(time.time())).items()
    }
    headers["content-type"] = [press.content_type]
    answer = app.dispatch(BoltRequest(body=press.body.decode(), headers=headers))
    assert answer.status == 200
    assert seen == [(ANA, "item-1", posted["ts"])]
    payload = press.payload
    assert payload["team"] == {"id": "T0001", "domain": "department"} and payload["api_app_id"] == ws.app_id
    assert payload["channel"] == {"id": "D0ANA00001", "name": "directmessage"}
    assert payload["message"]["ts"] == posted["ts"] and payload["message"]["bot_id"] == ws.bot_id
    assert payload["actions"][0]["block_id"] == "decide" and payload["actions"][0]["type"] == "button"
    assert ws.trigger(payload["trigger_id"]) is not None
    assert payload["response_url"].startswith(sim.base_url + "/actions/T0001/")
    assert b"\\/" in parse_qs(press.body.decode())["payload"][0].encode()  # "/" escaped, as Slack's JSON


def test_builders_refuse_what_no_slack_client_can_send(
    sim: SlackSimulator, client: WebClient, ws: SlackWorkspace
) -> None:
    posted = client.chat_postMessage(channel=ANA, text="review", blocks=review_blocks())
    payloads = sim.payloads()
    where = (posted["channel"], posted["ts"])
    with pytest.raises(ValueError, match="cannot see"):
        payloads.block_action(CY, where, "keep")  # Ana's DM
    with pytest.raises(ValueError, match="no element"):
        payloads.block_action(ANA, where, "revoke")
    with pytest.raises(ValueError, match="button's value"):
        payloads.block_action(ANA, where, "keep", "item-2")
    forged = payloads.block_action(CY, where, "keep", "item-2", strict=False)
    assert forged.payload["user"]["id"] == CY and forged.payload["actions"][0]["value"] == "item-2"
    picked = payloads.block_action(ANA, where, "delegate", CY)
    assert picked.payload["actions"][0]["selected_option"]["value"] == CY
    with pytest.raises(ValueError, match="no option"):
        payloads.block_action(ANA, where, "delegate", "U0NOBODY00")
    ws.update_user(ANA, deleted=True)
    with pytest.raises(ValueError, match="deactivated"):
        payloads.block_action(ANA, where, "keep")


# --- a whole conversation over HTTP ------------------------------------------------------------------------


class BoltOverHttp:
    """The Bolt app served on 127.0.0.1 as a bot's request URL would be."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.server = LocalServer(self._handle, name="bolt-under-test")
        self.raw: list[tuple[list[tuple[str, str]], bytes]] = []

    def _handle(self, method: str, target: str, headers: Message, body: bytes) -> Reply:
        self.raw.append((list(headers.items()), body))
        request = BoltRequest(
            body=body.decode("utf-8", "replace"),
            query=urlsplit(target).query,
            headers={k.lower(): [v] for k, v in headers.items()},
        )
        answer = self.app.dispatch(request)
        out = {k: v[0] for k, v in answer.headers.items() if v and k.lower() != "content-length"}
        return Reply(answer.status, (answer.body or "").encode(), out)

    def __enter__(self) -> str:
        self.server.start()
        return f"http://127.0.0.1:{self.server.port}/slack/events"

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


@pytest.fixture
def bot(sim: SlackSimulator) -> Iterator[tuple[App, BoltOverHttp, SlackRequests]]:
    app = bolt_app(sim)
    served = BoltOverHttp(app)
    with served as url:
        yield app, served, SlackRequests(url, SECRET)


def test_a_button_press_end_to_end(
    bot: tuple[App, BoltOverHttp, SlackRequests], sim: SlackSimulator, ws: SlackWorkspace
) -> None:
    app, _, slack = bot

    @app.action("keep")
    def keep(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        where = body["container"]
        client.chat_update(channel=where["channel_id"], ts=where["message_ts"], text="Kept by you", blocks=[])

    app.client.chat_postMessage(channel=ANA, text="Review s3-admin", blocks=review_blocks())
    press = sim.payloads().block_action(ANA, ws.dm_messages(ANA)[-1], "keep")
    delivery = slack.send(press)
    assert delivery.status == 200 and delivery.in_time and delivery.ack_problem is None
    (shown,) = ws.dm_messages(ANA)
    assert shown.text == "Kept by you" and shown.blocks == []
    assert [c.method for c in sim.calls] == ["chat.postMessage", "auth.test", "chat.update"]


def test_a_modal_opened_from_a_press_and_submitted(
    bot: tuple[App, BoltOverHttp, SlackRequests], sim: SlackSimulator, ws: SlackWorkspace
) -> None:
    app, _, slack = bot
    reasons: list[tuple[str, str, str]] = []

    @app.action("why")
    def why(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=REASON_MODAL)

    @app.view("reason")
    def reason(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = view["state"]["values"]["why"]["text"]["value"]
        if "later" in text:
            ack(response_action="errors", errors={"why": "Say why now"})
            return
        ack()
        reasons.append((body["user"]["id"], view["private_metadata"], text))

    app.client.chat_postMessage(channel=ANA, text="Review", blocks=review_blocks())
    payloads = sim.payloads()
    assert slack.send(payloads.block_action(ANA, ws.dm_messages(ANA)[-1], "why")).status == 200
    (view,) = ws.open_views(ANA)
    assert view.title == "Why keep it?" and view.private_metadata == "item-1"
    with pytest.raises(ValueError, match="required"):
        payloads.view_submission(ANA, view.id, {})
    with pytest.raises(ValueError, match="at least 5"):
        payloads.view_submission(ANA, view.id, {"text": "no"})

    refused = slack.send(payloads.view_submission(ANA, view.id, {"text": "tell you later"}))
    assert refused.status == 200 and refused.ack_problem is None
    assert ws.open_views(ANA) == [view] and view.errors == {
        "why": "Say why now"
    }  # the modal stays, with the error

    accepted = slack.send(payloads.view_submission(ANA, view.id, {"why": "Needed for the audit"}))
    assert accepted.status == 200 and ws.open_views(ANA) == [] and not view.open  # an empty ack closes it
    assert reasons == [(ANA, "item-1", "Needed for the audit")]


def test_an_expired_trigger_from_a_slow_bot(
    bot: tuple[App, BoltOverHttp, SlackRequests], sim: SlackSimulator, ws: SlackWorkspace, wall: WallClock
) -> None:
    app, _, slack = bot
    errors: list[str] = []

    @app.action("why")
    def why(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        wall.offset += 4  # the bot took four seconds before opening the modal
        try:
            client.views_open(trigger_id=body["trigger_id"], view=REASON_MODAL)
        except Exception as exc:  # noqa: BLE001 - the test reads the SDK's error
            errors.append(str(exc))

    app.client.chat_postMessage(channel=ANA, text="Review", blocks=review_blocks())
    slack.send(sim.payloads().block_action(ANA, ws.dm_messages(ANA)[-1], "why"))
    assert ws.open_views(ANA) == [] and "expired_trigger_id" in errors[0]


def test_response_url_replaces_the_original_and_counts_its_uses(
    bot: tuple[App, BoltOverHttp, SlackRequests], sim: SlackSimulator, ws: SlackWorkspace, wall: WallClock
) -> None:
    app, _, slack = bot

    @app.action("keep")
    def keep(ack: Any, respond: Any) -> None:
        ack()
        respond(text="Kept, thank you", replace_original=True)

    app.client.chat_postMessage(channel=ANA, text="Review", blocks=review_blocks())
    press = sim.payloads().block_action(ANA, ws.dm_messages(ANA)[-1], "keep")
    assert slack.send(press).status == 200
    (shown,) = ws.dm_messages(ANA)
    assert shown.text == "Kept, thank you" and shown.blocks == []
    (posted,) = sim.responses
    assert (
        posted.status == 200
        and posted.payload["replace_original"] is True
        and posted.effect == {"replaced": shown.ts}
    )

    url = press.response_url
    assert url is not None
    answers = [httpx.post(url, json={"text": f"note {i}"}) for i in range(5)]
    assert [(a.status_code, a.text) for a in answers] == [(200, "ok")] * 4 + [(404, "used_url")]
    assert [m.text for m in ws.ephemeral_messages(ANA)] == [
        f"note {i}" for i in range(4)
    ]  # ephemeral by default

    second = sim.payloads().block_action(ANA, ws.dm_messages(ANA)[-1], "keep", strict=False)
    assert second.response_url is not None
    bad = httpx.post(second.response_url, json={"text": "x", "blocks": [{"type": "section"}] * 51})
    assert bad.status_code == 400 and bad.text.startswith("invalid_blocks\n")
    assert httpx.post(second.response_url, content=b"{nope").text == "invalid_payload"
    assert httpx.post(second.response_url, json={"delete_original": True}).text == "ok"
    assert ws.dm_messages(ANA) == []
    wall.offset += 30 * 60 + 1
    assert httpx.post(second.response_url, json={"text": "late"}).text == "expired_url"
    assert httpx.post(sim.base_url + "/actions/T0001/1/never", json={"text": "x"}).status_code == 404


def test_a_slash_command_is_acked_and_answered_in_channel(
    bot: tuple[App, BoltOverHttp, SlackRequests], sim: SlackSimulator, ws: SlackWorkspace
) -> None:
    app, _, slack = bot
    channel = ws.add_channel("access-reviews", members=[ANA])

    @app.command("/recertify")
    def command(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        ack(f"Working on '{command['text']}'…")
        respond(text="3 reviews open", response_type="in_channel")

    delivery = slack.send(sim.payloads().slash_command(ANA, "/recertify", "status", channel=channel))
    assert delivery.status == 200 and delivery.ack_problem is None
    assert [m.text for m in ws.ephemeral_messages(ANA, channel)] == ["Working on 'status'…"]
    assert [m.text for m in ws.messages(channel)] == ["3 reviews open"]


def test_app_home_opened_publishes_the_home_tab(
    bot: tuple[App, BoltOverHttp, SlackRequests], sim: SlackSimulator, ws: SlackWorkspace
) -> None:
    app, served, slack = bot

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "2 open"}}],
            },
        )

    opened = sim.payloads().app_home_opened(ANA, event_id="Ev0HOME0001")
    assert slack.send(opened).status == 200
    home_view = ws.home(ANA)
    assert home_view is not None and home_view.blocks[0]["text"]["text"] == "2 open"
    assert opened.payload["event"]["channel"] == "D0ANA00001" and opened.payload["event_id"] == "Ev0HOME0001"

    retried = slack.send(opened.retry(1, "http_timeout"))
    assert retried.status == 200
    headers = dict(served.raw[-1][0])
    assert (headers["X-Slack-Retry-Num"], headers["X-Slack-Retry-Reason"]) == ("1", "http_timeout")
    assert served.raw[-1][1] == opened.body  # the same event, byte for byte


# --- forging ------------------------------------------------------------------------------------------------


class Recorder:
    """Any HTTP endpoint: records exactly what arrived and answers 200."""

    def __init__(self) -> None:
        self.seen: list[tuple[list[tuple[str, str]], bytes]] = []
        self.server = LocalServer(self._handle, name="recorder")

    def _handle(self, method: str, target: str, headers: Message, body: bytes) -> Reply:
        self.seen.append((list(headers.items()), body))
        return Reply(200, b"", {})


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, str]]:
    rec = Recorder()
    rec.server.start()
    yield rec, f"http://127.0.0.1:{rec.server.port}/slack/events"
    rec.server.stop()


def test_forging_knobs_send_exactly_what_they_say(
    recorder: tuple[Recorder, str], sim: SlackSimulator
) -> None:
    rec, url = recorder
    now = 1_700_000_000
    slack = SlackRequests(url, SECRET, clock=lambda: now)
    event = sim.payloads().event_callback({"type": "app_mention", "text": "héllo ✓"})
    ok = slack.send(event)
    headers = dict(rec.seen[-1][0])
    assert headers["X-Slack-Request-Timestamp"] == str(now) and headers["Content-Type"] == "application/json"
    assert SignatureVerifier(SECRET, clock=type("C", (), {"now": lambda self: now})()).is_valid(
        rec.seen[-1][1], headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert "héllo ✓".encode() in rec.seen[-1][1]  # UTF-8 on the wire, not \\u escapes

    slack.send(event, secret="wrong")
    assert dict(rec.seen[-1][0])["X-Slack-Signature"] != headers["X-Slack-Signature"]
    slack.send(event, shift=-301)
    shifted = dict(rec.seen[-1][0])
    assert shifted["X-Slack-Request-Timestamp"] == str(now - 301)
    assert shifted["X-Slack-Signature"] == sign(event.body, SECRET, now - 301)["X-Slack-Signature"]
    slack.send(event, headers={"X-Slack-Signature": None, "X-Slack-Request-Timestamp": ""})
    stripped = dict(rec.seen[-1][0])
    assert "X-Slack-Signature" not in stripped and stripped["X-Slack-Request-Timestamp"] == ""
    slack.send(event, headers={"x-slack-request-timestamp": "١٧٠٠٠٠٠٠٠٠".encode()})
    raw = [v for k, v in rec.seen[-1][0] if k.lower() == "x-slack-request-timestamp"]
    assert raw == ["١٧٠٠٠٠٠٠٠٠".encode().decode("latin-1")]  # the UTF-8 bytes went out as they are
    slack.send(event, headers={"X-Slack-Request-Timestamp": "9" * 5000})
    assert dict(rec.seen[-1][0])["X-Slack-Request-Timestamp"] == "9" * 5000
    slack.send(event, body=event.body.replace(b"mention", b"MENTION"))
    assert (
        b"MENTION" in rec.seen[-1][1]
        and dict(rec.seen[-1][0])["X-Slack-Signature"] == headers["X-Slack-Signature"]
    )

    again = slack.replay(ok)
    assert again.request == ok.request and rec.seen[-1] == rec.seen[0]
    assert [s.body for s in slack.sent][:1] == [event.body]


def test_forged_requests_are_refused_by_bolts_verification(
    bot: tuple[App, BoltOverHttp, SlackRequests], sim: SlackSimulator
) -> None:
    app, _, slack = bot
    app.event("app_mention")(lambda: None)
    event = sim.payloads().event_callback({"type": "app_mention", "text": "hi"})
    assert slack.send(event).status == 200
    assert slack.send(event, secret="not-the-secret").status == 401
    assert slack.send(event, shift=-290).status == 200
    assert slack.send(event, shift=-310).status == 401
    assert slack.send(event, headers={"X-Slack-Signature": None}).status == 401
    assert slack.send(event, body=event.body + b" ").status == 401
    other_team = sim.payloads(team_id="T0OTHER01").event_callback({"type": "app_mention", "text": "hi"})
    assert other_team.payload["team_id"] == "T0OTHER01"


# --- Socket Mode ------------------------------------------------------------------------------------------


def test_socket_mode_with_bolts_socket_mode_handler(ws: SlackWorkspace) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    unlimited = {"apps.connections.open": None}  # Tier 1 (1 per minute) would hold the reconnection back
    with SlackSimulator(
        ws, bot_token=TOKEN, channel_limit=None, socket_mode=True, rate_limits=unlimited
    ) as sim:
        app = bolt_app(sim)
        pressed = threading.Event()
        seen: list[str] = []

        @app.action("keep")
        def keep(ack: Any, body: dict[str, Any]) -> None:
            ack()
            seen.append(body["user"]["id"])
            pressed.set()

        @app.command("/recertify")
        def command(ack: Any) -> None:
            ack("On it")

        app.client.chat_postMessage(channel=ANA, text="Review", blocks=review_blocks())
        handler = SocketModeHandler(app, "xapp-test")
        handler.connect()
        try:
            assert sim.socket is not None
            sim.socket.wait_for_connection()
            hello_ack = sim.socket.deliver(sim.payloads().block_action(ANA, ws.dm_messages(ANA)[-1], "keep"))
            assert hello_ack.acked and hello_ack.payload is None and pressed.wait(3) and seen == [ANA]
            answered = sim.socket.deliver(sim.payloads().slash_command(ANA, "/recertify", "status"))
            assert answered.acked and answered.payload == {"text": "On it"}
            assert [m.text for m in ws.ephemeral_messages(ANA)] == ["On it"]
            hello = sim.socket.received[0] if sim.socket.received else None
            assert hello is None or "envelope_id" in hello  # clients send only acks

            sim.socket.disconnect(
                "refresh_requested"
            )  # Slack's clients reconnect through apps.connections.open
            deadline = time.monotonic() + 5
            while sim.socket.connections == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert sim.socket.deliver(sim.payloads().slash_command(ANA, "/recertify", "again")).acked
        finally:
            handler.close()
        opened = sim.calls_to("apps.connections.open")
        assert len(opened) == 2 and {c.token for c in opened} == {"xapp-test"}
        assert opened[0].response["url"].startswith(f"ws://127.0.0.1:{sim.socket.port}/link/?ticket=")


def test_socket_mode_envelopes_and_lifecycle(ws: SlackWorkspace) -> None:
    before = threading.active_count()
    with SlackSimulator(ws, bot_token=TOKEN, socket_mode=True) as sim:
        assert sim.socket is not None
        event = sim.payloads().event_callback({"type": "app_home_opened", "user": ANA}).retry(2, "http_error")
        envelope = sim.socket.envelope(event, "e-1")
        assert envelope == {
            "envelope_id": "e-1",
            "payload": event.payload,
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": 2,
            "retry_reason": "http_error",
        }
        command = sim.socket.envelope(sim.payloads().slash_command(ANA, "/recertify"))
        assert command["type"] == "slash_commands" and command["accepts_response_payload"] is True
        assert command["payload"]["command"] == "/recertify" and command["payload"]["user_id"] == ANA
        with pytest.raises(ConnectionError):
            sim.socket.deliver(event)  # nobody connected
        refused = httpx.get(f"http://127.0.0.1:{sim.socket.port}/link/?ticket=forged")
        assert refused.status_code == 401
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


# --- Enterprise Grid ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("org_wide", [True, False])
def test_enterprise_grid_payloads_are_read_by_bolt_as_slack_sends_them(org_wide: bool) -> None:
    """In an Enterprise Grid organization every request names it; installed org-wide, interactions carry
    `"team": null` ("team is null for org apps shortcut payload", bolt-js src/types/shortcuts/
    global-shortcut.ts) and the user's workspace in `user.team_id` ("With org-wide installations,
    payload.team in interactivity payloads can be None. You need to extract either payload.user.team_id or
    payload.view.team_id", bolt-python slack_bolt/request/internals.py). Bolt's own reading of each payload
    finds the organization and the kind of install. A workspace of an organization is shaped as Slack's
    own Grid sample (docs.slack.dev/messaging/work-objects-implementation): `"team": {"id", "domain",
    "enterprise_id", "enterprise_name"}`, `"enterprise": {"id", "name"}`, `"is_enterprise_install": false`."""
    grid = SlackWorkspace(
        team_id="T0001", enterprise_id="E0ORG1", enterprise_name="Ministry", org_wide=org_wide
    )
    ana = grid.add_user("ana@dept.example.gov", "Ana", user_id=ANA)
    with SlackSimulator(grid, bot_token=TOKEN) as sim:
        posted = WebClient(token=TOKEN, base_url=sim.api_url).chat_postMessage(
            channel=ana, text="Review", blocks=review_blocks()
        )
        message = (str(posted["channel"]), str(posted["ts"]))
        payloads = sim.payloads()
        press = payloads.block_action(ana, message, "keep")
        view = grid.new_view(ana, REASON_MODAL)
        grid.push_view(view)
        submit = payloads.view_submission(ana, view.id, {"text": "still needed"})
        command = payloads.slash_command(ana, "/recertify", "status")
        event = payloads.app_home_opened(ana)
    for outgoing in (press, submit):
        body = outgoing.payload
        assert body["enterprise"] == {"id": "E0ORG1", "name": "Ministry"}
        assert body["is_enterprise_install"] is org_wide and body["user"]["team_id"] == "T0001"
        if org_wide:
            assert body["team"] is None
        else:
            assert body["team"]["id"] == "T0001" and body["team"]["enterprise_id"] == "E0ORG1"
    assert command.payload["enterprise_id"] == "E0ORG1" and command.payload["enterprise_name"] == "Ministry"
    assert command.payload["is_enterprise_install"] == ("true" if org_wide else "false")
    assert event.payload["enterprise_id"] == "E0ORG1"
    assert event.payload["authorizations"][0]["is_enterprise_install"] is org_wide
    for outgoing in (press, submit, command, event):
        context = BoltRequest(
            body=outgoing.body.decode(), headers={"content-type": outgoing.content_type}
        ).context
        assert context.enterprise_id == "E0ORG1" and context.is_enterprise_install is org_wide, outgoing.kind
    # a view names where the app is installed: the organization when org-wide (docs.slack.dev/messaging/
    # work-objects-implementation shows a Grid view_submission with "app_installed_team_id": "E123ABC456")
    installed = "E0ORG1" if org_wide else "T0001"
    assert submit.payload["view"]["app_installed_team_id"] == submit.payload["view"]["team_id"] == installed
