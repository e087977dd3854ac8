"""The simulator's conversation methods through the real slack_sdk WebClient: DMs, messages and their
Block Kit limits, updates, ephemeral messages, per-channel rate limits, modals, the Home tab, user groups."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from simulators.slack import ChannelLimit, SlackSimulator, SlackWorkspace

TOKEN = "xoxb-test"


class WallClock:
    """Real wall time plus an offset a test moves (trigger ids expire on the workspace's clock)."""

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
    workspace.add_user("ana@dept.example.gov", "Ana", user_id="U0ANA00001")
    workspace.add_user("bo@dept.example.gov", "Bo", deleted=True, user_id="U0BO000001")
    workspace.add_user("cy@dept.example.gov", "Cy", user_id="U0CY000001")
    return workspace


@pytest.fixture
def sim(ws: SlackWorkspace) -> Iterator[SlackSimulator]:
    with SlackSimulator(ws, bot_token=TOKEN, channel_limit=None) as simulator:
        yield simulator


@pytest.fixture
def client(sim: SlackSimulator) -> WebClient:
    return WebClient(token=TOKEN, base_url=sim.api_url, timeout=10)


def refusal(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as failure:
        call()
    data = failure.value.response.data
    assert isinstance(data, dict) and data["ok"] is False
    return data


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def buttons(*elements: dict[str, Any], block_id: str = "decide") -> dict[str, Any]:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def button(action_id: str, value: str, text: str = "Keep") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": text},
    }


def modal(title: str = "Why?", blocks: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "reason",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": blocks
        if blocks is not None
        else [
            {
                "type": "input",
                "block_id": "why",
                "label": {"type": "plain_text", "text": "Reason"},
                "element": {"type": "plain_text_input", "action_id": "text"},
            }
        ],
        **extra,
    }


# --- conversations.open ----------------------------------------------------------------------------------


def test_conversations_open_gives_a_stable_dm_and_slacks_errors(
    client: WebClient, ws: SlackWorkspace
) -> None:
    first = client.conversations_open(users="U0ANA00001")
    assert first.data == {"ok": True, "channel": {"id": "D0ANA00001"}}
    again = client.conversations_open(users="U0ANA00001", return_im=True)
    assert again["no_op"] is True and again["already_open"] is True
    assert again["channel"]["id"] == "D0ANA00001" and again["channel"]["user"] == "U0ANA00001"
    assert again["channel"]["is_im"] is True
    assert refusal(lambda: client.conversations_open(users="U0BO000001"))["error"] == "user_disabled"
    assert refusal(lambda: client.conversations_open(users="U0NOBODY00"))["error"] == "user_not_found"
    assert refusal(lambda: client.conversations_open(users=ws.bot_user_id))["error"] == "cannot_dm_bot"
    assert refusal(lambda: client.api_call("conversations.open"))["error"] == "users_list_not_supplied"
    assert client.conversations_open(channel="D0ANA00001")["channel"]["id"] == "D0ANA00001"
    assert refusal(lambda: client.conversations_open(channel="C0NOPE0000"))["error"] == "channel_not_found"


# --- chat.postMessage / chat.update -----------------------------------------------------------------------


def test_post_to_a_dm_then_update_it_and_read_what_the_user_sees(
    client: WebClient, ws: SlackWorkspace
) -> None:
    dm = client.conversations_open(users="U0ANA00001")["channel"]["id"]
    blocks = [section("*Access to review*"), buttons(button("keep", "item-1"), button("revoke", "item-1"))]
    posted = client.chat_postMessage(channel=dm, text="Access to review", blocks=blocks)
    assert posted["channel"] == dm and posted["message"]["bot_id"] == ws.bot_id
    ts = posted["ts"]
    seconds, micros = ts.split(".")
    assert seconds.isdigit() and len(micros) == 6
    (shown,) = ws.dm_messages("U0ANA00001")
    assert (shown.ts, shown.text, shown.user) == (ts, "Access to review", ws.bot_user_id)
    assert shown.blocks[0]["block_id"] and shown.blocks[0]["text"]["verbatim"] is False  # as Slack stores it
    assert [e["action_id"] for _, e in shown.elements()] == ["keep", "revoke"]

    updated = client.chat_update(channel=dm, ts=ts, text="Kept", blocks=[section("You kept it.")])
    assert updated["ts"] == ts and updated["text"] == "Kept"
    (shown,) = ws.dm_messages("U0ANA00001")
    assert shown.text == "Kept" and [b["type"] for b in shown.blocks] == ["section"]
    assert shown.blocks[0]["text"]["text"] == "You kept it." and shown.edited_ts is not None
    assert shown.edits[0][0] == "Access to review"  # the history is kept for tests
    client.chat_update(channel=dm, ts=ts, text="Kept (text only)")  # blocks left out are kept
    assert ws.dm_messages("U0ANA00001")[0].blocks[0]["text"]["text"] == "You kept it."


def test_a_user_id_posts_to_the_dm_and_timestamps_increase(client: WebClient, ws: SlackWorkspace) -> None:
    answers = [client.chat_postMessage(channel="U0ANA00001", text=f"n{i}") for i in range(5)]
    assert {a["channel"] for a in answers} == {"D0ANA00001"}
    stamps = [a["ts"] for a in answers]
    assert len(set(stamps)) == 5 and stamps == sorted(stamps, key=lambda t: tuple(map(int, t.split("."))))
    assert [m.text for m in ws.dm_messages("U0ANA00001")] == [f"n{i}" for i in range(5)]
    # documented: chat.update wants the DM id, not the user id
    bad = refusal(lambda: client.chat_update(channel="U0ANA00001", ts=stamps[0], text="x"))
    assert bad["error"] == "channel_not_found"


def test_a_deactivated_users_dm_still_takes_messages(client: WebClient, ws: SlackWorkspace) -> None:
    """Slack keeps a deactivated user's conversations and answers ok (python-slack-sdk#1156)."""
    assert client.chat_postMessage(channel="U0BO000001", text="hello")["ok"] is True
    assert [m.text for m in ws.dm_messages("U0BO000001")] == ["hello"]


def test_51_blocks_are_refused_with_slacks_pointer(client: WebClient, ws: SlackWorkspace) -> None:
    assert client.chat_postMessage(
        channel="U0ANA00001", text="t", blocks=[section(f"{i}") for i in range(50)]
    )["ok"]
    data = refusal(
        lambda: client.chat_postMessage(channel="U0ANA00001", text="t", blocks=[section("x")] * 51)
    )
    assert data["error"] == "invalid_blocks"
    assert data["errors"] == ["no more than 50 items allowed [json-pointer:/blocks]"]
    assert data["response_metadata"]["messages"] == [
        "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"
    ]
    assert len(ws.dm_messages("U0ANA00001")) == 1  # nothing stored for the refusal


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([section("x" * 3001)], "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"),
        (
            [buttons(button("keep", "v" * 2001))],
            "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]",
        ),
        (
            [buttons(button("k" * 256, "v"))],
            "must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]",
        ),
        (
            [buttons(*[button(f"b{i}", "v") for i in range(26)])],
            "no more than 25 items allowed [json-pointer:/blocks/0/elements]",
        ),
        (
            [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
        ),
        (
            [section("a", block_id="same"), section("b", block_id="same")],
            "duplicate block_id 'same' [json-pointer:/blocks/1/block_id]",
        ),
    ],
)
def test_block_kit_limits(client: WebClient, blocks: list[dict[str, Any]], pointer: str) -> None:
    data = refusal(lambda: client.chat_postMessage(channel="U0ANA00001", text="t", blocks=blocks))
    assert data["error"] == "invalid_blocks" and pointer in data["errors"]
    assert f"[ERROR] {pointer}" in data["response_metadata"]["messages"]


