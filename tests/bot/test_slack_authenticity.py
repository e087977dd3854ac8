"""Only Slack, for this workspace and this app, gets the bot to act (TESTING.md "Slack authenticity").

Every request goes over HTTP to the bot's real server (`bot/http.py` in front of Bolt), signed as Slack signs
it by the simulator's `SlackRequests`, or forged with its knobs; a few go through `App.dispatch` too (the path
Socket Mode takes, without `bot/http.py` in front). What is asserted is what an attacker or a broken proxy
would see and leave behind: the status code, and that nothing was recorded in the database, no call was made
to Slack and nothing secret or personal reached the logs.
"""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
import slack_sdk.signature
from slack_bolt import App
from slack_bolt.request import BoltRequest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.app import BotServices, build_app
from bot.directory import SlackDirectory, slack_client
from bot.http import MAX_BODY, BotServer
from bot.notifier import SlackNotifier
from bot.settings import SlackSettings
from reviews.campaigns.notify import advance_notifications
from reviews.clock import FrozenClock
from reviews.protection import Protection
from reviews.storage.models import AuditEvent, ChatEvent, Decision, ItemStatus, ReviewItem
from simulators.slack import SlackSimulator, SlackWorkspace
from simulators.slack.model import SlackMessage
from simulators.slack.outgoing import FORM, JSON_TYPE, Delivery, Outgoing, SlackRequests, encode_json, sign
from tests.bot.conftest import link_slack_accounts, start_quarterly
from tests.campaigns.world import Department, email
from tests.helpers import T0

SECRET = "5e1f9c0a7d3b4e2f8a6c1d0b9e7f3a25"  # noqa: S105  (made up for these tests)
TOKEN = "xoxb-4711-0815-authenticitytoken"  # noqa: S105  (made up; the simulator accepts it)
TEAM = "T0001"
TRICKY = "Zoë Ñandú + 漢字 %2A * 🙂"  # multi-byte UTF-8, "+", a literal "%2A" and "*": all encoded by Slack


@dataclass
class Bot:
    ws: SlackWorkspace
    sim: SlackSimulator
    slack: SlackRequests
    engine: Engine
    users: dict[str, str]  # name → Slack user id
    bolt: App
    url: str  # the server's base URL

    def digest(self, name: str) -> SlackMessage:
        (message,) = [m for m in self.ws.dm_messages(self.users[name]) if m.bot_id]
        return message

    def item(self, name: str) -> ReviewItem:
        with Session(self.engine) as session:
            found = [
                i
                for i in session.exec(select(ReviewItem)).all()
                if i.frozen_grant["principal"]["name"] == name
            ]
        (item,) = found
        return item

    def press(self, action_id: str, grantee: str, **payloads: str) -> Outgoing:
        """olu's press on the button of `grantee`'s item in olu's digest (from another team or app with
        `payloads`)."""
        item_id = str(self.item(grantee).id)
        return self.sim.payloads(**payloads).block_action(
            self.users["olu"], self.digest("olu"), action_id, item_id, block_id=f"item:{item_id}"
        )

    def post_signed(
        self, body: bytes, content_type: str = FORM, *, secret: str = SECRET, shift: int = 0
    ) -> Delivery:
        """Any bytes at all, signed with the real secret as Slack would sign them."""
        headers = [("Content-Type", content_type), *sign(body, secret, int(time.time()) + shift).items()]
        return self.slack.post(body, headers)

    def state(self) -> dict[str, Any]:
        """Everything a refused request must leave as it was."""
        with Session(self.engine) as session:
            statuses = {i.id: i.status for i in session.exec(select(ReviewItem)).all()}
            counts = {
                model.__name__: session.exec(select(func.count()).select_from(model)).one()
                for model in (Decision, AuditEvent, ChatEvent)
            }
        return {
            "items": statuses,
            **counts,
            "slack calls": len(self.sim.calls),
            "response posts": len(self.sim.responses),
        }

    def headers_only(self, content_length: str, headers: dict[str, str]) -> int:
        """A POST that announces `content_length` bytes and sends none of them."""
        split = urlsplit(self.url)
        conn = http.client.HTTPConnection(split.hostname or "127.0.0.1", split.port, timeout=10)
        try:
            conn.putrequest("POST", "/slack/events")
            for name, value in {"Content-Type": FORM, **headers}.items():
                conn.putheader(name, value.encode())
            conn.putheader("Content-Length", content_length.encode())
            conn.endheaders()
            return conn.getresponse().status
        finally:
            conn.close()

    def get(self, path: str, method: str = "GET") -> tuple[int, bytes]:
        split = urlsplit(self.url)
        conn = http.client.HTTPConnection(split.hostname or "127.0.0.1", split.port, timeout=10)
        try:
            conn.request(method, path)
            answer = conn.getresponse()
            return answer.status, answer.read()
        finally:
            conn.close()


