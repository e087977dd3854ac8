"""Pure Block Kit builders: what reviewers, admins and auditors see in Slack. Data in, dicts out, no I/O.

The reviewer digest lives here; App Home and the justification modal in `blocks_views`, the admin and
auditor answers in `blocks_admin`, the shared primitives in `blocks_kit` and one item in `blocks_items`.
Import any of them from here.

Conventions a handler relies on (all values come back from the client: parse them, never trust them;
who may decide is settled by the use case, and which page a message is comes from the bot's own record of
what it posted, reviews.campaigns.posted, never from these ids):

| what | action_id / callback_id | block_id | value |
|---|---|---|---|
| keep one item | `item_keep` | `item:{item_id}` | `{item_id}` |
| revoke one item | `item_revoke` | `item:{item_id}` | `{item_id}` |
| accept all recommendations | `bulk_accept` | `bulk:{campaign_id}` | `{campaign_id}:{reviewer_email}` |
| keep all | `bulk_keep` | `bulk:{campaign_id}` | `{campaign_id}:{reviewer_email}` |
| a digest page (shown, never read back) | | `page:{campaign_id}:{k}:{n}` (footer) | |
| justification modal | `justify` | `justification` / action `text` | |
| delegate (App Home) | `set_delegate`, `delegate_days`, `clear_delegate` | `delegate` | days `7`/`14`/`30` |
| approve a held revocation | `approve_held` | `held:{revocation_id}` | `{revocation_id}` |
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.blocks_admin import (
    APPROVE_HELD,
    access_blocks,
    campaigns_list_blocks,
    held_revocations_blocks,
    history_blocks,
    parse_revocation_value,
    status_blocks,
)
from bot.blocks_items import (
    DECISION_TEXT_RESERVE,
    ITEM_KEEP,
    ITEM_REVOKE,
    item_blocks,
    item_ids,
    item_text,
    parse_item_value,
)
from bot.blocks_kit import (
    MESSAGE_BLOCKS,
    MESSAGE_TEXT_BUDGET,
    Block,
    SlackMessage,
    actions,
    button,
    confirm,
    context,
    escape,
    header,
    plural,
    safe,
    section,
    text_length,
    utc,
)
from bot.blocks_views import (
    CLEAR_DELEGATE,
    DELEGATE_DAYS,
    JUSTIFICATION_ACTION,
    JUSTIFICATION_BLOCK,
    JUSTIFY_CALLBACK,
    SET_DELEGATE,
    home_view,
    justification_modal,
)
from reviews.ports import ItemView, ReviewerMessage
from reviews.storage.models import ItemStatus

__all__ = [
    "APPROVE_HELD",
    "BULK_ACCEPT",
    "BULK_KEEP",
    "CLEAR_DELEGATE",
    "DELEGATE_DAYS",
    "ITEM_KEEP",
    "ITEM_REVOKE",
    "JUSTIFICATION_ACTION",
    "JUSTIFICATION_BLOCK",
    "JUSTIFY_CALLBACK",
    "SET_DELEGATE",
    "PageRef",
    "SlackMessage",
    "access_blocks",
    "bulk_counts",
    "campaigns_list_blocks",
    "digest_pages",
    "held_revocations_blocks",
    "history_blocks",
    "home_view",
    "item_blocks",
    "item_ids",
    "justification_modal",
    "parse_bulk_value",
    "parse_item_value",
    "parse_revocation_value",
    "status_blocks",
    "updated_page",
]

BULK_ACCEPT = "bulk_accept"
BULK_KEEP = "bulk_keep"

_BULK = re.compile(r"([1-9][0-9]{0,17}):(.*)", re.DOTALL)
_StoreKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class PageRef:
    """Which digest page a message is and the items it shows, as the bot recorded posting it."""

    campaign_id: int
    page: int
    pages: int
    item_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class BulkCounts:
    """What the bulk buttons would decide (the rules of reviews.campaigns.bulk, counted ahead)."""

    pending: int
    accept: int  # decided by "accept all recommendations"
    accept_revokes: int
    keep: int  # decided by "keep all"


def digest_pages(
    message: ReviewerMessage, *, max_blocks: int = MESSAGE_BLOCKS, max_text: int = MESSAGE_TEXT_BUDGET
) -> list[SlackMessage]:
    """The digest (or reminder, or escalation) for one reviewer and one campaign, as few messages as fit.

    Items are grouped by store; a page never splits an item and stays within `max_blocks` blocks and
    `max_text` characters of text, including room for the item's decided state (so `updated_page` fits
    too). Each page says "Page k of n"; the bulk buttons are on the last page only.
    """
    ordered = _ordered(message.items)
    chunks = _paginate(message, ordered, max_blocks, max_text)
    return [_page(message, ordered, chunk, k, len(chunks)) for k, chunk in enumerate(chunks, 1)]


def updated_page(message: ReviewerMessage, ref: PageRef) -> SlackMessage:
    """Page `ref` again, after decisions: the same items (those of `ref.item_ids` still in `message`), in
    their new states, for chat.update. `message` carries every item of the page's delivery the person still
    holds (reviews.campaigns.posted.page_message), so the header and the bulk counts are current."""
    by_id = {view.item_id: view for view in message.items}
    shown = {item_id for item_id in ref.item_ids if item_id in by_id}
    ordered = _ordered(message.items)
    chunk = [view for view in ordered if view.item_id in shown]
    return _page(message, ordered, chunk, ref.page, ref.pages)


def bulk_value(campaign_id: int, reviewer_email: str) -> str:
    return f"{campaign_id}:{reviewer_email}"


def parse_bulk_value(value: str) -> tuple[int, str]:
    """(campaign id, reviewer email) from a bulk button. The email says whose digest it was; it grants
    nothing (the use case decides for the person who clicked). Raises ValueError when malformed."""
    found = _BULK.fullmatch(value)
    if not found:
        raise ValueError(f"not a bulk value: {value[:40]!r}")
    return int(found.group(1)), found.group(2)


def bulk_counts(items: Sequence[ItemView]) -> BulkCounts:
    pending = [view for view in items if view.status == ItemStatus.PENDING]
    revokes = sum(1 for view in pending if view.recommendation == "revoke")
    keeps = sum(1 for view in pending if view.recommendation == "keep" and not view.justification_required)
    keep_all = sum(1 for view in pending if not view.justification_required)
    return BulkCounts(len(pending), revokes + keeps, revokes, keep_all)


def _ordered(items: Sequence[ItemView]) -> list[ItemView]:
    """Items grouped by store (stores by name), in the engine's order within a store."""
    return sorted(items, key=lambda view: (view.store.casefold(), *_store(view)))


