"""Block Kit as Slack's API checks it: the limits of messages, modals and Home tabs.

`message_problems(blocks)` and `view_problems(view)` return Slack's own complaint lines, each ending in a
JSON pointer ("no more than 50 items allowed [json-pointer:/blocks]"), empty when the payload is accepted.
Methods answer them as Slack does:

- messages (chat.postMessage, chat.update, chat.postEphemeral, response_url): `invalid_blocks`, the lines
  in `errors` and, prefixed "[ERROR] ", in `response_metadata.messages`; a `blocks` argument that is not
  a JSON array of objects: `invalid_blocks_format`;
- views (views.open/push/update/publish): `invalid_arguments` with the lines in
  `response_metadata.messages`, the first being "failed to match all allowed schemas [json-pointer:/view]".

Wording recorded from Slack's answers: "no more than 50 items allowed [json-pointer:/blocks]",
"no more than 100 items allowed [json-pointer:/view/blocks]", "must be less than 3001 characters
[json-pointer:/blocks/0/text/text]" (after "failed to match all allowed schemas
[json-pointer:/blocks/0/text]"),
"must be less than 3001 characters [json-pointer:/view/private_metadata]". Lines for the other limits
follow the same pattern ("must be less than N+1 characters", "no more than N items allowed"); lines for
structural mistakes (missing fields, unknown types, duplicate ids) are the simulator's own wording.

Limits (Block Kit reference): 50 blocks per message, 100 per modal or Home tab; block_id and action_id
255; section text 3,000, section fields 10 of 2,000; header 150; actions 25 elements; context 10
elements; button text 75, value 2,000, url 3,000; select options 100 (text 75, value 150); overflow 2–5
options; checkboxes and radio buttons 10 options; input label and hint 2,000; markdown block 12,000;
image alt_text 2,000 and image_url 3,000; modal title, submit and close 24; private_metadata 3,000;
callback_id and external_id 255; a view's JSON at most 250 kB (`view_too_large`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
VIEW_BYTES = 250_000
TEXT_LIMIT = 40_000  # a message's top-level `text`: beyond it, msg_too_long

Json = dict[str, Any]


class BlocksFormatError(ValueError):
    """The `blocks` argument is not a JSON array of objects: Slack answers invalid_blocks_format."""


def load_json_arg(value: Any, want: type) -> Any:
    """An argument that Slack takes as JSON: a JSON string (forms, query) or the value itself (JSON
    bodies). Raises ValueError when it is neither."""
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, want):
        raise ValueError(f"expected a JSON {want.__name__}")
    return value


def load_blocks(value: Any) -> list[Json]:
    try:
        blocks = load_json_arg(value, list)
    except ValueError as exc:
        raise BlocksFormatError(str(exc)) from None
    if not all(isinstance(block, dict) for block in blocks):
        raise BlocksFormatError("every block must be an object")
    return blocks


def message_problems(blocks: list[Json]) -> list[str]:
    problems: list[str] = []
    if len(blocks) > MESSAGE_BLOCKS:
        problems.append(f"no more than {MESSAGE_BLOCKS} items allowed [json-pointer:/blocks]")
    _check_blocks(blocks, "/blocks", problems)
    return problems


def view_problems(view: Json, *, allowed_types: tuple[str, ...]) -> list[str]:
    problems: list[str] = []
    kind = view.get("type")
    if kind not in allowed_types:
        problems.append(f"must be one of {', '.join(allowed_types)} [json-pointer:/view/type]")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        problems.append("missing required field: blocks [json-pointer:/view/blocks]")
        blocks = []
    if len(blocks) > VIEW_BLOCKS:
        problems.append(f"no more than {VIEW_BLOCKS} items allowed [json-pointer:/view/blocks]")
    if kind == "modal":
        if "title" not in view:
            problems.append("missing required field: title [json-pointer:/view]")
        for name in ("title", "submit", "close"):
            if name in view and view[name] is not None:
                _text(view[name], f"/view/{name}", 24, problems, plain_only=True)
        if any(b.get("type") == "input" for b in blocks) and not view.get("submit"):
            problems.append("must provide submit when input blocks are present [json-pointer:/view/submit]")
    _max_chars(view.get("private_metadata"), 3000, "/view/private_metadata", problems)
    _max_chars(view.get("callback_id"), 255, "/view/callback_id", problems)
    _max_chars(view.get("external_id"), 255, "/view/external_id", problems)
    _check_blocks(blocks, "/view/blocks", problems)
    if problems:
        problems.insert(0, "failed to match all allowed schemas [json-pointer:/view]")
    return problems


def view_too_large(view: Json) -> bool:
    return len(json.dumps(view, separators=(",", ":")).encode()) > VIEW_BYTES


# ---- blocks -----------------------------------------------------------------------------------------------
def _check_blocks(blocks: list[Json], at: str, problems: list[str]) -> None:
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        here = f"{at}/{i}"
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not block_id:
                problems.append(f"must be a non-empty string [json-pointer:{here}/block_id]")
            else:
                _max_chars(block_id, 255, f"{here}/block_id", problems)
                if block_id in seen:
                    problems.append(f"duplicate block_id {block_id!r} [json-pointer:{here}/block_id]")
                seen.add(block_id)
        kind = block.get("type")
        check = _BLOCKS.get(kind) if isinstance(kind, str) else None
        if check is None:
            what = "missing required field: type" if kind is None else f"unsupported block type {kind!r}"
            problems.append(f"{what} [json-pointer:{here}]")
            continue
        check(block, here, problems)


def _section(block: Json, at: str, problems: list[str]) -> None:
    text, fields = block.get("text"), block.get("fields")
    if text is None and fields is None:
        problems.append(f"must provide either text or fields [json-pointer:{at}]")
    if text is not None:
        _text(text, f"{at}/text", 3000, problems)
    if fields is not None:
        if not isinstance(fields, list):
            problems.append(f"must be an array [json-pointer:{at}/fields]")
        else:
            if len(fields) > 10:
                problems.append(f"no more than 10 items allowed [json-pointer:{at}/fields]")
            for j, item in enumerate(fields):
                _text(item, f"{at}/fields/{j}", 2000, problems)
    if "accessory" in block:
        _element(block["accessory"], f"{at}/accessory", problems)


def _header(block: Json, at: str, problems: list[str]) -> None:
    _text(block.get("text"), f"{at}/text", 150, problems, plain_only=True)


def _actions(block: Json, at: str, problems: list[str]) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        problems.append(f"must provide at least one element [json-pointer:{at}/elements]")
        return
    if len(elements) > 25:
        problems.append(f"no more than 25 items allowed [json-pointer:{at}/elements]")
    for j, element in enumerate(elements):
        _element(element, f"{at}/elements/{j}", problems)


def _context(block: Json, at: str, problems: list[str]) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        problems.append(f"must provide at least one element [json-pointer:{at}/elements]")
        return
    if len(elements) > 10:
        problems.append(f"no more than 10 items allowed [json-pointer:{at}/elements]")
    for j, element in enumerate(elements):
        if isinstance(element, dict) and element.get("type") == "image":
            _image_fields(element, f"{at}/elements/{j}", problems)
        else:
            _text(element, f"{at}/elements/{j}", 3000, problems)


def _image(block: Json, at: str, problems: list[str]) -> None:
    _image_fields(block, at, problems)
    if "title" in block:
        _text(block["title"], f"{at}/title", 2000, problems, plain_only=True)


def _image_fields(block: Json, at: str, problems: list[str]) -> None:
    if "image_url" not in block and "slack_file" not in block:
        problems.append(f"missing required field: image_url [json-pointer:{at}]")
    _max_chars(block.get("image_url"), 3000, f"{at}/image_url", problems)
    if not isinstance(block.get("alt_text"), str):
        problems.append(f"missing required field: alt_text [json-pointer:{at}]")
    _max_chars(block.get("alt_text"), 2000, f"{at}/alt_text", problems)


def _input(block: Json, at: str, problems: list[str]) -> None:
    _text(block.get("label"), f"{at}/label", 2000, problems, plain_only=True)
    if "hint" in block:
        _text(block["hint"], f"{at}/hint", 2000, problems, plain_only=True)
    if not isinstance(block.get("element"), dict):
        problems.append(f"missing required field: element [json-pointer:{at}]")
        return
    _element(block["element"], f"{at}/element", problems)


def _markdown(block: Json, at: str, problems: list[str]) -> None:
    if not isinstance(block.get("text"), str):
        problems.append(f"missing required field: text [json-pointer:{at}]")
    _max_chars(block.get("text"), 12000, f"{at}/text", problems)


def _anything(block: Json, at: str, problems: list[str]) -> None:
    pass  # divider, rich_text, file, video, table: accepted as sent


_BLOCKS: dict[str, Callable[[Json, str, list[str]], None]] = {
    "section": _section,
    "header": _header,
    "actions": _actions,
    "context": _context,
    "divider": _anything,
    "image": _image,
    "input": _input,
    "markdown": _markdown,
    "rich_text": _anything,
    "file": _anything,
    "video": _anything,
    "table": _anything,
}


# ---- elements ---------------------------------------------------------------------------------------------
_ELEMENTS = {
    "button",
    "static_select",
    "multi_static_select",
    "external_select",
    "multi_external_select",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "multi_conversations_select",
    "channels_select",
    "multi_channels_select",
    "overflow",
    "checkboxes",
    "radio_buttons",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
    "image",
    "file_input",
    "workflow_button",
}


def _element(element: Any, at: str, problems: list[str]) -> None:
    if not isinstance(element, dict):
        problems.append(f"must be an object [json-pointer:{at}]")
        return
    kind = element.get("type")
    if kind not in _ELEMENTS:
        what = "missing required field: type" if kind is None else f"unsupported element type {kind!r}"
        problems.append(f"{what} [json-pointer:{at}]")
        return
    if "action_id" in element:
        action_id = element["action_id"]
        if not isinstance(action_id, str) or not action_id:
            problems.append(f"must be a non-empty string [json-pointer:{at}/action_id]")
        else:
            _max_chars(action_id, 255, f"{at}/action_id", problems)
    if kind == "button":
        _text(element.get("text"), f"{at}/text", 75, problems, plain_only=True)
        _max_chars(element.get("value"), 2000, f"{at}/value", problems)
        _max_chars(element.get("url"), 3000, f"{at}/url", problems)
        if element.get("style") not in (None, "primary", "danger"):
            problems.append(f"must be one of primary, danger [json-pointer:{at}/style]")
    elif kind == "image":
        _image_fields(element, at, problems)
    limit = {"overflow": 5, "checkboxes": 10, "radio_buttons": 10}.get(kind, 100)
    if "options" in element:
        _options(
            element["options"], f"{at}/options", limit, problems, at_least=2 if kind == "overflow" else 1
        )
    for j, group in enumerate(element.get("option_groups") or []):
        if isinstance(group, dict):
            _options(group.get("options"), f"{at}/option_groups/{j}/options", 100, problems, at_least=1)
    if "placeholder" in element:
        _text(element["placeholder"], f"{at}/placeholder", 150, problems, plain_only=True)
    if "confirm" in element:
        _confirm(element["confirm"], f"{at}/confirm", problems)


def _options(options: Any, at: str, limit: int, problems: list[str], *, at_least: int) -> None:
    if not isinstance(options, list):
        problems.append(f"must be an array [json-pointer:{at}]")
        return
    if len(options) > limit:
        problems.append(f"no more than {limit} items allowed [json-pointer:{at}]")
    if len(options) < at_least:
        problems.append(f"must provide at least {at_least} items [json-pointer:{at}]")
    for j, option in enumerate(options):
        if not isinstance(option, dict):
            problems.append(f"must be an object [json-pointer:{at}/{j}]")
            continue
        _text(option.get("text"), f"{at}/{j}/text", 75, problems)
        if not isinstance(option.get("value"), str):
            problems.append(f"missing required field: value [json-pointer:{at}/{j}]")
        _max_chars(option.get("value"), 150, f"{at}/{j}/value", problems)


def _confirm(confirm: Any, at: str, problems: list[str]) -> None:
    if not isinstance(confirm, dict):
        problems.append(f"must be an object [json-pointer:{at}]")
        return
    _text(confirm.get("title"), f"{at}/title", 100, problems, plain_only=True)
    _text(confirm.get("text"), f"{at}/text", 300, problems)
    _text(confirm.get("confirm"), f"{at}/confirm", 30, problems, plain_only=True)
    _text(confirm.get("deny"), f"{at}/deny", 30, problems, plain_only=True)


# ---- text -------------------------------------------------------------------------------------------------
def _text(obj: Any, at: str, limit: int, problems: list[str], *, plain_only: bool = False) -> None:
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if not isinstance(obj, dict):
        problems.append(f"missing required field: text object [json-pointer:{at}]")
        return
    if obj.get("type") not in allowed:
        problems.append(f"must be one of {', '.join(allowed)} [json-pointer:{at}/type]")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        problems.append(f"failed to match all allowed schemas [json-pointer:{at}]")
        problems.append(f"must be more than 0 characters [json-pointer:{at}/text]")
    elif len(text) > limit:
        problems.append(f"failed to match all allowed schemas [json-pointer:{at}]")
        problems.append(f"must be less than {limit + 1} characters [json-pointer:{at}/text]")


def _max_chars(value: Any, limit: int, at: str, problems: list[str]) -> None:
    if isinstance(value, str) and len(value) > limit:
        problems.append(f"must be less than {limit + 1} characters [json-pointer:{at}]")
