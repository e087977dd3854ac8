"""The campaign at a glance, computed from its evidence rows: completion and timeliness, outcomes by store,
and what became of the revocations, counted in the words of reviews.outcomes. Pure; shared by the JSON and
the HTML report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reviews.evidence.model import EvidenceRow
from reviews.outcomes import ORDER, Outcome, legend, tally

# Items are counted by outcome (reviews.outcomes): one word each, the same as the CLI, Slack and the demo.
OUTCOMES: tuple[str, ...] = tuple(str(o) for o in ORDER)
# The outbox's own states, for a reader of the revocation tables (the outcome is what they add up to).
REVOCATION_STATES: dict[str, str] = {
    "planned": "The change is planned and waits for approval.",
    "held": "Waits for an admin: over the blast-radius limit, or a change only an admin approves.",
    "approved": "Approved (by an admin, or by the cycle when it applies automatically); waits to be applied.",
    "claimed": "Being applied right now.",
    "applied": "Recertify made the change; a later sync has not confirmed the access gone yet.",
    "already_absent": "Nothing to remove: the access was already gone when the change was to be made.",
    "verified": "A later sync found the access gone at the source.",
    "survived": "The change was made, yet a later sync still finds the same access through another path.",
    "failed_retryable": "The provider refused or failed; it will be tried again.",
    "failed_permanent": "The provider refused for good, or the safety envelope refused at apply time.",
    "undone": "The change was reversed by an admin (undo).",
}
# The outcomes the revocations section lists: every item decided revoke, by how far its change got.
REVOCATION_OUTCOMES: tuple[Outcome, ...] = (
    Outcome.REVOKED,
    Outcome.REVOKING,
    Outcome.SURVIVED,
    Outcome.HELD,
    Outcome.DECIDED_REVOKE,
    Outcome.REFUSED,
    Outcome.LEFT_TO_A_PERSON,
    Outcome.FAILED,
    Outcome.UNDONE,
)
# Time to decide, for the histogram: (label, upper bound in seconds)
WAIT_BUCKETS = (
    ("< 1 min", 60.0),
    ("< 1 hour", 3_600.0),
    ("< 1 day", 86_400.0),
    ("< 7 days", 604_800.0),
    ("7 days +", float("inf")),
)


@dataclass(frozen=True, slots=True)
class Completion:
    items: int
    by_reviewer: int  # decided by a person (Slack or CLI)
    on_time: int  # … by the due date
    late: int  # … after it
    by_policy: int  # decided by the cycle's no-response policy
    undecided: int  # nobody decided: pending, or expired unchanged
    share_by_reviewer: float | None
    share_on_time: float | None  # of the items decided by a person

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def completion(rows: list[EvidenceRow], due_at: datetime) -> Completion:
    by_reviewer = [r for r in rows if r.decided_via in ("slack", "cli")]
    on_time = sum(1 for r in by_reviewer if r.decided_at is not None and r.decided_at <= due_at)
    by_policy = sum(1 for r in rows if r.decided_via == "policy")
    return Completion(
        items=len(rows),
        by_reviewer=len(by_reviewer),
        on_time=on_time,
        late=len(by_reviewer) - on_time,
        by_policy=by_policy,
        undecided=len(rows) - len(by_reviewer) - by_policy,
        share_by_reviewer=round(len(by_reviewer) / len(rows), 4) if rows else None,
        share_on_time=round(on_time / len(by_reviewer), 4) if by_reviewer else None,
    )


def by_store(rows: list[EvidenceRow]) -> list[tuple[str, str, Counter[str]]]:
    """(store id, store name, item outcomes), stores by name."""
    counts: dict[str, Counter[str]] = {}
    names: dict[str, str] = {}
    for row in rows:
        counts.setdefault(row.store_provider_id, Counter())[row.outcome] += 1
        names[row.store_provider_id] = row.store_name
    return [(store, names[store], counts[store]) for store in sorted(counts, key=lambda s: (names[s], s))]


def revocations(rows: list[EvidenceRow]) -> dict[str, list[EvidenceRow]]:
    """Items decided revoke, by outcome word (every group present, empty or not)."""
    grouped: dict[str, list[EvidenceRow]] = {str(o): [] for o in REVOCATION_OUTCOMES}
    for row in rows:
        if row.outcome in grouped:
            grouped[row.outcome].append(row)
    return grouped


def outcome_counts(rows: list[EvidenceRow]) -> dict[str, int]:
    return tally([row.classified for row in rows])


def wait_histogram(waits: list[float]) -> list[tuple[str, int]]:
    counts = Counter(next(label for label, bound in WAIT_BUCKETS if wait < bound) for wait in waits)
    return [(label, counts[label]) for label, _ in WAIT_BUCKETS]


def summary_json(rows: list[EvidenceRow], due_at: datetime) -> dict[str, Any]:
    return {
        "completion": completion(rows, due_at).as_json(),
        "items_by_status": dict(sorted(Counter(r.status for r in rows).items())),  # what was decided
        "items_by_outcome": outcome_counts(rows),  # what became of it (reviews.outcomes)
        "legend": dict(legend()),
        "by_store": [
            # "store_id": the store's provider id, under the key the summary was published with
            {"store_id": store, "store": name, "items": dict(sorted(counts.items()))}
            for store, name, counts in by_store(rows)
        ],
        "revocations": {group: [r.item_id for r in found] for group, found in revocations(rows).items()},
    }
