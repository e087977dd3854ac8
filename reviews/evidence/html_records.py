"""The report's sections item by item: what was reviewed (with the evidence of use), who decided what, and
the campaign's history as the audit chain recorded it. The item table is split in two (what was reviewed;
who decided what) so that every column fits a printed page.
"""

from __future__ import annotations

from reviews.evidence.collect import Evidence
from reviews.evidence.html_table import render_table
from reviews.evidence.model import EvidenceRow


def items_section(rows: list[EvidenceRow]) -> str:
    headers = ["item", "store", "principal", "person", "access", "path", "recommendation", "evidence"]
    body = [
        [
            r.item_id,
            r.store_name,
            r.principal_name,
            r.person,
            r.access,
            " > ".join(r.path),
            f"{r.recommendation or 'none'}: {r.recommendation_reason}",
            _evidence(r),
        ]
        for r in rows
    ]
    table = render_table(headers, body)
    return f'<section id="items"><h2>Every item: what was reviewed ({len(rows)})</h2>{table}</section>'


def _evidence(row: EvidenceRow) -> str:
    if row.evidence_bound == "last_sign_in":
        signed_in = row.evidence_last_sign_in_at or "never"
        # when read: the bound holds up to then
        signed_in += f" as of {row.evidence_observed_until or 'an unrecorded time'}"
        return f"{row.evidence_source}; use not measured; last sign-in {signed_in} (an upper bound on use)"
    used = row.evidence_last_used_at or "no use seen"
    return f"{row.evidence_source or 'no source'}; last used {used}; {_window(row)}"


def _window(row: EvidenceRow) -> str:
    """The observation window, its unknown bounds said in words."""
    start, end = row.evidence_window_start, row.evidence_window_end
    if start is None and end is None:
        return "observation window not recorded"
    if start is None:
        return f"observed up to {end} (start of the window not recorded)"
    if end is None:
        return f"observed from {start} (end of the window not recorded)"
    return f"window {start} to {end}"


def decisions_section(rows: list[EvidenceRow]) -> str:
    headers = ["item", "principal", "reviewer (asked first → last)", "assigned as", "stage", "outcome",
               "decision", "via", "by", "decided at", "justification", "delivery", "revocation"]  # fmt: skip
    body = [
        [
            r.item_id,
            r.principal_name,
            _reviewers_asked(r),
            r.reviewer_source,
            r.stage,
            r.outcome,
            r.decision,
            r.decided_via,
            f"{r.decided_by} for {r.on_behalf_of}" if r.on_behalf_of else r.decided_by,
            r.decided_at,
            r.justification,
            r.delivery_status,
            r.revocation_state,
        ]
        for r in rows
    ]
    return (
        f'<section id="decisions"><h2>Every item: who decided what ({len(rows)})</h2>'
        f"{render_table(headers, body)}</section>"
    )


def _reviewers_asked(row: EvidenceRow) -> str | None:
    """The reviewer asked first, and the last one when the item moved (escalation, a later stage)."""
    if row.first_reviewer and row.reviewer and row.first_reviewer != row.reviewer:
        return f"{row.first_reviewer} → {row.reviewer}"
    return row.reviewer or row.first_reviewer


def history_section(evidence: Evidence) -> str:
    """Every audit event about the campaign, as the chain recorded it, told one per row (and item)."""
    table = render_table(
        ["seq", "at", "event", "item", "store", "principal", "by", "what the event recorded"],
        [[e.seq, e.at, e.event, e.item, e.store, e.principal, e.actor, e.detail] for e in evidence.history],
        css="history",
    )
    return (
        f'<section id="history"><h2>History: what the audit chain recorded ({len(evidence.history)} '
        "entries)</h2><p>Each row is one audit event (its sequence number in the chain), told from what the "
        "event itself recorded: who was asked and when, each reminder and escalation, each decision, each "
        "step of a revocation. A message that listed several items is one event told once per item. "
        f"<code>recertify audit verify</code> proves these events unaltered.</p>{table}</section>"
    )