def test_limits_at_the_edge_are_accepted(client: WebClient) -> None:
    edge = [
        section("x" * 3000),
        buttons(*[button(f"b{i}", "v" * 2000) for i in range(24)], button("k" * 255, "v")),
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
    ]
    assert client.chat_postMessage(channel="U0ANA00001", text="t" * 40_000, blocks=edge)["ok"] is True


def test_message_content_errors(client: WebClient, http_client: httpx.Client) -> None:
    nothing = http_client.post("chat.postMessage", json={"channel": "U0ANA00001"})  # the SDK would warn
    assert nothing.json() == {"ok": False, "error": "no_text"}
    too_long = refusal(lambda: client.chat_postMessage(channel="U0ANA00001", text="t" * 40_001))
    assert too_long["error"] == "msg_too_long"
    unreadable = http_client.post("chat.postMessage", data={"channel": "U0ANA00001", "blocks": "[{nope"})
    assert unreadable.json() == {"ok": False, "error": "invalid_blocks_format"}
    as_form = http_client.post(  # blocks as a JSON string in a form, as Slack documents
        "chat.postMessage", data={"channel": "U0ANA00001", "blocks": json.dumps([section("form")])}
    )
    assert as_form.json()["ok"] is True and as_form.json()["message"]["blocks"][0]["text"]["text"] == "form"


