"""Block Kit primitives: Slack's limits, safe text, buttons, confirm dialogs, measuring and fitting.

Everything here is pure (data in, dicts out). Two rules keep user-controlled text harmless:

- mrkdwn text goes through `md()`: `&`, `<` and `>` are escaped (so "<!channel>" or "<https://evil|click>"
  is shown, never parsed) and the text object is `verbatim` (no auto-linking, no mention parsing);
- every field is clipped to its limit with an ellipsis, measured after escaping.

Limits are Slack's documented ones (docs.slack.dev, Block Kit reference). The cumulative text limit of a
message is not documented: Slack answers `msg_blocks_too_long` at about 13,200 characters including block
overhead (slackapi/bolt-js#2509, #2867), so messages are kept to `MESSAGE_TEXT_BUDGET` characters of text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Block = dict[str, Any]

MESSAGE_BLOCKS = 50  # blocks per message
VIEW_BLOCKS = 100  # blocks per modal or App Home view
MESSAGE_TEXT_BUDGET = 11_000  # all text objects of one message; Slack rejects ~13.2k (undocumented)
SECTION_TEXT = 3_000
SECTION_FIELD = 2_000
SECTION_FIELDS = 10
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = 3_000
BUTTON_TEXT = 75
BUTTON_VALUE = 2_000
ACCESSIBILITY_LABEL = 75
ACTION_ID = 255
BLOCK_ID = 255
ACTIONS_ELEMENTS = 25
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30
VIEW_TITLE = 24  # modal title, submit and close labels
PRIVATE_METADATA = 3_000
CALLBACK_ID = 255
PLACEHOLDER = 150
OPTION_TEXT = 75
OPTION_VALUE = 150
INPUT_LABEL = 2_000
INPUT_HINT = 2_000
FALLBACK_TEXT = 3_000  # our own cap on a message's notification text (Slack's is 40k, truncated past 4k)

ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """One chat.postMessage / chat.update payload: `text` is the notification fallback (mrkdwn, escaped)."""

    text: str
    blocks: list[Block]


def escape(text: str) -> str:
    """Slack's three control characters as entities: what remains cannot form a link or a mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def safe(text: str, limit: int) -> str:
    """User text for mrkdwn: escaped, then clipped to `limit` without cutting an entity in half."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: max(limit - 1, 0)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ELLIPSIS


def md(text: str, limit: int = SECTION_TEXT) -> Block:
    """A mrkdwn text object from text already made safe (our markup around `safe()` pieces)."""
    return {"type": "mrkdwn", "text": clip(text, limit), "verbatim": True}


def plain(text: str, limit: int) -> Block:
    """A plain_text object: Slack shows it as typed (no links, no mentions), so it is only clipped."""
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def section(text: str, *, accessory: Block | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": md(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = _id(block_id, BLOCK_ID)
    return block


def fields_section(fields: Sequence[str]) -> Block:
    """A two-column section of up to ten mrkdwn fields (already safe)."""
    return {"type": "section", "fields": [md(f, SECTION_FIELD) for f in fields[:SECTION_FIELDS]]}


def context(*texts: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "context", "elements": [md(t, CONTEXT_TEXT) for t in texts[:CONTEXT_ELEMENTS]]}
    if block_id is not None:
        block["block_id"] = _id(block_id, BLOCK_ID)
    return block


def divider() -> Block:
    return {"type": "divider"}


def actions(elements: Sequence[Block], *, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements[:ACTIONS_ELEMENTS])}
    if block_id is not None:
        block["block_id"] = _id(block_id, BLOCK_ID)
    return block


def confirm(title: str, text: str, yes: str, no: str = "Cancel", *, danger: bool = False) -> Block:
    """A confirmation dialog; every part is plain text, so user text in it needs no escaping."""
    dialog: Block = {
        "title": plain(title, CONFIRM_TITLE),
        "text": plain(text, CONFIRM_TEXT),
        "confirm": plain(yes, CONFIRM_BUTTON),
        "deny": plain(no, CONFIRM_BUTTON),
    }
    if danger:
        dialog["style"] = "danger"
    return dialog


def button(
    label: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm_with: Block | None = None,
    accessibility_label: str | None = None,
) -> Block:
    if len(value) > BUTTON_VALUE:
        raise ValueError(f"a button value is at most {BUTTON_VALUE} characters")
    element: Block = {
        "type": "button",
        "text": plain(label, BUTTON_TEXT),
        "action_id": _id(action_id, ACTION_ID),
        "value": value,
    }
    if style is not None:
        element["style"] = style
    if confirm_with is not None:
        element["confirm"] = confirm_with
    if accessibility_label:
        element["accessibility_label"] = clip(accessibility_label, ACCESSIBILITY_LABEL)
    return element


def option(label: str, value: str) -> Block:
    return {"text": plain(label, OPTION_TEXT), "value": _id(value, OPTION_VALUE)}


def utc(moment: datetime) -> str:
    """A time as reviewers read it: minutes, always UTC. Naive times are refused, never guessed."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: expected timezone-aware UTC")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def day(iso: str) -> str:
    """The UTC date of an ISO time (what "last used" needs); text that is not one is shown as it is."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.date().isoformat()


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def text_length(node: Any) -> int:
    """All characters of all text objects under `node` (labels, confirm dialogs and options included)."""
    if isinstance(node, Mapping):
        own = len(node["text"]) if node.get("type") in ("plain_text", "mrkdwn") else 0
        return own + sum(text_length(value) for value in node.values() if not isinstance(value, str))
    if isinstance(node, list | tuple):
        return sum(text_length(value) for value in node)
    return 0


def fit(
    head: Sequence[Block],
    units: Iterable[Sequence[Block]],
    total: int,
    more: Callable[[int], str],
    *,
    max_blocks: int = MESSAGE_BLOCKS,
    max_text: int | None = MESSAGE_TEXT_BUDGET,
) -> list[Block]:
    """`head`, then whole units (an item is never split) while they fit, then a context block saying
    `more(left)` when some are left. `total` is how many units `units` yields; room for that last block is
    always kept."""
    blocks = list(head)
    used = text_length(blocks)
    reserve_text = text_length(context(more(total)))
    shown = 0
    for unit in units:
        unit_text = text_length(unit)
        over_text = max_text is not None and used + unit_text + reserve_text > max_text
        if len(blocks) + len(unit) + (1 if shown + 1 < total else 0) > max_blocks or over_text:
            break
        blocks.extend(unit)
        used += unit_text
        shown += 1
    if shown < total:
        blocks.append(context(more(total - shown)))
    return blocks


def _id(value: str, limit: int) -> str:
    if not value or len(value) > limit:
        raise ValueError(f"an id must have 1 to {limit} characters: {value[:40]!r}")
    return value
