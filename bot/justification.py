"""The justification modal's round trip: what the bot puts in its `private_metadata`, and what a submission
hands back, checked like any input. Pure.

The metadata names the item and the message the Keep was pressed in. Neither grants anything: deciding the
item is authorized by the use case, and the message is redrawn only if the bot's own record says it posted
it to the person who submitted (reviews.campaigns.posted), from that record alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.blocks_views import JUSTIFICATION_MIN, justification_text
from reviews.campaigns.justification import JUSTIFICATION_MAX

_ITEM_ID = re.compile(r"[1-9][0-9]{0,17}")
_KEY = 64  # a channel id or a message ts is far shorter; they are only looked up, never shown


@dataclass(frozen=True, slots=True)
class JustifyTarget:
    item_id: int
    channel: str | None  # where Keep was pressed; None from the App Home
    message_ts: str | None


def modal_metadata(item_id: int, channel: str | None, message_ts: str | None) -> str:
    return json.dumps({"item": item_id, "channel": channel, "ts": message_ts})


def parse_modal_metadata(raw: object) -> JustifyTarget | None:
    """The target of a submission, or None when the metadata is not what `modal_metadata` wrote."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    item, channel, ts = str(data.get("item", "")), data.get("channel"), data.get("ts")
    if not _ITEM_ID.fullmatch(item):
        return None
    if channel is None and ts is None:
        return JustifyTarget(int(item), None, None)
    if _key(channel) and _key(ts):
        return JustifyTarget(int(item), str(channel), str(ts))
    return None


def _key(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _KEY


def submitted_text(values: Mapping[str, Any]) -> str | None:
    """The justification a submission carries, or None when the form's state is not the modal's."""
    try:
        return justification_text(values)
    except (KeyError, TypeError, AttributeError):
        return None


def text_problem(text: str) -> str | None:
    """What is wrong with the text, said for the person typing it; None when it may be recorded."""
    length = len(text.strip())
    if length < JUSTIFICATION_MIN:
        return f"Say why in at least {JUSTIFICATION_MIN} characters."
    if length > JUSTIFICATION_MAX:
        return f"At most {JUSTIFICATION_MAX:,} characters: this is {length:,}. Shorten it and submit again."
    return None
