"""The response URLs the simulator hands the bot with interactions and commands, served by the simulator.

As Slack documents them (docs.slack.dev/interactivity/handling-user-interaction#message_responses): POST
a JSON message (`text`, `blocks`, `thread_ts`) with `response_type` "ephemeral" (the default) or
"in_channel", or `replace_original: true` to change the message the user acted on (ephemeral or not), or
`delete_original: true` to delete it; a URL may be used "up to five times within 30 minutes".

Answers, following Slack's incoming-webhook conventions (the response URL's own answers are not
documented): 200 `ok` (text/html); 400 `invalid_payload` (not a JSON object), `no_text`, `invalid_blocks`
(with the reasons on following lines), `msg_too_long`; 404 `no_service` (a URL never issued), `expired_url`
(after 30 minutes), `used_url` (a sixth use). Every post is recorded (`sim.responses`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from simulators.slack.chat import message_content
from simulators.slack.methods import ApiError
from simulators.slack.workspace import SlackWorkspace

PREFIXES = ("/actions/", "/commands/")


@dataclass
class ResponsePost:
    """One POST to a response URL, as recorded."""

    url_key: str  # "actions/T…/…" or "commands/T…/…"
    payload: dict[str, Any]  # the JSON the bot posted ({} when unreadable)
    at: float  # the simulator's clock
    status: int = 0
    answer: str = ""
    effect: dict[str, Any] = field(default_factory=dict)  # what changed: {"posted"|"replaced"|"deleted": ts}


def respond(ws: SlackWorkspace, key: str, body: bytes, record: ResponsePost) -> tuple[int, str]:
    with ws.lock:
        found = ws.response_url(key)
        if found is None:
            return 404, "no_service"
        refused = ws.response_url_state(found)
        if refused is not None:
            return 404, refused
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return 400, "invalid_payload"
        if not isinstance(payload, dict):
            return 400, "invalid_payload"
        record.payload = payload
        original = (
            ws.message(found.channel_id, found.message_ts)
            if found.channel_id is not None and found.message_ts is not None
            else None
        )
        if payload.get("delete_original") is True:
            found.uses += 1
            if original is not None and not original.deleted:
                original.deleted = True
                record.effect = {"deleted": original.ts}
            return 200, "ok"
        try:
            text, blocks = message_content(payload, require=True)
        except ApiError as exc:
            lines = [exc.error, *exc.extra.get("errors", [])]
            return 400, "\n".join(lines)
        found.uses += 1
        if payload.get("replace_original") is True and original is not None and not original.deleted:
            original.edits.append((original.text, original.blocks))
            original.text = text or ""
            original.blocks = blocks or []
            original.edited_ts = ws.next_ts()
            record.effect = {"replaced": original.ts}
            return 200, "ok"
        if found.channel_id is None:
            return 404, "no_service"
        in_channel = payload.get("response_type") == "in_channel"
        thread_ts = payload.get("thread_ts")
        message = ws.store_message(
            found.channel_id,
            text or "",
            blocks or [],
            user=ws.bot_user_id,
            thread_ts=thread_ts if isinstance(thread_ts, str) else None,
            from_app=True,
            ephemeral_to=None if in_channel else found.user_id,
            posted_by="response_url",
        )
        record.effect = {"posted": message.ts}
        return 200, "ok"