@pytest.fixture
def http_client(sim: SlackSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.api_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as c:
        yield c


def test_channels_unknown_archived_and_not_joined(client: WebClient, ws: SlackWorkspace) -> None:
    joined = ws.add_channel("access-reviews", members=["U0ANA00001"])
    outside = ws.add_channel("random", bot_member=False)
    archived = ws.add_channel("old", archived=True)
    assert client.chat_postMessage(channel=joined, text="hi")["channel"] == joined
    assert [m.text for m in ws.messages(joined)] == ["hi"]
    assert (
        refusal(lambda: client.chat_postMessage(channel="C0NOPE0000", text="x"))["error"]
        == "channel_not_found"
    )
    assert refusal(lambda: client.chat_postMessage(channel=outside, text="x"))["error"] == "not_in_channel"
    assert refusal(lambda: client.chat_postMessage(channel=archived, text="x"))["error"] == "is_archived"


def test_chat_update_errors(client: WebClient, ws: SlackWorkspace) -> None:
    channel = ws.add_channel("access-reviews", members=["U0ANA00001"])
    theirs = ws.post(channel, "a person's message", user="U0ANA00001")
    assert (
        refusal(lambda: client.chat_update(channel=channel, ts=theirs.ts, text="x"))["error"]
        == "cant_update_message"
    )
    missing = refusal(lambda: client.chat_update(channel=channel, ts="1700000000.000001", text="x"))
    assert missing["error"] == "message_not_found"
    ours = client.chat_postMessage(channel=channel, text="ours")["ts"]
    assert refusal(
        lambda: client.chat_update(channel=channel, ts=ours, text="t", blocks=[section("y")] * 51)
    )["error"] == ("invalid_blocks")
    ws.update_channel(channel, archived=True)
    assert refusal(lambda: client.chat_update(channel=channel, ts=ours, text="x"))["error"] == "is_inactive"
    assert ws.message(channel, ours) is not None and ws.message(channel, ours).text == "ours"  # type: ignore[union-attr]


def test_post_ephemeral_is_seen_by_one_user_only(client: WebClient, ws: SlackWorkspace) -> None:
    channel = ws.add_channel("access-reviews", members=["U0ANA00001"])
    answer = client.chat_postEphemeral(channel=channel, user="U0ANA00001", text="only you")
    assert answer["ok"] is True and answer["message_ts"]
    assert ws.messages(channel) == []
    (shown,) = ws.ephemeral_messages("U0ANA00001")
    assert (shown.text, shown.channel, shown.ts) == ("only you", channel, answer["message_ts"])
    assert ws.ephemeral_messages("U0CY000001") == []
    not_there = refusal(lambda: client.chat_postEphemeral(channel=channel, user="U0CY000001", text="x"))
    assert not_there["error"] == "user_not_in_channel"
    unknown = refusal(lambda: client.chat_postEphemeral(channel=channel, user="U0NOBODY00", text="x"))
    assert unknown["error"] == "user_not_found"
    cant = refusal(lambda: client.chat_update(channel=channel, ts=answer["message_ts"], text="x"))
    assert cant["error"] == "message_not_found"  # ephemeral messages cannot be updated


# --- rate limits ------------------------------------------------------------------------------------------


def test_per_channel_limit_answers_429_and_the_retry_handler_waits(ws: SlackWorkspace) -> None:
    with SlackSimulator(ws, bot_token=TOKEN, channel_limit=ChannelLimit(per_second=1.0, burst=2)) as sim:
        client = WebClient(
            token=TOKEN, base_url=sim.api_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)]
        )
        for i in range(3):
            assert client.chat_postMessage(channel="U0ANA00001", text=f"m{i}")["ok"] is True
        assert (
            client.chat_postMessage(channel="U0CY000001", text="other channel")["ok"] is True
        )  # per channel
        statuses = [(c.args["channel"], c.status) for c in sim.calls_to("chat.postMessage")]
        assert statuses == [
            ("U0ANA00001", 200),
            ("U0ANA00001", 200),
            ("U0ANA00001", 429),
            ("U0ANA00001", 200),
            ("U0CY000001", 200),
        ]
        refused, retried = sim.calls_to("chat.postMessage")[2:4]
        assert refused.error == "ratelimited" and retried.at - refused.at >= 1.0
        assert len(ws.dm_messages("U0ANA00001")) == 3


