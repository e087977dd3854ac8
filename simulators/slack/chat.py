"""Conversations and messages: conversations.open, chat.postMessage, chat.update, chat.postEphemeral.

As Slack documents them (docs.slack.dev/reference/methods/…):

- `conversations.open` (Tier 3), `users=U…`: the app's DM with that user, `{"channel": {"id": "D…"}}`,
  with `"no_op": true, "already_open": true` once opened (`return_im` gives the whole IM object);
  `channel=D…` resumes one. Errors: `users_list_not_supplied`, `user_not_found`, `user_disabled`
  (deactivated), `cannot_dm_bot`, `channel_not_found`. Several users (a group DM) are not simulated
  (HTTP 501, `not_supported_by_simulator`).
- `chat.postMessage` ("special": about 1 message per second per channel, short bursts allowed, and a
  workspace-wide limit): `channel` is a channel id, a DM id, or a user id (posted to the app's DM with that
  user, and the answer names the "D…" channel). Answers `channel`, `ts` and the stored `message`. Errors:
  `channel_not_found`, `not_in_channel` (the bot is not a member), `is_archived`, `no_text` (neither text
  nor blocks), `msg_too_long` (text over 40,000 characters: Slack documents truncation there, but
  answers msg_too_long in practice, even below it), `invalid_blocks` / `invalid_blocks_format` (see
  `blockkit.py`). A deactivated user's DM still takes messages: Slack keeps the conversation and answers
  ok (slackapi/python-slack-sdk#1156, confirmed by Slack); read `SlackUser.deleted` to know.
- `chat.update` (Tier 3): `channel` must be the conversation id (a user id is `channel_not_found`, as
  documented: "ensure that this value is a DM ID"); `ts` of a message the app posted; `blocks` left out
  keep the message's blocks (documented), `text` left out keeps its text. Errors: `message_not_found`
  (also for ephemeral messages, which cannot be updated), `cant_update_message` (not the app's),
  `is_inactive` (archived channel), `no_text`, `msg_too_long`, `invalid_blocks`.
- `chat.postEphemeral` (Tier 4): `channel` and `user`; answers `message_ts`. Errors: `user_not_found`,
  `user_not_in_channel`, `channel_not_found`, `not_in_channel`, `is_archived`, plus the content errors.

Slack adds a `block_id` to blocks sent without one, `"emoji": true` to plain_text objects and
`"verbatim": false` to mrkdwn ones; the stored (and answered) blocks carry them too.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from simulators.slack.blockkit import TEXT_LIMIT, BlocksFormatError, load_blocks, message_problems
from simulators.slack.methods import ApiError, Call, method
from simulators.slack.model import Json, SlackChannel
from simulators.slack.workspace import SlackWorkspace


@method("conversations.open", tier=3)
def conversations_open(call: Call) -> dict[str, Any]:
    ws = call.workspace
    users, channel_arg = call.optional("users"), call.optional("channel")
    if channel_arg is not None and users is None:
        found = ws.channel(channel_arg)
        if found is None or not found.is_im:
            raise ApiError("channel_not_found")
        return _opened(call, found, already=True)
    if users is None:
        raise ApiError("users_list_not_supplied")
    ids = [u.strip() for u in users.split(",") if u.strip()]
    if len(ids) != 1:
        raise ApiError("not_supported_by_simulator", status=501)
    user = ws.user(ids[0])
    if user is None:
        raise ApiError("user_not_found")
    if user.deleted:
        raise ApiError("user_disabled")
    if user.is_bot:
        raise ApiError("cannot_dm_bot")
    dm = ws.resolve_channel(user.id)
    if dm is None:
        raise ApiError("user_not_found")
    already = dm.opened
    dm.opened = True
    return _opened(call, dm, already=already)


def _opened(call: Call, dm: SlackChannel, *, already: bool) -> dict[str, Any]:
    shown = dm.to_api(call.workspace.created) if call.flag("return_im") else {"id": dm.id}
    return ({"no_op": True, "already_open": True} if already else {}) | {"channel": shown}


@method("chat.postMessage", tier="special", per_minute=300, per_channel=True)
def chat_post_message(call: Call) -> dict[str, Any]:
    ws = call.workspace
    channel = _postable(ws, call.optional("channel"))
    text, blocks = message_content(call.args, require=True)
    if channel.is_im:
        channel.opened = True
    message = ws.store_message(
        channel.id,
        text or "",
        blocks or [],
        user=ws.bot_user_id,
        thread_ts=call.optional("thread_ts"),
        from_app=True,
    )
    return {"channel": channel.id, "ts": message.ts, "message": message.to_api(ws.team_id)}


@method("chat.update", tier=3)
def chat_update(call: Call) -> dict[str, Any]:
    ws = call.workspace
    channel = ws.channel(call.optional("channel") or "")
    if channel is None:
        raise ApiError("channel_not_found")
    ts = call.required("ts")
    message = ws.message(channel.id, ts)
    if message is None or message.deleted or message.ephemeral_to is not None:
        raise ApiError("message_not_found")
    if message.bot_id != ws.bot_id:
        raise ApiError("cant_update_message")
    if channel.is_archived:
        raise ApiError("is_inactive")
    text, blocks = message_content(call.args, require=True)
    message.edits.append((message.text, message.blocks))
    if text is not None:
        message.text = text
    if blocks is not None:
        message.blocks = blocks
    message.edited_ts = ws.next_ts()
    return {
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": message.to_api(ws.team_id),
    }


@method("chat.postEphemeral", tier=4)
def chat_post_ephemeral(call: Call) -> dict[str, Any]:
    ws = call.workspace
    user_id = call.required("user")
    user = ws.user(user_id)
    if user is None:
        raise ApiError("user_not_found")
    channel = _postable(ws, call.optional("channel"))
    if user_id not in channel.members:
        raise ApiError("user_not_in_channel")
    text, blocks = message_content(call.args, require=True)
    message = ws.store_message(
        channel.id,
        text or "",
        blocks or [],
        user=ws.bot_user_id,
        thread_ts=call.optional("thread_ts"),
        from_app=True,
        ephemeral_to=user_id,
        posted_by="chat.postEphemeral",
    )
    return {"message_ts": message.ts}


# ---- shared with the response_url endpoint ------------------------------------------------------------
def message_content(args: Any, *, require: bool) -> tuple[str | None, list[Json] | None]:
    """`text` and `blocks` of a message as Slack checks them; None for an argument not given."""
    text = args.get("text")
    if text is not None and not isinstance(text, str):
        text = str(text)
    blocks: list[Json] | None = None
    raw = args.get("blocks")
    if raw is not None and raw != "":
        try:
            blocks = load_blocks(raw)
        except BlocksFormatError:
            raise ApiError("invalid_blocks_format") from None
        problems = message_problems(blocks)
        if problems:
            raise ApiError(
                "invalid_blocks",
                errors=problems,
                response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
            )
        blocks = normalized_blocks(blocks)
    if require and not text and not blocks:
        raise ApiError("no_text")
    if text is not None and len(text) > TEXT_LIMIT:
        raise ApiError("msg_too_long")
    return text, blocks


def normalized_blocks(blocks: list[Json]) -> list[Json]:
    """The blocks as Slack stores them: a block_id on each block, emoji/verbatim on text objects."""
    out = copy.deepcopy(blocks)
    for i, block in enumerate(out):
        if "block_id" not in block:
            digest = hashlib.sha256(f"{i}:{block!r}".encode()).hexdigest()
            block["block_id"] = digest[:5]
        _mark_text(block)
    return out


def _mark_text(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "plain_text" and isinstance(node.get("text"), str):
            node.setdefault("emoji", True)
        elif node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            node.setdefault("verbatim", False)
        for value in node.values():
            _mark_text(value)
    elif isinstance(node, list):
        for value in node:
            _mark_text(value)


def _postable(ws: SlackWorkspace, channel_arg: str | None) -> SlackChannel:
    channel = ws.resolve_channel(channel_arg) if channel_arg else None
    if channel is None:
        raise ApiError("channel_not_found")
    if channel.is_archived:
        raise ApiError("is_archived")
    if not channel.is_im and ws.bot_user_id not in channel.members:
        raise ApiError("channel_not_found" if channel.is_private else "not_in_channel")
    return channel
