"""One review item as blocks, and the ids that let a handler find its way back from a click.

An item is two blocks: a section saying what the access is, then either an actions block (Keep / Revoke)
or, once decided, a context block with its final state. That second block carries `block_id="item:{id}"`,
so a handler can list the items a message or view shows from its blocks alone (`item_ids`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.blocks_kit import Block, actions, button, context, day, safe, section
from reviews.outcomes import Outcome, at_decision
from reviews.ports import ItemView
from reviews.storage.models import ItemStatus

ITEM_KEEP = "item_keep"
ITEM_REVOKE = "item_revoke"
ITEM_BLOCK_PREFIX = "item:"

# Per-field caps (after escaping): an item's section stays far below Slack's 3,000 characters.
HOLDER, EMAIL, ACCESS, STORE, PATH, SOURCE, REASON, SENTENCE = 150, 120, 200, 150, 600, 80, 400, 700

# A decided item in a reviewer's message, in the words of reviews.outcomes: what a decision alone can be
# (nothing is revoked when a button is pressed: the change comes later, and "revoked" only once it is gone).
_STATE = {
    Outcome.KEPT.value: ":white_check_mark: *Kept*: the access stays",
    Outcome.DECIDED_REVOKE.value: ":no_entry: *Decided revoke*: the access stays until the change is made "
    "and a sync confirms it gone",
    Outcome.EXPIRED.value: ":hourglass: *Expired*: nobody decided in time; the access is unchanged",
    Outcome.LEFT_TO_A_PERSON.value: ":warning: *Left to a person*: an administrator must act by hand",
}
_UNKNOWN_STATE = 60
# The most text an item's decision block can ever hold: pages are sized for it, so re-rendering a page
# after decisions never pushes it over the message budget.
DECISION_TEXT_RESERVE = max(
    len("Keep (justify)Revoke"), *(len(t) for t in _STATE.values()), 12 + _UNKNOWN_STATE
)
_ITEM_ID = re.compile(r"[1-9][0-9]{0,17}")


def item_blocks(view: ItemView, *, show_store: bool = False) -> list[Block]:
    """The item's section and its decision block. `show_store` when the item is not under a store heading
    (App Home, modals). Pending items get Keep (opens the justification modal when one is required) and
    Revoke (danger); decided ones show their state instead."""
    return [section(item_text(view, show_store=show_store)), decision_block(view)]


def item_text(view: ItemView, *, show_store: bool = False) -> str:
    """What the reviewer needs to decide, as safe mrkdwn: person, access, path, last use, recommendation.
    An exposure leads with what it means ("anyone on the internet can read benefit-claims"): the sentence
    says who and what, so it replaces the holder and access lines."""
    if view.exposure:
        lines = [f":globe_with_meridians: *{safe(view.exposure, SENTENCE)}*"]
    else:
        person = f"*{safe(view.holder, HOLDER)}*"
        if view.holder_email:
            person += f" ({safe(view.holder_email, EMAIL)})"
        lines = [person]
    if show_store:
        lines.append(f"Store: *{safe(view.store, STORE)}* ({safe(_kind(view), STORE)})")
    if not view.exposure:
        lines.append(f"Access: *{safe(view.access, ACCESS)}*")
    if view.path:
        lines.append(f"Through: {safe_path(view.path)}")
    used = last_use(view.last_used, view.last_used_source)
    lines.append(used[:1].upper() + used[1:])  # "Used 2026-03-01 (…)" or "Last use unknown"
    lines.append(recommendation_line(view))
    if view.justification_required and view.status == ItemStatus.PENDING:
        lines.append(":memo: Keeping this access needs a written justification.")
    return "\n".join(lines)


def decision_block(view: ItemView) -> Block:
    """Keep / Revoke while pending; the final state once decided. Either way `block_id="item:{id}"`."""
    block_id = f"{ITEM_BLOCK_PREFIX}{view.item_id}"
    if view.status != ItemStatus.PENDING:
        return context(state_text(view.status), block_id=block_id)
    value = str(view.item_id)
    who = view.holder[:40]
    keep = "Keep (justify)" if view.justification_required else "Keep"
    return actions(
        [
            button(keep, ITEM_KEEP, value, accessibility_label=f"Keep the access of {who}"),
            button(
                "Revoke",
                ITEM_REVOKE,
                value,
                style="danger",
                accessibility_label=f"Revoke the access of {who}",
            ),
        ],
        block_id=block_id,
    )


def state_text(status: str) -> str:
    """The outcome of a decided item (by its status), as safe mrkdwn."""
    try:
        word = at_decision(status).value
    except ValueError:
        word = status
    return _STATE.get(word) or f"*Decided*: {safe(word, _UNKNOWN_STATE)}"


def safe_path(path: Sequence[str]) -> str:
    return safe(" → ".join(path), PATH) if path else "direct"


def last_use(last_used: str | None, source: str | None) -> str:
    """ "used 2026-03-01 (iam:service-last-accessed)" or "last use unknown"."""
    if last_used is None:
        return "last use unknown"
    return f"used {safe(day(last_used), 40)} ({safe(source or 'source not recorded', SOURCE)})"


def recommendation_line(view: ItemView) -> str:
    said = view.recommendation_reason
    if view.exposure and said.startswith(view.exposure):  # the item's first line already says it
        said = said.removeprefix(view.exposure).lstrip(",; ").removeprefix("and ")
    reason = safe(said, REASON) if said else ""
    if view.recommendation is None:
        return f"Recommendation: none, your call{f' ({reason})' if reason else ''}"
    line = f"Recommendation: *{safe(view.recommendation, 20)}*"
    return f"{line}: {reason}" if reason else line


def item_ids(blocks: Sequence[Mapping[str, Any]]) -> list[int]:
    """The items a message or view shows, in order, read from the `item:{id}` block ids."""
    found = (item_id_from_block_id(str(block.get("block_id", ""))) for block in blocks)
    return [item_id for item_id in found if item_id is not None]


def item_id_from_block_id(block_id: str) -> int | None:
    if not block_id.startswith(ITEM_BLOCK_PREFIX):
        return None
    rest = block_id.removeprefix(ITEM_BLOCK_PREFIX)
    return int(rest) if _ITEM_ID.fullmatch(rest) else None


def parse_item_value(value: str) -> int:
    """The item id a Keep / Revoke button carries. Raises ValueError for anything but a positive id: the
    value comes back from the client and is checked like any input (authority is decided by the use case)."""
    if not _ITEM_ID.fullmatch(value):
        raise ValueError(f"not an item id: {value[:40]!r}")
    return int(value)


def _kind(view: ItemView) -> str:
    return f"{view.store_system} {view.store_kind}"