def test_per_channel_limit_retry_after_header(ws: SlackWorkspace) -> None:
    with (
        SlackSimulator(ws, bot_token=TOKEN, channel_limit=ChannelLimit(per_second=0.25, burst=1)) as sim,
        httpx.Client(base_url=sim.api_url, headers={"Authorization": f"Bearer {TOKEN}"}) as http,
    ):
        assert http.post("chat.postMessage", json={"channel": "U0ANA00001", "text": "a"}).status_code == 200
        limited = http.post("chat.postMessage", json={"channel": "D0ANA00001", "text": "b"})  # same DM
        assert limited.status_code == 429 and limited.json() == {"ok": False, "error": "ratelimited"}
        assert limited.headers["Retry-After"] == "4"
        assert len(ws.dm_messages("U0ANA00001")) == 1


# --- views ------------------------------------------------------------------------------------------------


def test_views_open_with_a_fresh_trigger_then_spent_expired_and_unknown(
    sim: SlackSimulator, client: WebClient, ws: SlackWorkspace, wall: WallClock
) -> None:
    trigger = ws.issue_trigger("U0ANA00001")
    opened = client.views_open(trigger_id=trigger, view=modal())
    view = opened["view"]
    assert view["id"].startswith("V") and view["type"] == "modal" and view["callback_id"] == "reason"
    assert view["app_id"] == ws.app_id and view["bot_id"] == ws.bot_id and view["root_view_id"] == view["id"]
    assert view["state"] == {"values": {"why": {"text": {"type": "plain_text_input", "value": None}}}}
    assert [v.id for v in ws.open_views("U0ANA00001")] == [view["id"]]
    assert (
        refusal(lambda: client.views_open(trigger_id=trigger, view=modal()))["error"]
        == "exchanged_trigger_id"
    )
    late = ws.issue_trigger("U0ANA00001")
    wall.offset += 3.5
    assert refusal(lambda: client.views_open(trigger_id=late, view=modal()))["error"] == "expired_trigger_id"
    assert (
        refusal(lambda: client.views_open(trigger_id="1.2.nope", view=modal()))["error"]
        == "invalid_trigger_id"
    )


def test_views_open_checks_the_modal(client: WebClient, ws: SlackWorkspace) -> None:
    long_title = refusal(
        lambda: client.views_open(trigger_id=ws.issue_trigger("U0ANA00001"), view=modal("t" * 25))
    )
    assert long_title["error"] == "invalid_arguments"
    assert long_title["response_metadata"]["messages"] == [
        "[ERROR] failed to match all allowed schemas [json-pointer:/view]",
        "[ERROR] failed to match all allowed schemas [json-pointer:/view/title]",
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]",
    ]
    trigger = ws.issue_trigger("U0ANA00001")
    many = refusal(lambda: client.views_open(trigger_id=trigger, view=modal(blocks=[section("x")] * 101)))
    assert (
        "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"
        in many["response_metadata"]["messages"]
    )
    assert client.views_open(trigger_id=trigger, view=modal(blocks=[section("x")] * 100))["ok"]  # not spent
    home = refusal(
        lambda: client.views_open(
            trigger_id=ws.issue_trigger("U0ANA00001"), view={"type": "home", "blocks": []}
        )
    )
    assert home["error"] == "invalid_arguments"


