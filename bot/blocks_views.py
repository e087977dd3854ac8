"""Views: the justification modal and the App Home tab (pending items across campaigns, delegation)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.blocks_items import item_blocks, item_text
from bot.blocks_kit import (
    INPUT_HINT,
    INPUT_LABEL,
    PLACEHOLDER,
    PRIVATE_METADATA,
    VIEW_BLOCKS,
    VIEW_TITLE,
    Block,
    actions,
    button,
    confirm,
    context,
    divider,
    fit,
    header,
    option,
    plain,
    plural,
    safe,
    section,
)
from reviews.campaigns.justification import JUSTIFICATION_MAX
from reviews.ports import ItemView

JUSTIFY_CALLBACK = "justify"
JUSTIFICATION_BLOCK = "justification"
JUSTIFICATION_ACTION = "text"
JUSTIFICATION_MIN = 10  # the modal's own floor; the ceiling is the one enforced where decisions are recorded

SET_DELEGATE = "set_delegate"
DELEGATE_DAYS = "delegate_days"
CLEAR_DELEGATE = "clear_delegate"
DELEGATE_BLOCK = "delegate"
DELEGATION_DAYS = (7, 14, 30)
DEFAULT_DELEGATE_DAYS = DELEGATION_DAYS[0]  # the option the select shows before anyone touches it

_VERBS = {"keep": "Keep", "revoke": "Revoke"}


def justification_modal(item: ItemView, outcome: str, private_metadata: str) -> Block:
    """The modal (callback_id `justify`) asking why, before `outcome` ("keep" or "revoke") is recorded.

    `private_metadata` is handed back on submission (the handler puts the item id and where the click came
    from in it: bot/justification.py); the text is in `justification_text(view["state"]["values"])`, 10 to
    3,000 characters (Slack's client enforces `max_length`; the submission is checked again all the same).
    """
    verb = _VERBS.get(outcome)
    if verb is None:
        raise ValueError(f"outcome must be keep or revoke, not {outcome!r}")
    if len(private_metadata) > PRIVATE_METADATA:
        raise ValueError(f"private_metadata is at most {PRIVATE_METADATA} characters")
    holder = item.holder[:60]
    keep = "Why must this stay open?" if item.exposure else f"Why does {holder} still need this access?"
    question = keep if outcome == "keep" else "Why remove this access?"
    field = {
        "type": "plain_text_input",
        "action_id": JUSTIFICATION_ACTION,
        "multiline": True,
        "min_length": JUSTIFICATION_MIN,
        "max_length": JUSTIFICATION_MAX,
        "placeholder": plain(question, PLACEHOLDER),
    }
    why = (
        "This review cycle requires a written justification for this access, because of the data the store "
        "holds. What you write is recorded in the audit trail with your decision."
    )
    return {
        "type": "modal",
        "callback_id": JUSTIFY_CALLBACK,
        "title": plain(f"Justify: {outcome}", VIEW_TITLE),
        "submit": plain(f"{verb} access", VIEW_TITLE),
        "close": plain("Cancel", VIEW_TITLE),
        "private_metadata": private_metadata,
        "blocks": [
            section(f"You are about to *{outcome}* this access:"),
            section(item_text(item, show_store=True)),
            context(why),
            {
                "type": "input",
                "block_id": JUSTIFICATION_BLOCK,
                "label": plain("Justification", INPUT_LABEL),
                "element": field,
                "hint": plain(
                    f"{JUSTIFICATION_MIN} to {JUSTIFICATION_MAX:,} characters: what the access is used for, "
                    "and until when.",
                    INPUT_HINT,
                ),
            },
        ],
    }


def justification_text(values: Mapping[str, Any]) -> str:
    """The justification from a `justify` submission's `view.state.values` (KeyError when absent)."""
    return str(values[JUSTIFICATION_BLOCK][JUSTIFICATION_ACTION]["value"] or "")


def home_view(
    pending: Sequence[tuple[str, Sequence[ItemView]]], delegate: str | None, delegations_allowed: bool
) -> Block:
    """The App Home tab: the delegate controls, then pending items by campaign (label, items), each with
    Keep / Revoke. Past 100 blocks the rest is summarised as "and N more"."""
    head = [header("Your access reviews"), *_delegation(delegate, delegations_allowed), divider()]
    head.append(header("Waiting for your decision"))
    total = sum(len(items) for _, items in pending)
    if total == 0:
        head.append(section("Nothing waits for your decision. :tada:"))
        return {"type": "home", "blocks": head}
    units = (
        [*([_campaign_heading(label, len(items))] if index == 0 else []), *item_blocks(view, show_store=True)]
        for label, items in pending
        for index, view in enumerate(items)
    )
    blocks = fit(head, units, total, _more_items, max_blocks=VIEW_BLOCKS, max_text=None)
    return {"type": "home", "blocks": blocks}


def delegate_days(values: Mapping[str, Any]) -> int:
    """The chosen duration from a home view's `view.state.values`; the select's initial option when Slack
    sends no state for it (it was never touched). Raises ValueError for anything not offered."""
    selected = values.get(DELEGATE_BLOCK, {}).get(DELEGATE_DAYS, {}).get("selected_option")
    if selected is None:
        return DEFAULT_DELEGATE_DAYS
    return parse_days(str(selected["value"]))


def parse_days(value: str) -> int:
    if value not in {str(days) for days in DELEGATION_DAYS}:
        raise ValueError(f"not an offered delegation length: {value[:20]!r}")
    return int(value)


def _delegation(delegate: str | None, allowed: bool) -> list[Block]:
    blocks = []
    if delegate:
        dialog = confirm("Remove your delegate?", "Your review items come back to you.", "Remove")
        remove = button("Remove", CLEAR_DELEGATE, "clear", confirm_with=dialog)
        blocks.append(section(f"Your reviews currently go to *{safe(delegate, 500)}*.", accessory=remove))
    if not allowed:
        blocks.append(context("Your review cycles do not allow delegation."))
        return blocks
    days = [option(f"{days} days", str(days)) for days in DELEGATION_DAYS]
    choose = confirm(
        "Hand over your reviews?",
        "The person you chose receives your review items and may decide them for the chosen number of days. "
        "Their decisions are recorded under their own name.",
        "Set delegate",
    )
    blocks.append(section("*Away?* Hand your reviews to a colleague for a while: choose how long, then who."))
    select_days = {
        "type": "static_select",
        "action_id": DELEGATE_DAYS,
        "placeholder": plain("How long", PLACEHOLDER),
        "options": days,
        "initial_option": days[0],
    }
    select_user = {
        "type": "users_select",
        "action_id": SET_DELEGATE,
        "placeholder": plain("Choose a delegate", PLACEHOLDER),
        "confirm": choose,
    }
    blocks.append(actions([select_days, select_user], block_id=DELEGATE_BLOCK))
    return blocks


def _more_items(left: int) -> str:
    return f"…and {plural(left, 'more item')}: decide them from your review messages first."


def _campaign_heading(label: str, count: int) -> Block:
    return section(f":clipboard: *{safe(label, 300)}* · {plural(count, 'item')}")