def _store(view: ItemView) -> _StoreKey:
    return (view.store, view.store_system, view.store_kind)


def _paginate(
    message: ReviewerMessage, ordered: list[ItemView], max_blocks: int, max_text: int
) -> list[list[ItemView]]:
    """Items into pages, each sized for the frame at its largest (page numbers, bulk buttons)."""
    worst = max(len(ordered), 1)
    frame = _frame(message, worst, worst, worst, with_bulk=True)
    room_blocks, room_text = max_blocks - len(frame), max_text - text_length(frame)
    chunks: list[list[ItemView]] = [[]]
    blocks = text = 0
    for view in ordered:
        current = chunks[-1]
        heading = not current or _store(current[-1]) != _store(view)
        cost_blocks, cost_text = _cost(view, heading=heading)
        if current and (blocks + cost_blocks > room_blocks or text + cost_text > room_text):
            chunks.append([])
            blocks = text = 0
            cost_blocks, cost_text = _cost(view, heading=True)
        chunks[-1].append(view)
        blocks += cost_blocks
        text += cost_text
    return chunks


def _cost(view: ItemView, *, heading: bool) -> tuple[int, int]:
    """Blocks and text an item takes on a page, in whichever state it will ever be shown."""
    text = len(item_text(view)) + DECISION_TEXT_RESERVE
    if heading:
        text += text_length(_store_heading(view, continued=True))
    return 2 + heading, text


