"""The report's sections on what became of the items: completion and timeliness, outcomes by store, public
and external access (each exposure as a sentence: "anyone on the internet can read benefit-claims"),
escalations, revocations (revoked, held, failed, undone, in progress, left to a person), and reviewer quality
with its rules.
"""

from __future__ import annotations

from html import escape

from reviews.evidence.charts import histogram, stacked_bars
from reviews.evidence.html_table import duration, render_table, share
from reviews.evidence.model import CampaignFacts, EvidenceRow
from reviews.evidence.quality import BATCH_RULE, FLAG_RULE, WAIT_RULE, QualityReport, wait_seconds
from reviews.evidence.summary import (
    OUTCOMES,
    by_store,
    completion,
    outcome_counts,
    revocations,
    wait_histogram,
)


def completion_section(rows: list[EvidenceRow], campaign: CampaignFacts) -> str:
    done = completion(rows, campaign.due_at)
    segments = [("on time", done.on_time), ("late", done.late), ("by policy", done.by_policy)]
    chart = stacked_bars(
        "Items by who decided and when", [("all items", [*segments, ("undecided", done.undecided)])]
    )
    waits = [
        wait_seconds(d, campaign.started_at) for row in rows for d in row.decision_history if d.by_reviewer
    ]
    table = render_table(
        ["items", "decided by a reviewer", "on time", "late", "by the policy", "undecided", "share decided"],
        [[done.items, done.by_reviewer, done.on_time, done.late, done.by_policy, done.undecided,
          share(done.share_by_reviewer)]],
    )  # fmt: skip
    return (
        '<section id="completion"><h2>Completion and timeliness</h2>'
        + table
        + chart
        + "<h3>Time to decide (from delivery, or from the campaign start when never delivered)</h3>"
        + histogram("Time to decide", wait_histogram(waits))
        + "</section>"
    )


def stores_section(rows: list[EvidenceRow]) -> str:
    stores = by_store(rows)
    found = {word for _id, _name, counts in stores for word in counts}
    shown = [word for word in OUTCOMES if word in found]  # the legend's order; outcomes no item has left out
    chart = stacked_bars(
        "Items by store and outcome",
        [(name, [(s, counts[s]) for s in shown]) for _id, name, counts in stores],
    )
    table = render_table(
        ["store", "store id", *shown],
        [[name, store, *(counts[s] for s in shown)] for store, name, counts in stores],
    )
    totals = render_table(["outcome", "items"], list(outcome_counts(rows).items()))
    return f'<section id="stores"><h2>Outcomes</h2>{totals}<h3>By store</h3>{chart}{table}</section>'


def exposures_section(rows: list[EvidenceRow]) -> str:
    """Each exposure as the sentence the owner reviewed, then what became of it."""
    found = [r for r in rows if r.exposure]
    table = render_table(
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


def escalations_section(rows: list[EvidenceRow]) -> str:
    """Items handed to the fallback reviewer: when, from whom (where recorded), to whom, and what followed."""
    found = [r for r in rows if r.escalated_at is not None]
    table = render_table(
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


def revocations_section(rows: list[EvidenceRow]) -> str:
    parts = ['<section id="revocations"><h2>Revocations</h2>']
    for group, found in revocations(rows).items():
        parts.append(f"<h3>{escape(group.capitalize())} ({len(found)})</h3>")
        if not found:
            continue
        parts.append(
            render_table(
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


def reviewers_section(quality: QualityReport) -> str:
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
            duration(q.time_to_decide_median_seconds),
            duration(q.time_to_decide_max_seconds),
            q.batches,
            q.largest_batch,
            q.bulk_decisions,
            share(q.share_kept),
            share(q.share_recommended_keep),
            "FLAGGED" if q.kept_all_quickly else "no",
        ]  # fmt: skip
        for q in quality.reviewers
    ]
    flagged = [q.kept_all_quickly for q in quality.reviewers]
    table = render_table(headers, body, flagged)
    return f'<section id="reviewers"><h2>Reviewer quality</h2>{rules}{table}</section>'