@pytest.fixture
def bot(engine: Engine, session: Session) -> Iterator[Bot]:
    clock = FrozenClock(T0)
    names = ("olu", "ana", "ben", "gil", "adm")
    (
        Department()
        .store("payroll", "olu")
        .store("cases", "olu", "special-category")
        .user("ana")
        .user("ben")
        .user("gil")
        .user("adm")
        .grant("ana", "payroll")
        .grant("ben", "payroll")
        .grant("gil", "cases")
        .sync(session, clock)
    )
    ws = SlackWorkspace(team_id=TEAM, team_name="Department")
    users = link_slack_accounts(session, ws, names)
    start_quarterly(session, clock)
    with SlackSimulator(ws, bot_token=TOKEN) as sim:
        client = slack_client(TOKEN, sim.api_url)
        advance_notifications(session, SlackNotifier(client, pace_seconds=0), clock=clock)
        session.commit()
        settings = SlackSettings(team_id=TEAM, app_id=ws.app_id, admins=[email("adm")])
        services = BotServices(engine, clock, settings, SlackDirectory(client), Protection.of([], []))
        bolt = build_app(services, client=client, signing_secret=SECRET)
        server = BotServer(bolt, signing_secret=SECRET, host="127.0.0.1", port=0, ready=lambda: True).start()
        try:
            yield Bot(
                ws, sim, SlackRequests(f"{server.url}/slack/events", SECRET), engine, users, bolt, server.url
            )
        finally:
            server.stop()


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """The bot acknowledges first and works after (Slack's 3 s): wait for the work, not for the answer."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def settled(bot: Bot) -> dict[str, Any]:
    """The state once anything the bot might still be doing in the background has had time to show."""
    time.sleep(0.3)
    return bot.state()


def publishes(bot: Bot) -> int:
    return len(bot.sim.calls_to("views.publish"))


def warm_up(bot: Bot) -> None:
    """One valid request first: Bolt asks Slack who the bot is (auth.test) on the first signed request it
    authorizes, before any middleware of ours runs, and caches the answer; after this, a refused request
    makes no call to Slack at all."""
    olu = bot.users["olu"]
    assert bot.slack.send(bot.sim.payloads().app_home_opened(olu, event_id="Ev0WARMUP")).status == 200
    eventually(lambda: _assert_equal(len(bot.sim.calls_to("auth.test")) + publishes(bot) >= 2, True))


def early_in_a_second() -> None:
    """Wait until the wall clock is early in a second, so that a request stamped now (whole seconds) is
    verified within the same second: a boundary test on the real clock then cannot straddle two seconds."""
    while time.time() % 1 > 0.3:
        time.sleep(0.02)


# ---- the server ------------------------------------------------------------------------------------------
def test_health_is_answered_and_unknown_paths_are_not_found(bot: Bot) -> None:
    assert bot.get("/healthz") == (200, b"ok")
    assert bot.get("/nowhere")[0] == 404
    assert bot.get("/nowhere", "POST")[0] == 404
    assert bot.get("/slack/events/../healthz", "POST")[0] == 404
    assert bot.get("/slack/events")[0] == 405


# ---- signatures ------------------------------------------------------------------------------------------
def test_a_forged_signature_is_refused_and_records_nothing(bot: Bot) -> None:
    before = bot.state()
    press = bot.press("item_revoke", "ana")
    assert bot.slack.send(press, secret="not-the-signing-secret").status == 401
    # signed over other bytes: the body was tampered with after signing
    other = bot.press("item_keep", "ana")
    assert bot.slack.send(press, body=other.body).status == 401
    # a signature copied from another request, with that request's timestamp
    genuine = sign(other.body, SECRET, int(time.time()))
    assert bot.slack.send(press, headers=genuine).status == 401
    assert settled(bot) == before
    assert bot.item("ana").status == ItemStatus.PENDING


def test_the_timestamp_window_is_300_seconds_either_way(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    # The verifier (slack_sdk's, used by Bolt) compares the whole-second timestamp with its clock's
    # fractional time; pinned to a whole second, the boundary is exact on both sides.
    pinned = float(int(time.time()))
    monkeypatch.setattr(slack_sdk.signature.Clock, "now", lambda self: pinned)
    slack = SlackRequests(bot.slack.bot_url, SECRET, clock=lambda: pinned)
    home = bot.sim.payloads().app_home_opened
    olu = bot.users["olu"]
    assert slack.send(home(olu), shift=300).status == 200
    assert slack.send(home(olu), shift=-300).status == 200
    before = settled(bot)
    assert slack.send(home(olu), shift=301).status == 401
    assert slack.send(home(olu), shift=-301).status == 401
    assert slack.send(home(olu), shift=-(10**9)).status == 401
    assert settled(bot) == before
    assert publishes(bot) == 2


def test_the_timestamp_window_on_the_real_clock(bot: Bot) -> None:
    # The client's default clock is the real one, as is the bot's. A timestamp stamped now + 300 s is at most
    # 300 s ahead when the bot checks it; now ± 301 s is more than 300 s away when checked within the second.
    home = bot.sim.payloads().app_home_opened
    olu = bot.users["olu"]
    early_in_a_second()
    assert bot.slack.send(home(olu), shift=300).status == 200
    eventually(lambda: _assert_equal(publishes(bot), 1))
    before = settled(bot)
    early_in_a_second()
    assert bot.slack.send(home(olu), shift=301).status == 401
    early_in_a_second()
    assert bot.slack.send(home(olu), shift=-301).status == 401
    assert bot.slack.send(home(olu), shift=-3600).status == 401
    assert settled(bot) == before


def _digits(text: str, zero: str) -> str:
    return "".join(chr(ord(zero) + int(c)) if c.isdigit() else c for c in text)


# Malformed timestamps, each *signed over its own text*: a verifier that parsed them leniently (Python's int()
# takes " 1 ", "+1", "1_0", Arabic-Indic and fullwidth digits) would find the signature valid.
TIMESTAMPS: dict[str, Callable[[str], str]] = {
    "empty": lambda t: "",
    "not numeric": lambda t: "yesterday",
    "in hex": lambda t: hex(int(t)),
    "with a fraction": lambda t: t + ".0",
    "in exponent form": lambda t: f"{int(t):e}",
    "of 5,000 digits": lambda t: "9" * 5000,
    "of 5,000 digits, leading zeros": lambda t: t.rjust(5000, "0"),
    "in Arabic-Indic digits": lambda t: _digits(t, "٠"),
    "in fullwidth digits": lambda t: _digits(t, "０"),
    "negative": lambda t: "-" + t,
    "with a plus sign": lambda t: "+" + t,
    "with spaces inside": lambda t: f"{t[:4]} {t[4:]}",
    "with underscores": lambda t: f"{t[:4]}_{t[4:]}",
    "with a tab inside": lambda t: f"{t[:4]}\t{t[4:]}",
    "two of them": lambda t: f"{t},{t}",
}
# Malformed signatures, each made from the genuine one.
SIGNATURES: dict[str, Callable[[str], str]] = {
    "empty": lambda sig: "",
    "with another prefix": lambda sig: "v1=" + sig[3:],
    "without a prefix": lambda sig: sig[3:],
    "prefix only": lambda sig: "v0=",
    "not hex": lambda sig: "v0=" + "z" * 64,
    "in capitals": lambda sig: "v0=" + sig[3:].upper(),
    "truncated": lambda sig: sig[:-1],
    "extended": lambda sig: sig + "0",
    "5,000 characters": lambda sig: sig + "0" * 5000,
    "in Arabic-Indic digits": lambda sig: _digits(sig, "٠"),
    "two of them": lambda sig: f"{sig},{sig}",
}


def test_malformed_signature_headers_are_401_and_never_5xx(bot: Bot) -> None:
    before = bot.state()
    press = bot.press("item_revoke", "ana")
    now = str(int(time.time()))
    genuine = sign(press.body, SECRET, now)
    cases: dict[str, dict[str, str | bytes | None]] = {
        "timestamp missing": {**genuine, "X-Slack-Request-Timestamp": None},
        "signature missing": {**genuine, "X-Slack-Signature": None},
        "both missing": {"X-Slack-Signature": None, "X-Slack-Request-Timestamp": None},
        "both empty": {"X-Slack-Signature": "", "X-Slack-Request-Timestamp": ""},
    }
    for name, make in TIMESTAMPS.items():
        value = make(now)
        cases[f"timestamp {name}"] = {
            **sign(press.body, SECRET, value),
            "X-Slack-Request-Timestamp": value.encode(),  # UTF-8: http.client would refuse non-Latin-1
        }
    for name, make in SIGNATURES.items():
        cases[f"signature {name}"] = {
            **genuine,
            "X-Slack-Signature": make(genuine["X-Slack-Signature"]).encode(),
        }
    answers = {name: bot.slack.send(press, headers=headers).status for name, headers in cases.items()}
    assert answers == dict.fromkeys(answers, 401)
    assert settled(bot) == before
    assert bot.slack.send(press, headers=genuine).status == 200  # the control: the same, well formed


def test_duplicated_signature_headers_are_refused(bot: Bot) -> None:
    press = bot.press("item_revoke", "ben")
    signed = sign(press.body, SECRET, int(time.time()))
    base = [("Content-Type", FORM)]
    timestamp = ("X-Slack-Request-Timestamp", signed["X-Slack-Request-Timestamp"])
    signature = ("X-Slack-Signature", signed["X-Slack-Signature"])
    forged = ("X-Slack-Signature", "v0=" + "0" * 64)
    before = bot.state()
    for headers in (  # the server joins repeated headers with ",": never a timestamp or signature
        [*base, timestamp, timestamp, signature],
        [*base, timestamp, signature, signature],
        [*base, timestamp, timestamp, signature, signature],
        [*base, timestamp, forged, signature],
        [*base, timestamp, signature, forged],
    ):
        assert bot.slack.post(press.body, headers).status == 401, headers
    assert settled(bot) == before
    assert bot.slack.post(press.body, [*base, timestamp, signature]).status == 200  # the control
    eventually(lambda: _assert_equal(bot.item("ben").status, ItemStatus.REVOKED))


# ---- replays ---------------------------------------------------------------------------------------------
def test_a_retried_or_replayed_event_is_processed_once(bot: Bot) -> None:
    olu = bot.users["olu"]
    event = bot.sim.payloads().app_home_opened(olu, event_id="Ev0AUTHENTIC1")
    first = bot.slack.send(event)
    assert first.status == 200
    eventually(lambda: _assert_equal(publishes(bot), 1))
    assert bot.slack.send(event.retry(1, "http_timeout")).status == 200
    assert bot.slack.send(event.retry(2, "connection_failed")).status == 200
    assert bot.slack.replay(first).status == 200  # the very same bytes and headers, inside the window
    time.sleep(0.3)
    assert publishes(bot) == 1
    with Session(bot.engine) as session:
        assert [e.event_id for e in session.exec(select(ChatEvent)).all()] == ["Ev0AUTHENTIC1"]
    # another event id is another event
    assert bot.slack.send(bot.sim.payloads().app_home_opened(olu, event_id="Ev0AUTHENTIC2")).status == 200
    eventually(lambda: _assert_equal(publishes(bot), 2))


def test_a_replayed_press_is_one_decision(bot: Bot) -> None:
    first = bot.slack.send(bot.press("item_keep", "ana"))
    assert first.status == 200
    assert bot.slack.replay(first).status == 200
    eventually(lambda: _assert_equal(bot.item("ana").status, ItemStatus.KEPT))
    assert settled(bot)["Decision"] == 1


# ---- the raw body ----------------------------------------------------------------------------------------
def test_a_slash_command_is_verified_on_its_raw_bytes(bot: Bot) -> None:
    command = bot.sim.payloads().slash_command(
        bot.users["adm"], "/recertify", f'who-can-access payroll at "{TRICKY}"'
    )
    for raw in (b"+", b"%2A", b"%C3%AB"):  # what Slack sent for " ", "*" and "ë"
        assert raw in command.body
    before = bot.state()
    # the same form, re-encoded as another client might (%20 for spaces; "*" or "ë" left bare): the
    # decoded fields are identical, the bytes are not, and the signature was over the bytes
    for reencoded in (
        command.body.replace(b"+", b"%20"),
        command.body.replace(b"%2A", b"*"),
        command.body.replace(b"%C3%AB", "ë".encode()),
        urlencode(command.payload, quote_via=quote).encode(),
    ):
        assert reencoded != command.body
        assert bot.slack.send(command, body=reencoded).status == 401
    assert settled(bot) == before
    assert bot.slack.send(command).status == 200

    def answered() -> None:
        assert len(bot.sim.responses) == 1
        post = bot.sim.responses[0]
        assert post.status == 200
        assert repr(TRICKY) in post.payload["text"]  # the text arrived intact, and was answered

    eventually(answered)


def test_an_interaction_payload_is_verified_on_its_raw_bytes(bot: Bot) -> None:
    olu = bot.users["olu"]
    assert bot.slack.send(bot.press("item_keep", "gil")).status == 200  # special category: a justification

    def modal_open() -> str:
        views = bot.ws.open_views(olu)
        assert views and views[-1].callback_id == "justify"
        return views[-1].id

    view_id = eventually(modal_open)
    justification = f"{TRICKY} — case officer for the inquiry"
    submit = bot.sim.payloads().view_submission(olu, view_id, {"text": justification})
    for raw in (b"+", b"%2A", b"%C3%AB", b"%F0%9F%99%82"):
        assert raw in submit.body
    before = bot.state()
    for reencoded in (submit.body.replace(b"+", b"%20"), submit.body.replace(b"%2A", b"*")):
        assert bot.slack.send(submit, body=reencoded).status == 401
    assert settled(bot) == before
    assert bot.slack.send(submit).status == 200

    def kept() -> None:
        assert bot.item("gil").status == ItemStatus.KEPT

    eventually(kept)
    with Session(bot.engine) as session:
        decision = session.exec(select(Decision)).one()
    assert decision.justification == justification


# ---- the workspace and the app ---------------------------------------------------------------------------
def test_another_team_or_app_is_refused_and_records_nothing(bot: Bot) -> None:
    adm, olu = bot.users["adm"], bot.users["olu"]
    warm_up(bot)
    before = bot.state()
    for ids in ({"team_id": "T9999"}, {"api_app_id": "A9999"}, {"team_id": "T9999", "api_app_id": "A9999"}):
        payloads = bot.sim.payloads(**ids)
        for outgoing in (
            bot.press("item_revoke", "ana", **ids),
            payloads.slash_command(adm, "/recertify", "held"),
            payloads.app_home_opened(olu),
        ):
            assert bot.slack.send(outgoing).status == 403, (ids, outgoing.kind)
    assert settled(bot) == before
    assert bot.item("ana").status == ItemStatus.PENDING


def test_dispatch_refuses_forgeries_and_other_teams_too(bot: Bot) -> None:
    """`App.dispatch`, as Socket Mode and any other adapter reach the app, without bot/http.py in front."""

    def dispatch(outgoing: Outgoing, secret: str = SECRET) -> int:
        headers: dict[str, str | Sequence[str]] = {
            "Content-Type": outgoing.content_type,
            **sign(outgoing.body, secret, int(time.time())),
        }
        return bot.bolt.dispatch(BoltRequest(body=outgoing.body.decode(), headers=headers)).status

    warm_up(bot)
    before = bot.state()
    assert dispatch(bot.press("item_revoke", "ana"), secret="forged") == 401
    assert dispatch(bot.press("item_revoke", "ana", team_id="T9999")) == 403
    assert dispatch(bot.press("item_revoke", "ana", api_app_id="A9999")) == 403
    assert dispatch(bot.sim.payloads(team_id="T9999").app_home_opened(bot.users["olu"])) == 403
    assert settled(bot) == before
    assert dispatch(bot.press("item_revoke", "ana")) == 200  # the control
    eventually(lambda: _assert_equal(bot.item("ana").status, ItemStatus.REVOKED))


# ---- sizes and shapes ------------------------------------------------------------------------------------
def test_an_oversized_body_is_413_before_it_is_read(bot: Bot) -> None:
    before = bot.state()
    press = bot.press("item_revoke", "ana")
    signed = sign(press.body + b"&padding=" + b"x" * MAX_BODY, SECRET, int(time.time()))
    # Only the headers are sent: the answer comes without the server waiting for (or reading) the body.
    for length in (str(MAX_BODY + 1), "9" * 40, "1e9", "-1", "１０"):
        assert bot.headers_only(length, signed) == 413, length
    assert settled(bot) == before
    # just below the limit, the body is read and verified: refused as unreadable, not too large
    body = b"payload=" + b"x" * (MAX_BODY - 100)
    assert bot.post_signed(body).status == 400


def test_invalid_payloads_are_4xx_never_5xx(bot: Bot) -> None:
    app = bot.ws.app_id
    unknown = {
        "type": "zz_unknown",
        "team": {"id": TEAM},
        "api_app_id": app,
        "user": {"id": bot.users["olu"]},
    }
    forms: dict[str, bytes] = {
        "empty body": b"",
        "a form without payload": b"team_id=T0001&hello=world",
        "payload not JSON": b"payload=%7Bnot+json",
        "payload empty": b"payload=",
        "payload a JSON array": b"payload=" + quote(encode_json([{"type": "block_actions"}])).encode(),
        "payload a JSON string": b"payload=" + quote('"block_actions"').encode(),
        "payload a JSON number": b"payload=42",
        "payload null": b"payload=null",
        "payload of an unknown type": b"payload=" + quote(encode_json(unknown)).encode(),
        "payload without a type": b"payload=" + quote(encode_json({"team": {"id": TEAM}})).encode(),
        "body not UTF-8": b"payload=\xff\xfe",
        "percent-encoded bytes not UTF-8": b"payload=%FF%FE",
    }
    json_bodies: dict[str, bytes] = {
        "JSON not JSON": b"{not json",
        "JSON an array": b"[]",
        "JSON a string": b'"event_callback"',
        "JSON null": b"null",
        "JSON not UTF-8": b'{"type":"event_callback","x":"\xff"}',
        "JSON event of an unknown type": encode_json(
            {
                "type": "event_callback",
                "team_id": TEAM,
                "api_app_id": app,
                "event_id": "Ev0X",
                "event": {"type": "zz"},
            }
        ),
        "JSON deeply nested": b"[" * 100_000 + b"]" * 100_000,
    }
    warm_up(bot)
    before = bot.state()
    answers = {name: bot.post_signed(body).status for name, body in forms.items()}
    answers |= {name: bot.post_signed(body, JSON_TYPE).status for name, body in json_bodies.items()}
    wrong = {name: status for name, status in answers.items() if not 400 <= status < 500}
    assert wrong == {}
    # Unsigned, they are refused as unsigned before anything parses them; so are fields of the wrong type,
    # which Bolt's own code chokes on. (Signed, those can still be a 500 inside Bolt: only the holder of
    # the signing secret, i.e. Slack, could send them, and Slack does not.)
    odd = {
        "payload with odd types": b"payload="
        + quote(encode_json({"type": "block_actions", "team": 7, "user": "x", "actions": "x"})).encode(),
    }
    odd_json = {
        "JSON event that is not an object": encode_json(
            {"type": "event_callback", "team_id": TEAM, "api_app_id": app, "event": ["app_home_opened"]}
        ),
    }
    for body in [*forms.values(), *odd.values()]:
        assert bot.post_signed(body, secret="forged").status == 401, body[:80]
    for body in [*json_bodies.values(), *odd_json.values()]:
        assert bot.post_signed(body, JSON_TYPE, secret="forged").status == 401, body[:80]
    after = settled(bot)  # the signed event of an unknown type has its id noted (it is processed once)
    assert {k: v for k, v in after.items() if k != "ChatEvent"} == {
        k: v for k, v in before.items() if k != "ChatEvent"
    }


# ---- logs ------------------------------------------------------------------------------------------------
def test_logs_hold_no_body_token_or_secret(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)  # Bolt's loggers keep the level they were made with
    marker = "zqxj-personal-data-7731"
    adm, olu = bot.users["adm"], bot.users["olu"]
    command = bot.sim.payloads().slash_command(adm, "/recertify", f"help {marker}")
    assert bot.slack.send(command).status == 200  # processed: answered with the usage, the marker not echoed
    eventually(lambda: _assert_equal(len(bot.sim.responses), 1))
    assert bot.slack.send(command, secret="forged").status == 401
    assert bot.slack.send(command, shift=-1000).status == 401
    assert bot.slack.send(command, body=command.body + b"&x=1").status == 401
    other_team = bot.sim.payloads(team_id="T9999").slash_command(adm, "/recertify", f"help {marker}")
    assert bot.slack.send(other_team).status == 403
    unknown = {"type": "zz_unknown", "team": {"id": TEAM}, "api_app_id": bot.ws.app_id, "note": marker}
    assert 400 <= bot.post_signed(b"payload=" + quote(encode_json(unknown)).encode()).status < 500
    assert 400 <= bot.post_signed(f"payload={marker}".encode()).status < 500
    assert 400 <= bot.post_signed(f'["{marker}"]'.encode(), JSON_TYPE).status < 500
    message_im = bot.sim.payloads().message_im(olu, f"hello {marker}")  # no listener for it
    assert bot.slack.send(message_im).status < 500
    # and a press that makes the bot call Slack with its token
    assert bot.slack.send(bot.press("item_revoke", "ana")).status == 200
    eventually(lambda: _assert_equal(bot.item("ana").status, ItemStatus.REVOKED))
    eventually(lambda: _assert_equal(bool(bot.sim.calls_to("chat.update")), True))
    time.sleep(0.3)
    records = list(caplog.records)
    assert records, "DEBUG logging was captured"
    leaks = []
    for record in records:
        texts = [record.getMessage(), str(record.msg), repr(record.args), record.exc_text or ""]
        if record.exc_info and record.exc_info[1] is not None:
            texts.append(repr(record.exc_info[1]))
        for needle in (SECRET, TOKEN, TOKEN.removeprefix("xoxb-"), marker):
            if any(needle in text for text in texts):
                leaks.append((record.name, needle, record.getMessage()[:200]))
    assert leaks == []


def _assert_equal(got: object, expected: object) -> None:
    assert got == expected