def _page(
    message: ReviewerMessage, ordered: list[ItemView], chunk: list[ItemView], page: int, pages: int
) -> SlackMessage:
    counts = bulk_counts(message.items)
    firsts: dict[_StoreKey, int] = {}
    for view in ordered:
        firsts.setdefault(_store(view), view.item_id)
    body: list[Block] = []
    for index, view in enumerate(chunk):
        if index == 0 or _store(chunk[index - 1]) != _store(view):
            continued = firsts[_store(view)] != view.item_id
            body.append(_store_heading(view, continued=continued))
        body.extend(item_blocks(view))
    if not chunk:
        body.append(context("Nothing left on this page."))
    frame = _frame(message, page, pages, counts.pending, with_bulk=page == pages)
    blocks = [*frame[:2], *body, *frame[2:]]
    return SlackMessage(text=_fallback(message, counts.pending, page, pages), blocks=blocks)


def _frame(message: ReviewerMessage, page: int, pages: int, pending: int, *, with_bulk: bool) -> list[Block]:
    """Header and introduction (before the items), bulk buttons and footer (after them)."""
    total = len(message.items)
    due = utc(message.due_at)
    frame = [header(_title(message)), section(_intro(message, pending, due))]
    counts = bulk_counts(message.items)
    if with_bulk and (counts.accept or counts.keep):
        frame.append(_bulk_block(message, counts))
    footer = f"Page {page} of {pages} · {pending:,} of {plural(total, 'item')} to decide · due {due}"
    frame.append(context(footer, block_id=f"page:{message.campaign_id}:{page}:{pages}"))
    return frame


def _title(message: ReviewerMessage) -> str:
    prefix = {"reminder": "Reminder: access review", "escalation": "Escalated: access review"}
    return f"{prefix.get(message.kind, 'Access review')}: {message.campaign}"


def _intro(message: ReviewerMessage, pending: int, due: str) -> str:
    total = len(message.items)
    if pending == 0:
        return f":tada: All {plural(total, 'item')} are decided. Thank you."
    items = plural(pending, "item")
    first = {
        "reminder": f"Reminder: *{items}* still wait for your decision.",
        "escalation": f"Escalated to you because the assigned reviewer did not answer: *{items}* to decide.",
    }.get(message.kind, f"Please review *{items}* of access in *{safe(message.campaign, 300)}*.")
    return f"{first}\nDecide each one by *{due}*: keep what is still needed, revoke what is not."


def _store_heading(view: ItemView, *, continued: bool) -> Block:
    more = " (continued)" if continued else ""
    kind = safe(f"{view.store_system} {view.store_kind}", 150)
    return section(f":file_cabinet: *{safe(view.store, 300)}* · {kind}{more}")


def _bulk_block(message: ReviewerMessage, counts: BulkCounts) -> Block:
    value = bulk_value(message.campaign_id, message.reviewer_email)
    elements = []
    if counts.accept:
        revokes, keeps = counts.accept_revokes, counts.accept - counts.accept_revokes
        left = counts.pending - counts.accept
        text = (
            f"This decides {plural(counts.accept, 'item')} as recommended: {revokes:,} decided revoke, "
            f"{keeps:,} kept. {left:,} left to decide one by one (no recommendation, or a justification "
            "needed)."
        )
        dialog = confirm("Accept all recommendations?", text, "Accept all", danger=counts.accept_revokes > 0)
        elements.append(button("Accept all recommendations", BULK_ACCEPT, value, confirm_with=dialog))
    if counts.keep:
        left = counts.pending - counts.keep
        text = (
            f"This keeps {plural(counts.keep, 'item')} as they are. {left:,} left to decide one by one "
            "(keeping them needs a justification)."
        )
        dialog = confirm("Keep all?", text, "Keep all")
        elements.append(button("Keep all", BULK_KEEP, value, confirm_with=dialog))
    return actions(elements, block_id=f"bulk:{message.campaign_id}")


def _fallback(message: ReviewerMessage, pending: int, page: int, pages: int) -> str:
    what = f"{plural(pending, 'item')} to decide by {utc(message.due_at)}" if pending else "all items decided"
    where = f" (page {page} of {pages})" if pages > 1 else ""
    return f"{escape(_title(message)[:200])} — {what}{where}"
