"""One vocabulary for what became of a review item, said the same way in the CLI, Slack, the demo and the
evidence.

An item's status says what was *decided*; its revocation row says how far the change got. Neither alone
tells a reader whether the person still has access, so every count shown anywhere comes from `classify`,
which reads both and names exactly one outcome. "Revoked" is said only when the access is gone at the source:
a later sync no longer finds it (verified), or the access was already gone and a sync confirmed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reviews.storage.models import ItemStatus, RevocationState


class Outcome(StrEnum):
    PENDING = "pending"
    KEPT = "kept"
    EXPIRED = "expired"
    DECIDED_REVOKE = "decided revoke"
    HELD = "held"
    REFUSED = "refused"
    LEFT_TO_A_PERSON = "left to a person"
    REVOKING = "revoking"
    REVOKED = "revoked"
    SURVIVED = "survived"
    FAILED = "failed"
    UNDONE = "undone"


# The legend: one line per word, in the order counts are shown.
DEFINITIONS: dict[Outcome, str] = {
    Outcome.PENDING: "nobody has decided yet; the campaign is still open for it",
    Outcome.KEPT: "decided keep (by the reviewer, a delegate or the cycle's policy): access stays",
    Outcome.EXPIRED: "nobody decided by the deadline and the cycle's policy did not either: access unchanged",
    Outcome.DECIDED_REVOKE: "decided revoke; the change is not under way yet (not yet planned, or planned "
    "and waiting for approval): access still there",
    Outcome.HELD: "decided revoke; the change waits for an admin (over the blast-radius limit, or a change "
    "only an admin approves): access still there",
    Outcome.REFUSED: "decided revoke; the safety envelope refuses to change it automatically (a protected "
    "account, the store's last admin): access still there, a person must act",
    Outcome.LEFT_TO_A_PERSON: "decided revoke; Recertify cannot make this change (a dynamic group, a path it "
    "could not fully understand, a change the connector cannot name): access still there, a person must act",
    Outcome.REVOKING: "the change is approved, running or applied, and no sync has confirmed the access gone "
    "yet",
    Outcome.REVOKED: "the access is gone at the source: a later sync no longer finds it",
    Outcome.SURVIVED: "the change was made, yet a later sync still finds the access by another path: not "
    "revoked; a new review asks about it",
    Outcome.FAILED: "the provider refused or failed for good: access still there; an admin retries or acts",
    Outcome.UNDONE: "revoked, then restored by an admin (undo)",
}
ORDER: tuple[Outcome, ...] = tuple(DEFINITIONS)

# Reasons that are the safety envelope's refusal (enforcement/refusals.py, outbox/envelope.py), not a change
# Recertify cannot make: "protected: …", "the last admin of …", "refused at apply: …".
_REFUSALS = ("protected:", "the last admin", "refused at apply:")

_S = RevocationState
_UNDER_WAY = (_S.APPROVED, _S.CLAIMED, _S.APPLIED, _S.FAILED_RETRYABLE)


@dataclass(frozen=True, slots=True)
class Classified:
    outcome: Outcome
    why: str | None = None  # the reason behind held, refused, left to a person, failed, revoking


@dataclass(frozen=True, slots=True)
class RevocationFacts:
    """What `classify` needs of an item's revocation row (the row linked to it, shared or not)."""

    state: str
    verified: bool  # verified_at is set: a sync confirmed the access gone
    hold_reason: str | None = None
    last_error: str | None = None


def classify(status: str, revocation: RevocationFacts | None, reason: str | None = None) -> Classified:
    """The one outcome of an item with this `status`, its revocation (None: none planned) and, when a person
    must act, the recorded `reason`."""
    if status not in set(ItemStatus):
        raise ValueError(f"unknown review item status {status!r}")
    if status == ItemStatus.NEEDS_HUMAN_REVIEW:
        refused = (reason or "").startswith(_REFUSALS)
        return Classified(Outcome.REFUSED if refused else Outcome.LEFT_TO_A_PERSON, reason)
    if status != ItemStatus.REVOKED:
        return Classified(Outcome(status))  # pending, kept, expired: the same word
    if revocation is None:
        return Classified(Outcome.DECIDED_REVOKE, "not planned yet")
    return _by_state(revocation)


def at_decision(status: str) -> Outcome:
    """The outcome of an item as a reviewer's message knows it: by its status alone, no change under way."""
    return classify(status, None).outcome


def decided(outcome: str) -> Outcome:
    """The outcome word for a decision ("keep" | "revoke"), as a count of decisions says it."""
    words = {"keep": Outcome.KEPT, "revoke": Outcome.DECIDED_REVOKE}
    if outcome not in words:
        raise ValueError(f"unknown decision {outcome!r}: keep or revoke")
    return words[outcome]


def _by_state(row: RevocationFacts) -> Classified:
    state = row.state
    if state == _S.PLANNED:
        return Classified(Outcome.DECIDED_REVOKE, "planned, waiting for approval")
    if state == _S.HELD:
        return Classified(Outcome.HELD, row.hold_reason)
    if state in _UNDER_WAY:
        why = f"retrying: {row.last_error}" if state == _S.FAILED_RETRYABLE else str(state)
        return Classified(Outcome.REVOKING, why)
    if state in (_S.VERIFIED, _S.ALREADY_ABSENT):
        if row.verified:
            return Classified(Outcome.REVOKED)
        return Classified(Outcome.REVOKING, "read back; waiting for a sync to confirm the access gone")
    if state == _S.SURVIVED:
        return Classified(Outcome.SURVIVED)
    if state == _S.FAILED_PERMANENT:
        return Classified(Outcome.FAILED, row.last_error)
    if state == _S.UNDONE:
        return Classified(Outcome.UNDONE)
    raise ValueError(f"unknown revocation state {state!r}")


def tally(outcomes: list[Outcome] | list[Classified]) -> dict[str, int]:
    """Counts by outcome word, in the legend's order, zeros left out."""
    words = [o.outcome if isinstance(o, Classified) else o for o in outcomes]
    return {str(o): n for o in ORDER if (n := words.count(o))}


def said(counts: dict[str, int]) -> str:
    """Counts as one line: "2 kept, 1 decided revoke, 1 revoked"."""
    return ", ".join(f"{n:,} {word}" for word, n in counts.items()) or "none"


def legend() -> list[tuple[str, str]]:
    return [(str(o), DEFINITIONS[o]) for o in ORDER]
