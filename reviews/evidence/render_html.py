"""The evidence as a report for people: one self-contained HTML file (inline CSS, inline SVG charts, no
script, no font, no link to anything; a Content-Security-Policy forbids loading anything even if a value
slipped through). Every value from the database is escaped.

Sections: the campaign, what the statuses and revocation states mean, completion and timeliness, decisions by
store, public and external access (each exposure as a sentence: "anyone on the internet can read
benefit-claims"), escalations, revocations (revoked, held, failed, undone, in progress, left to a person),
reviewer quality with its rules, every item (what was reviewed, then who decided what), and a sign-off.

It prints: A4 landscape, table headers repeated on every page, rows never split, and cells that wrap (long
ARNs and emails included) so that every column fits the page, and a 1280 px wide window, instead of being
cut off at the right edge. The item table is split in two (what was reviewed; who decided what) for that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape

from reviews.evidence.charts import histogram, stacked_bars
from reviews.evidence.collect import Evidence
from reviews.evidence.model import CampaignFacts, EvidenceRow
from reviews.evidence.quality import BATCH_RULE, FLAG_RULE, WAIT_RULE, QualityReport, wait_seconds
from reviews.evidence.summary import (
    OUTCOMES,
    REVOCATION_STATES,
    by_store,
    completion,
    outcome_counts,
    revocations,
    wait_histogram,
)
from reviews.outcomes import legend

CSS = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#212121;max-width:1400px}
h1{font-size:1.5rem}h2{margin-top:2.5rem;border-bottom:1px solid #ccc}h3{font-size:1rem}
table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0;width:100%}
th,td{border:1px solid #ddd;padding:.2rem .4rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f5f5f5}thead{display:table-header-group}tr{break-inside:avoid}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}
dt{font-weight:600}code{font-size:.8rem;overflow-wrap:anywhere}.flag{background:#fff3e0}
.none{color:#757575;font-style:italic}svg{max-width:100%;height:auto}
table.sign td{height:2.5rem}
@page{size:A4 landscape;margin:12mm}
@media print{body{margin:0;max-width:none;font-size:9pt}table{font-size:7.5pt}h2{break-after:avoid}
h3{break-after:avoid}th{background:#eee;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.flag{-webkit-print-color-adjust:exact;print-color-adjust:exact}#sign-off{break-inside:avoid}}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'"


def render_html(evidence: Evidence, quality: QualityReport) -> bytes:
    campaign, rows = evidence.campaign, list(evidence.rows)
    title = f"Campaign {campaign.id} evidence: {campaign.cycle} v{campaign.cycle_version} ({campaign.period})"
    body = [
        f"<h1>{escape(title)}</h1>",
        _campaign(evidence),
        _legend(),
        _completion(rows, campaign),
        _stores(rows),
        _exposures(rows),
        _escalations(rows),
        _revocations(rows),
        _reviewers(quality),
        _items(rows),
        _decisions(rows),
        _history(evidence),
        _sign_off(evidence),
        f"<footer><p>Read at audit chain head <code>{escape(str(evidence.audit_head))}</code>; check it with "
        "<code>recertify audit verify --expect-head SEQ:HASH</code>.</p></footer>",
    ]
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
    return page.encode("utf-8")


def _campaign(evidence: Evidence) -> str:
    c = evidence.campaign
    facts = [
        ("Campaign", c.id),
        ("Cycle", f"{c.cycle} version {c.cycle_version}"),
        ("Period", c.period),
        ("Kind, status", f"{c.kind}, {c.status}"),
        ("Started", f"{_value(c.started_at)} by {c.started_by}"),
        ("Due", c.due_at),
        ("Closed", f"{_value(c.closed_at)} by {c.closed_by}" if c.closed_at else None),
        ("Population (frozen)", f"{c.population_count} grants"),
        ("Population SHA-256", c.population_sha256),
        ("Audit chain head", str(evidence.audit_head)),
        ("Exported", f"{_value(evidence.exported_at)} by {evidence.exported_by}"),
    ]
    return "<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{_cell(v)}</dd>" for k, v in facts) + "</dl>"


def _legend() -> str:
    outcomes = _table(["outcome", "what it means"], legend())
    states = _table(["revocation state", "what it means"], REVOCATION_STATES.items())
    return (
        '<section id="legend"><h2>What the words mean</h2><h3>Outcome (every count in this report)</h3>'
        f"{outcomes}<p>\u201cRevoked\u201d is said only when a sync no longer finds the access at the "
        "source. One change can end several items (read and write from one group membership): they share "
        f"one revocation.</p><h3>Revocation state (the outbox, for items decided revoke)</h3>{states}"
        "<p>A dash (–) is a value that does not apply or was not recorded.</p></section>"
    )


def _escalations(rows: list[EvidenceRow]) -> str:
    """Items handed to the fallback reviewer: when, from whom (where recorded), to whom, and what followed."""
    found = [r for r in rows if r.escalated_at is not None]
    table = _table(
        ["item", "store", "principal", "escalated at", "from (reviewer before)", "to (fallback reviewer)",
         "escalation message delivered", "outcome", "decision", "by", "why"],
        [
            [r.item_id, r.store_name, r.principal_name, r.escalated_at, r.escalated_from or "not recorded",
             r.reviewer, r.escalation_sent_at or "not delivered", r.outcome, r.decision, r.decided_by,
             r.escalation_reason or "not recorded"]
            for r in found
        ],
    )  # fmt: skip
    return (
        f'<section id="escalations"><h2>Escalations ({len(found)})</h2>'
        "<p>An item goes to the cycle's fallback reviewer when its reviewer stayed silent for the cycle's "
        "days, could not be reached, or let the deadline pass under an escalate policy. The reviewer before "
        "is the one the audit event recorded (\u201cnot recorded\u201d: an escalation at the deadline "
        f"recorded before Recertify kept it).</p>{table}</section>"
    )


def _history(evidence: Evidence) -> str:
    """Every audit event about the campaign, as the chain recorded it, told one per row (and item)."""
    table = _table(
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


def _completion(rows: list[EvidenceRow], campaign: CampaignFacts) -> str:
    done = completion(rows, campaign.due_at)
    segments = [("on time", done.on_time), ("late", done.late), ("by policy", done.by_policy)]
    chart = stacked_bars(
        "Items by who decided and when", [("all items", [*segments, ("undecided", done.undecided)])]
    )
    waits = [
        wait_seconds(d, campaign.started_at) for row in rows for d in row.decision_history if d.by_reviewer
    ]
    table = _table(
        ["items", "decided by a reviewer", "on time", "late", "by the policy", "undecided", "share decided"],
        [[done.items, done.by_reviewer, done.on_time, done.late, done.by_policy, done.undecided,
          _share(done.share_by_reviewer)]],
    )  # fmt: skip
    return (
        '<section id="completion"><h2>Completion and timeliness</h2>'
        + table
        + chart
        + "<h3>Time to decide (from delivery, or from the campaign start when never delivered)</h3>"
        + histogram("Time to decide", wait_histogram(waits))
        + "</section>"
    )


def _stores(rows: list[EvidenceRow]) -> str:
    stores = by_store(rows)
    found = {word for _id, _name, counts in stores for word in counts}
    shown = [word for word in OUTCOMES if word in found]  # the legend's order; outcomes no item has left out
    chart = stacked_bars(
        "Items by store and outcome",
        [(name, [(s, counts[s]) for s in shown]) for _id, name, counts in stores],
    )
    table = _table(
        ["store", "store id", *shown],
        [[name, store, *(counts[s] for s in shown)] for store, name, counts in stores],
    )
    totals = _table(["outcome", "items"], list(outcome_counts(rows).items()))
    return f'<section id="stores"><h2>Outcomes</h2>{totals}<h3>By store</h3>{chart}{table}</section>'


def _exposures(rows: list[EvidenceRow]) -> str:
    """Each exposure as the sentence the owner reviewed, then what became of it."""
    found = [r for r in rows if r.exposure]
    table = _table(
        ["item", "exposure", "what", "recommendation", "decision", "by", "revocation", "held because"],
        [
            [
                r.item_id,
                r.exposure,
                r.exposure_sentence,
                r.recommendation or "none",
                r.decision or r.status,
                r.decided_by,
                r.revocation_state,
                r.revocation_hold_reason,
            ]
            for r in found
        ],
    )
    return (
        f'<section id="exposure"><h2>Public and external access ({len(found)})</h2>'
        "<p>Access held by anyone on the internet or by an account the organisation does not review. "
        f"Changing it always waits for an admin's approval.</p>{table}</section>"
    )


def _revocations(rows: list[EvidenceRow]) -> str:
    parts = ['<section id="revocations"><h2>Revocations</h2>']
    for group, found in revocations(rows).items():
        parts.append(f"<h3>{escape(group.capitalize())} ({len(found)})</h3>")
        if not found:
            continue
        parts.append(
            _table(
                [
                    "item",
                    "store",
                    "principal",
                    "access",
                    "outcome",
                    "state",
                    "revocation (items it ends)",
                    "dry run",
                    "applied",
                    "verified (gone at the source)",
                    "survived (still reached through)",
                    "undone",
                    "why",
                ],
                [
                    [
                        r.item_id,
                        r.store_name,
                        r.principal_name,
                        r.access,
                        r.outcome,
                        r.revocation_state,
                        _change(r),
                        r.revocation_dry_run_result if r.revocation_dry_run else None,
                        r.applied_at,
                        r.verified_at,
                        f"{r.survived_at:%Y-%m-%d %H:%M}: {r.surviving_path}" if r.survived_at else None,
                        r.undone_at,
                        r.outcome_why,
                    ]
                    for r in found
                ],
            )
        )
    return "".join(parts) + "</section>"


def _change(row: EvidenceRow) -> str | None:
    if row.revocation_id is None:
        return None
    items = ", ".join(map(str, row.revocation_items))
    return f"{row.revocation_id} (items {items})" if len(row.revocation_items) > 1 else str(row.revocation_id)


def _reviewers(quality: QualityReport) -> str:
    rules = (
        f"<p>Batches: {escape(BATCH_RULE)}. Flagged (highlighted): "
        f"{escape(FLAG_RULE.format(seconds=quality.keep_all_within_seconds))}. Time to decide: "
        f"{escape(WAIT_RULE)}.</p>"
    )
    headers = ["reviewer", "assigned", "moved away", "undecided", "decisions", "kept", "decided revoke",
               "median time", "max time", "batches", "largest batch", "bulk", "share kept",
               "share recommended keep",
               f"kept all within {quality.keep_all_within_seconds} s"]  # fmt: skip
    body = [
        [
            q.reviewer,
            q.items_assigned,
            q.moved_away,
            q.undecided,
            q.decisions,
            q.kept,
            q.revoked,
            _duration(q.time_to_decide_median_seconds),
            _duration(q.time_to_decide_max_seconds),
            q.batches,
            q.largest_batch,
            q.bulk_decisions,
            _share(q.share_kept),
            _share(q.share_recommended_keep),
            "FLAGGED" if q.kept_all_quickly else "no",
        ]  # fmt: skip
        for q in quality.reviewers
    ]
    flagged = [q.kept_all_quickly for q in quality.reviewers]
    return (
        f'<section id="reviewers"><h2>Reviewer quality</h2>{rules}{_table(headers, body, flagged)}</section>'
    )


def _items(rows: list[EvidenceRow]) -> str:
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
    return (
        f'<section id="items"><h2>Every item: what was reviewed ({len(rows)})</h2>{_table(headers, body)}'
        "</section>"
    )


def _decisions(rows: list[EvidenceRow]) -> str:
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
        f"{_table(headers, body)}</section>"
    )


def _reviewers_asked(row: EvidenceRow) -> str | None:
    """The reviewer asked first, and the last one when the item moved (escalation, a later stage)."""
    if row.first_reviewer and row.reviewer and row.first_reviewer != row.reviewer:
        return f"{row.first_reviewer} → {row.reviewer}"
    return row.reviewer or row.first_reviewer


def _sign_off(evidence: Evidence) -> str:
    blank = [["", "", "", ""] for _ in range(3)]
    head = escape(str(evidence.audit_head))
    return (
        '<section id="sign-off"><h2>Sign-off</h2>'
        f"<p>This evidence was read at audit chain head <code>{head}</code> on "
        f"{_cell(evidence.exported_at)}. Those who sign confirm this report as the campaign's record.</p>"
        + _table(["name", "role", "signature", "date"], blank, css="sign")
        + "</section>"
    )


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


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], marked: Sequence[bool] = (), css: str = ""
) -> str:
    lines = list(rows)
    if not lines:
        return '<p class="none">none</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        ('<tr class="flag">' if index < len(marked) and marked[index] else "<tr>")
        + "".join(f"<td>{_cell(v)}</td>" for v in line)
        + "</tr>"
        for index, line in enumerate(lines)
    )
    opening = f'<table class="{escape(css)}">' if css else "<table>"
    return f"{opening}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    """Escaped, with a line-break opportunity (<wbr>) after the separators of long identifiers (ARNs,
    emails, paths, state names), so that narrow columns wrap there rather than overflow or split words."""
    return _BREAKS.sub(r"\1<wbr>", escape(_value(value)))


_BREAKS = re.compile(r"([@./_]|:(?!\d))(?=[^\s<])")


def _value(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"
