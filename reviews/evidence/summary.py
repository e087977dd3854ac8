"""The campaign at a glance, computed from its evidence rows: completion and timeliness, outcomes by store,
and what became of the revocations. Pure; shared by the JSON and the HTML report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reviews.evidence.model import EvidenceRow

STATUSES = ("kept", "revoked", "needs_human_review", "expired", "pending")
# What each item status and revocation state means, for a reader of the report (its legend).
STATUS_MEANINGS: dict[str, str] = {
    "pending": "Nobody has decided yet; the campaign is still open for it.",
    "kept": "Decided keep, by the reviewer (or a delegate) or by the cycle's no-response policy: access "
    "stays.",
    "revoked": "Decided revoke, by the reviewer (or a delegate) or by the cycle's no-response policy: the "
    "access is to be removed; its revocation state says how far that got.",
    "expired": "Nobody decided by the deadline and the cycle's policy did not decide either: access left "
    "unchanged, reported here.",
    "needs_human_review": "Decided revoke, but Recertify refused to change it automatically (a protected "
    "account, the last admin of the store, or a policy on the path it could not fully understand): a person "
    "must act at the source; the reason is under Revocations, left to a person.",
}
REVOCATION_STATES: dict[str, str] = {
    "planned": "The change is planned and waits its turn.",
    "held": "Over the limit of changes at once: waits for an admin's approval.",
    "approved": "An admin approved the held change; it waits to be applied.",
    "claimed": "Being applied right now.",
    "applied": "Recertify removed the access; a later sync has not confirmed it yet.",
    "already_absent": "Nothing to remove: the access was already gone when the change was made.",
    "verified": "A later sync found the access gone at the source: revoked.",
    "survived": "The change was made, yet a later sync still finds the same access through another path: "
    "not revoked; a new review asks about it.",
    "failed_retryable": "The provider refused or failed; it will be tried again.",
    "failed_permanent": "The provider refused for good: the access is still there; a person must act.",
    "undone": "Revoked, then restored by an admin (undo).",
}
# Outbox states by what an auditor asks: was it revoked, held for approval, did it fail?
GONE = "revoked (gone at the source)"
REVOCATION_GROUPS: dict[str, tuple[str, ...]] = {
    GONE: ("verified",),
    # The access is still reached by another path: not revoked, whatever the change did; a new review asks.
    "survived (still reached)": ("survived",),
    "revoked, waiting for a sync to confirm": ("applied", "already_absent"),
    "held": ("held",),
    "failed": ("failed_retryable", "failed_permanent"),
    "undone": ("undone",),
    "in progress": ("planned", "approved", "claimed"),
}
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
    """(store id, store name, item statuses), stores by name."""
    counts: dict[str, Counter[str]] = {}
    names: dict[str, str] = {}
    for row in rows:
        counts.setdefault(row.store_id, Counter())[row.status] += 1
        names[row.store_id] = row.store_name
    return [(store, names[store], counts[store]) for store in sorted(counts, key=lambda s: (names[s], s))]


def revocations(rows: list[EvidenceRow]) -> dict[str, list[EvidenceRow]]:
    grouped: dict[str, list[EvidenceRow]] = {group: [] for group in REVOCATION_GROUPS}
    for row in rows:
        if row.verified_at is not None and row.revocation_state == "already_absent":
            grouped[GONE].append(row)  # a sync had closed the grant before the plan: nothing left to do
            continue
        for group, states in REVOCATION_GROUPS.items():
            if row.revocation_state in states:
                grouped[group].append(row)
    grouped["left to a person"] = [r for r in rows if r.status == "needs_human_review"]
    return grouped


def wait_histogram(waits: list[float]) -> list[tuple[str, int]]:
    counts = Counter(next(label for label, bound in WAIT_BUCKETS if wait < bound) for wait in waits)
    return [(label, counts[label]) for label, _ in WAIT_BUCKETS]


def summary_json(rows: list[EvidenceRow], due_at: datetime) -> dict[str, Any]:
    return {
        "completion": completion(rows, due_at).as_json(),
        "items_by_status": dict(sorted(Counter(r.status for r in rows).items())),
        "by_store": [
            {"store_id": store, "store": name, "items": dict(sorted(counts.items()))}
            for store, name, counts in by_store(rows)
        ],
        "revocations": {group: [r.item_id for r in found] for group, found in revocations(rows).items()},
    }
