"""The revocation outbox after planning (DESIGN §1.5, §3.1, §3.8–9): approve, execute, undo, retry.

Rows arrive PLANNED, HELD (over the blast radius) or APPROVED (reviews.enforcement.plan). From there:

    approved ─claim─> claimed ─provider write─> applied | already_absent ─verify read─> verified
                         └─ error ─> failed_retryable (backoff) ─> … ─> failed_permanent (dead letter)

Intent before effect: a worker commits its claim (and its audit event) before it calls the provider, calls
the provider with no transaction open, then records what happened in a new transaction. A worker killed at
any point leaves a claim that expires (`claim_timeout_seconds`); whoever takes it over calls `revoke` again,
which observes first, so a write that did happen comes back ALREADY_ABSENT instead of being made twice. A
worker killed after recording APPLIED but before verifying leaves the row due for verification only. Every
record is fenced on (claimed_by, attempts): a worker whose claim was taken over records nothing.

Claims take one row at a time with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers share a
batch; SQLite serializes writers, and the claim's UPDATE re-checks that the row is still due (a
compare-and-set), which is what makes it safe there. Rows of a source whose latest sync is unhealthy, or
with no connector configured, are not claimed at all (DESIGN §3.5). Dry-run mode claims nothing: it asks
each connector what it would do and records the answer on the row, which stays APPROVED, so switching to
live executes exactly that plan.
"""

from reviews.enforcement.outbox.admin import UndoResult, approve, retry_dead, undo
from reviews.enforcement.outbox.execution import ExecutionSummary, execute
from reviews.enforcement.outbox.rows import DEFAULT_MAX_SYNC_AGE, VERIFY_FAILED

__all__ = [
    "DEFAULT_MAX_SYNC_AGE",
    "VERIFY_FAILED",
    "ExecutionSummary",
    "UndoResult",
    "approve",
    "execute",
    "retry_dead",
    "undo",
]