def test_views_update_and_push(client: WebClient, ws: SlackWorkspace) -> None:
    view = client.views_open(trigger_id=ws.issue_trigger("U0ANA00001"), view=modal(external_id="review-1"))[
        "view"
    ]
    updated = client.views_update(
        view_id=view["id"], hash=view["hash"], view=modal("Thanks", external_id="review-1")
    )
    assert updated["view"]["title"]["text"] == "Thanks" and updated["view"]["hash"] != view["hash"]
    stale = refusal(lambda: client.views_update(view_id=view["id"], hash=view["hash"], view=modal()))
    assert stale["error"] == "hash_conflict"
    by_external = client.views_update(external_id="review-1", view=modal("Again", external_id="review-1"))
    assert by_external["view"]["id"] == view["id"]
    assert refusal(lambda: client.views_update(view_id="V0NOPE0000", view=modal()))["error"] == "not_found"
    pushed = client.views_push(trigger_id=ws.issue_trigger("U0ANA00001"), view=modal("Second"))["view"]
    assert pushed["root_view_id"] == view["id"] and pushed["previous_view_id"] == view["id"]
    assert [v.title for v in ws.open_views("U0ANA00001")] == ["Again", "Second"]
    dup = refusal(
        lambda: client.views_open(
            trigger_id=ws.issue_trigger("U0CY000001"), view=modal(external_id="review-1")
        )
    )
    assert dup["error"] == "duplicate_external_id"


def test_views_publish_stores_the_home_tab(client: WebClient, ws: SlackWorkspace) -> None:
    home = {"type": "home", "blocks": [section("Your reviews: 3")]}
    first = client.views_publish(user_id="U0ANA00001", view=home)["view"]
    assert first["type"] == "home"
    stored = ws.home("U0ANA00001")
    assert (
        stored is not None
        and stored.id == first["id"]
        and stored.blocks[0]["text"]["text"] == "Your reviews: 3"
    )
    second = client.views_publish(
        user_id="U0ANA00001", view={"type": "home", "blocks": [section("None left")]}
    )
    assert second["view"]["id"] == first["id"]  # one Home tab per user
    assert ws.home("U0ANA00001").blocks[0]["text"]["text"] == "None left"  # type: ignore[union-attr]
    assert ws.home("U0CY000001") is None
    stale = refusal(lambda: client.views_publish(user_id="U0ANA00001", hash=first["hash"], view=home))
    assert stale["error"] == "hash_conflict"
    too_many = refusal(
        lambda: client.views_publish(
            user_id="U0ANA00001", view={"type": "home", "blocks": [section("x")] * 101}
        )
    )
    assert too_many["error"] == "invalid_arguments"
    unknown = refusal(lambda: client.views_publish(user_id="U0NOBODY00", view=home))
    assert unknown["error"] == "invalid_arguments"


# --- user groups and tokens -------------------------------------------------------------------------------


def test_usergroups_users_list(client: WebClient, ws: SlackWorkspace) -> None:
    group = ws.add_usergroup("data-owners", members=["U0ANA00001", "U0CY000001"])
    assert group.startswith("S")
    assert client.usergroups_users_list(usergroup=group)["users"] == ["U0ANA00001", "U0CY000001"]
    ws.set_usergroup_members(group, ["U0CY000001"])
    assert client.usergroups_users_list(usergroup=group)["users"] == ["U0CY000001"]
    assert refusal(lambda: client.usergroups_users_list(usergroup="S0NOPE0000"))["error"] == "no_such_subteam"


def test_token_kinds(sim: SlackSimulator) -> None:
    app_client = WebClient(token="xapp-test", base_url=sim.api_url)
    assert refusal(lambda: app_client.chat_postMessage(channel="U0ANA00001", text="x"))["error"] == (
        "not_allowed_token_type"
    )
    bot_client = WebClient(token=TOKEN, base_url=sim.api_url)
    assert (
        refusal(lambda: bot_client.apps_connections_open(app_token=TOKEN))["error"]
        == "not_allowed_token_type"
    )
    no_socket = refusal(lambda: bot_client.apps_connections_open(app_token="xapp-test"))
    assert no_socket["error"] == "not_supported_by_simulator"
