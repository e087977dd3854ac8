"""What admins and auditors read: `/recertify status`, the campaign list, who-can-access, history, held
revocations.

Ephemeral answers are messages: at most 50 blocks and the message text budget; what does not fit is
counted ("and N more") and left to the CLI.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bot.blocks_items import last_use, safe_path
from bot.blocks_kit import (
    Block,
    button,
    confirm,
    context,
    fields_section,
    fit,
    header,
    plural,
    safe,
    section,
    utc,
)
from reviews.campaigns.views import CampaignSummary
from reviews.exposure import kind_label
from reviews.queries.access import AccessRow
from reviews.queries.history import HistoryEntry

APPROVE_HELD = "approve_held"
HELD_BLOCK_PREFIX = "held:"
_REVOCATION_ID = re.compile(r"[1-9][0-9]{0,17}")


class HeldRow(Protocol):
    """What a held revocation shows (reviews.storage.models.Revocation has it)."""

    @property
    def id(self) -> int | None: ...
    @property
    def system(self) -> str: ...
    @property
    def action(self) -> dict[str, Any]: ...
    @property
    def hold_reason(self) -> str | None: ...
    @property
    def campaign_id(self) -> int | None: ...
    @property
    def review_item_id(self) -> int | None: ...


def status_blocks(summary: CampaignSummary) -> list[Block]:
    """One campaign: its state, dates, population and items by status."""
    closed = utc(summary.closed_at) if summary.closed_at else "not yet"
    by_status = (
        ", ".join(f"{count:,} {safe(status, 40)}" for status, count in summary.items.items()) or "none"
    )
    return [
        header(f"Campaign {summary.id}: {summary.cycle} {summary.period}"),
        fields_section(
            [
                f"*Status*\n{safe(summary.status, 40)}",
                f"*Kind*\n{safe(summary.kind, 40)}",
                f"*Started*\n{utc(summary.started_at)}",
                f"*Due*\n{utc(summary.due_at)}",
                f"*Closed*\n{closed}",
                f"*Population*\n{summary.population_count:,} grants, `{summary.population_sha256[:12]}`",
                f"*Items*\n{by_status}",
                f"*Cycle version*\n{summary.cycle_version}",
            ]
        ),
    ]


def campaigns_list_blocks(summaries: Sequence[CampaignSummary]) -> list[Block]:
    """Campaigns, one line each; past the message limits, "and N more" (the CLI lists them all)."""
    head = [header("Campaigns")]
    if not summaries:
        return [*head, section("No campaigns yet.")]
    units = ([section(_campaign_line(summary))] for summary in summaries)
    return fit(
        head, units, len(summaries), lambda left: f"…and {left:,} more: `recertify campaign list` shows all."
    )


def access_blocks(rows: Sequence[AccessRow], *, title: str = "Who can access") -> list[Block]:
    """`/recertify who-can-access`: one row per grant; past the message limits, "and N more" and the CLI."""
    head = [header(title), context(f"{plural(len(rows), 'grant')}, read-only.")]
    if not rows:
        return [*head, section("Nobody, in the recorded inventory.")]
    units = ([section(_access_line(row))] for row in rows)
    return fit(head, units, len(rows), lambda left: f"…and {left:,} more; use the CLI for the full list.")


def history_blocks(entries: Sequence[HistoryEntry], *, subject: str, cli: str) -> list[Block]:
    """`/recertify history`: newest first; past the message limits, "and N earlier" and the CLI command
    that prints them all."""
    head = [
        header(f"History of {subject}"),
        context(f"{plural(len(entries), 'event')}, newest first, read-only."),
    ]
    if not entries:
        return [*head, section("Nothing recorded.")]
    units = ([section(_history_line(entry))] for entry in reversed(entries))
    return fit(
        head, units, len(entries), lambda left: f"…and {left:,} earlier: `{safe(cli, 300)}` prints all."
    )


def held_revocations_blocks(
    rows: Sequence[HeldRow], items: Mapping[int, Sequence[int]] | None = None
) -> list[Block]:
    """Revocations waiting for an admin (over the blast-radius limit, or a change that always needs approval,
    such as an exposure's shared policy), each with Approve (action `approve_held`, value = the
    revocation id) behind a confirmation. `items`: revocation id → the review items its one change ends."""
    head = [header("Revocations waiting for approval")]
    if not rows:
        return [*head, section("Nothing is held.")]
    units = ([_held(row, (items or {}).get(row.id or 0))] for row in rows)
    return fit(
        head, units, len(rows), lambda left: f"…and {left:,} more: `recertify revocations list` shows all."
    )


def parse_revocation_value(value: str) -> int:
    """The revocation id an Approve button carries; ValueError for anything else."""
    if not _REVOCATION_ID.fullmatch(value):
        raise ValueError(f"not a revocation id: {value[:40]!r}")
    return int(value)


def _campaign_line(summary: CampaignSummary) -> str:
    pending = summary.items.get("pending", 0)
    total = sum(summary.items.values())
    name = safe(f"{summary.cycle} {summary.period}", 300)
    state = safe(summary.status, 40)
    return f"*#{summary.id}* {name} · {state} · due {utc(summary.due_at)} · {pending:,} of {total:,} pending"


def _access_line(row: AccessRow) -> str:
    principal = row.principal
    who = f"*{safe(str(principal['name']), 150)}*"
    if principal.get("email"):
        who += f" ({safe(str(principal['email']), 120)})"
    store = f"{safe(str(row.store['name']), 150)} ({safe(str(row.store['system']), 20)})"
    flags = (" · conditional" if row.conditional else "") + (
        " · needs human review" if row.needs_human_review else ""
    )
    until = f" until {safe(row.valid_to, 40)}" if row.valid_to else ""
    first = f"{who} · {safe(str(principal['type']), 30)} → *{safe(row.access, 200)}* on {store}{flags}"
    if row.exposure_sentence:  # what it means first: "anyone on the internet can read benefit-claims"
        marked = " · marked intended by the owner" if row.exposure_intended else ""
        first = (
            f":globe_with_meridians: *{safe(row.exposure_sentence, 700)}* · {safe(str(row.exposure), 20)}"
            f"{marked}{flags}"
        )
    return (
        f"{first}\nThrough: {safe_path(row.path)} · {last_use(row.last_used, row.last_used_source)}"
        f" · since {safe(row.valid_from, 40)}{until}"
    )


def _history_line(entry: HistoryEntry) -> str:
    label = entry.exposure or kind_label(entry.principal_type, guest=False)  # public, external, service…
    holder = f" ({safe(entry.person or label or '', 120)})" if entry.person or label else ""
    where = f" · campaign {entry.campaign}" if entry.campaign is not None else ""
    return (
        f"`{utc(entry.at)}` *{safe(entry.event.replace('_', ' '), 40)}* · {safe(entry.store, 150)} · "
        f"{safe(entry.principal, 150)}{holder} · {safe(entry.access, 20)}{where}\n"
        f"by {safe(entry.actor, 150)}: {safe(entry.detail, 900)}"
    )


def _held(row: HeldRow, items: Sequence[int] | None = None) -> Block:
    if row.id is None:
        raise ValueError("a held revocation without an id cannot be approved")
    description = str(row.action["description"])
    reason = safe(row.hold_reason, 500) if row.hold_reason else "no reason recorded"
    shown = list(items) if items else [row.review_item_id] if row.review_item_id is not None else []
    ended = ", ".join(map(str, shown))
    label = "items" if items and len(items) > 1 else "item"
    where = f"campaign {row.campaign_id}, {label} {ended}" if row.campaign_id else "outside a campaign"
    dialog = confirm(
        f"Approve revocation {row.id}?",
        f"This runs at {row.system}: {description}",
        "Approve",
        danger=True,
    )
    approve = button("Approve", APPROVE_HELD, str(row.id), style="danger", confirm_with=dialog)
    text = f"*#{row.id}* {safe(row.system, 20)}: {safe(description, 800)}\nHeld: {reason} ({where})"
    return section(text, accessory=approve, block_id=f"{HELD_BLOCK_PREFIX}{row.id}")
