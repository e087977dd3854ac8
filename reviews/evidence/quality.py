"""Reviewer quality: did people review, or click through? Pure: evidence rows in, one line per reviewer out.

The rules, exactly (the JSON and the HTML report carry them in words too):

- A reviewer is whoever decided an item themselves (Slack or CLI; decisions by the cycle's policy and
  superseded clicks count for nobody), whoever is an item's reviewer now, and whoever was asked first and
  lost the item to an escalation or a rerouting without deciding it (**moved away**: a silent owner is
  named, and the fallback is not charged with their wait). A delegate's decision counts for the delegate,
  who made it.
- **Time to decide** of one decision: from when the item reached the decider (`DecisionFact.delivered_at`)
  or, when it never did, from the campaign's start, to the decision. Median and max per reviewer.
- **Batches**: decisions recorded by one bulk request ("keep all", "accept all recommendations": `record_bulk`
  gives each decision the request's key plus `:<item id>` and the mode in its context) form one batch,
  whenever each was written. Every other decision (and a bulk one without a request key) falls into the
  batch of its reviewer's decisions made in the same UTC calendar minute (seconds dropped: 10:04:59 and
  10:05:00 are two batches).
- **Kept everything within N seconds** (N = `keep_all_within`, default 60): the reviewer decided at least one
  item, every decision was keep, none of the items assigned to them now is left without their decision at
  its current stage, and from their first delivery (the earliest start above) to their last decision took
  less than N seconds.
- **Share kept** against **share recommended keep**: of the items they decided, how many they kept, and how
  many the engine recommended to keep (items without a recommendation count as not recommended).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from reviews.evidence.model import DecisionFact, EvidenceRow, jsonable

KEEP_ALL_WITHIN_SECONDS = 60
BATCH_RULE = (
    "one bulk request (same request key, less its ':<item id>' suffix) is one batch; any other decision "
    "joins its reviewer's decisions of the same UTC calendar minute"
)
WAIT_RULE = "from delivery to the decider, or from the campaign start when the item never reached them"
FLAG_RULE = (
    "every decision keep, nothing assigned left undecided, and first delivery (or campaign start) to last "
    "decision under {seconds} seconds"
)


@dataclass(frozen=True, slots=True)
class ReviewerQuality:
    reviewer: str  # email
    items_assigned: int  # items whose reviewer they are now
    moved_away: int  # items they were asked first, handed to another reviewer before they decided
    undecided: int  # of those, items without their decision at the current stage
    decisions: int
    kept: int
    revoked: int
    superseded: int  # clicks recorded but not applied (late, or lost a race)
    time_to_decide_median_seconds: float | None
    time_to_decide_max_seconds: float | None
    first_delivered_at: datetime | None  # the earliest start of their decisions
    last_decided_at: datetime | None
    span_seconds: float | None
    batches: int
    largest_batch: int
    median_batch: float | None
    bulk_decisions: int
    batch_sizes: tuple[int, ...]  # largest first
    share_kept: float | None
    share_recommended_keep: float | None
    kept_all_quickly: bool

    def as_json(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class QualityReport:
    keep_all_within_seconds: int
    reviewers: tuple[ReviewerQuality, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "keep_all_within_seconds": self.keep_all_within_seconds,
            "batch_rule": BATCH_RULE,
            "kept_all_quickly_rule": FLAG_RULE.format(seconds=self.keep_all_within_seconds),
            "time_to_decide_rule": WAIT_RULE,
            "reviewers": [r.as_json() for r in self.reviewers],
        }


def reviewer_quality(
    rows: list[EvidenceRow], *, campaign_started_at: datetime, keep_all_within: int = KEEP_ALL_WITHIN_SECONDS
) -> QualityReport:
    decided: dict[str, list[tuple[DecisionFact, EvidenceRow]]] = defaultdict(list)
    superseded: dict[str, int] = defaultdict(int)
    assigned: dict[str, list[EvidenceRow]] = defaultdict(list)
    moved: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.reviewer is not None:
            assigned[row.reviewer].append(row)
        first = row.first_reviewer
        if first is not None and first != row.reviewer and not _decided_by(row, first, any_stage=True):
            moved[first] += 1
        for decision in row.decision_history:
            if decision.by_reviewer:
                decided[decision.decided_by].append((decision, row))
            elif decision.superseded and decision.via != "policy":
                superseded[decision.decided_by] += 1
    people = sorted(set(decided) | set(assigned) | set(superseded) | set(moved))
    return QualityReport(
        keep_all_within,
        tuple(
            _one(
                person,
                decided.get(person, []),
                assigned.get(person, []),
                superseded.get(person, 0),
                moved.get(person, 0),
                campaign_started_at,
                keep_all_within,
            )
            for person in people
        ),
    )


def _one(
    person: str,
    decided: list[tuple[DecisionFact, EvidenceRow]],
    assigned: list[EvidenceRow],
    superseded: int,
    moved_away: int,
    started_at: datetime,
    keep_all_within: int,
) -> ReviewerQuality:
    undecided = sum(1 for row in assigned if not _decided_by(row, person))
    starts = [d.delivered_at or started_at for d, _ in decided]
    waits = [wait_seconds(d, started_at) for d, _ in decided]
    sizes = sorted(_batches(d for d, _ in decided).values(), reverse=True)
    kept = sum(1 for d, _ in decided if d.outcome == "keep")
    first = min(starts) if starts else None
    last = max(d.decided_at for d, _ in decided) if decided else None
    span = (last - first).total_seconds() if first is not None and last is not None else None
    return ReviewerQuality(
        reviewer=person,
        items_assigned=len(assigned),
        moved_away=moved_away,
        undecided=undecided,
        decisions=len(decided),
        kept=kept,
        revoked=sum(1 for d, _ in decided if d.outcome == "revoke"),
        superseded=superseded,
        time_to_decide_median_seconds=round(statistics.median(waits), 3) if waits else None,
        time_to_decide_max_seconds=round(max(waits), 3) if waits else None,
        first_delivered_at=first,
        last_decided_at=last,
        span_seconds=round(span, 3) if span is not None else None,
        batches=len(sizes),
        largest_batch=sizes[0] if sizes else 0,
        median_batch=statistics.median(sizes) if sizes else None,
        bulk_decisions=sum(1 for d, _ in decided if d.bulk),
        batch_sizes=tuple(sizes),
        share_kept=_share(kept, len(decided)),
        share_recommended_keep=_share(sum(1 for _, r in decided if r.recommendation == "keep"), len(decided)),
        kept_all_quickly=bool(decided)
        and kept == len(decided)
        and undecided == 0
        and span is not None
        and span < keep_all_within,
    )


def wait_seconds(decision: DecisionFact, campaign_started_at: datetime) -> float:
    """From delivery to the decider, or from the campaign's start when the item never reached them."""
    return (decision.decided_at - (decision.delivered_at or campaign_started_at)).total_seconds()


def _decided_by(row: EvidenceRow, person: str, *, any_stage: bool = False) -> bool:
    return any(
        d.by_reviewer and (any_stage or d.stage == row.stage) and person in (d.decided_by, d.on_behalf_of)
        for d in row.decision_history
    )


def batch_key(decision: DecisionFact) -> str:
    suffix = f":{decision.item_id}"
    if decision.bulk and decision.request_key and decision.request_key.endswith(suffix):
        return "bulk:" + decision.request_key[: -len(suffix)]
    minute = decision.decided_at.astimezone(UTC).replace(second=0, microsecond=0)
    return "minute:" + minute.isoformat()


def _batches(decisions: Iterable[DecisionFact]) -> dict[str, int]:
    sizes: dict[str, int] = defaultdict(int)
    for decision in decisions:
        sizes[batch_key(decision)] += 1
    return sizes


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
