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

Here is the page: its CSS, the campaign's facts, the legend and the sign-off, in the order above. The sections
on what became of the items are html_outcomes.py's, the item-by-item ones html_records.py's, and every table
and cell is made by html_table.py.
"""

from __future__ import annotations

from html import escape

from reviews.evidence.collect import Evidence
from reviews.evidence.html_outcomes import (
    completion_section,
    escalations_section,
    exposures_section,
    reviewers_section,
    revocations_section,
    stores_section,
)
from reviews.evidence.html_records import decisions_section, history_section, items_section
from reviews.evidence.html_table import cell, render_table, text_of
from reviews.evidence.quality import QualityReport
from reviews.evidence.summary import REVOCATION_STATES
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
        completion_section(rows, campaign),
        stores_section(rows),
        exposures_section(rows),
        escalations_section(rows),
        revocations_section(rows),
        reviewers_section(quality),
        items_section(rows),
        decisions_section(rows),
        history_section(evidence),
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
        ("Started", f"{text_of(c.started_at)} by {c.started_by}"),
        ("Due", c.due_at),
        ("Closed", f"{text_of(c.closed_at)} by {c.closed_by}" if c.closed_at else None),
        ("Population (frozen)", f"{c.population_count} grants"),
        ("Population SHA-256", c.population_sha256),
        ("Audit chain head", str(evidence.audit_head)),
        ("Exported", f"{text_of(evidence.exported_at)} by {evidence.exported_by}"),
    ]
    return "<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{cell(v)}</dd>" for k, v in facts) + "</dl>"


def _legend() -> str:
    outcomes = render_table(["outcome", "what it means"], legend())
    states = render_table(["revocation state", "what it means"], REVOCATION_STATES.items())
    return (
        '<section id="legend"><h2>What the words mean</h2><h3>Outcome (every count in this report)</h3>'
        f"{outcomes}<p>\u201cRevoked\u201d is said only when a sync no longer finds the access at the "
        "source. One change can end several items (read and write from one group membership): they share "
        f"one revocation.</p><h3>Revocation state (the outbox, for items decided revoke)</h3>{states}"
        "<p>A dash (–) is a value that does not apply or was not recorded.</p></section>"
    )


def _sign_off(evidence: Evidence) -> str:
    blank = [["", "", "", ""] for _ in range(3)]
    head = escape(str(evidence.audit_head))
    return (
        '<section id="sign-off"><h2>Sign-off</h2>'
        f"<p>This evidence was read at audit chain head <code>{head}</code> on "
        f"{cell(evidence.exported_at)}. Those who sign confirm this report as the campaign's record.</p>"
        + render_table(["name", "role", "signature", "date"], blank, css="sign")
        + "</section>"
    )
