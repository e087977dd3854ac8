"""`reviews.outcomes.classify`: one word per item, from its status and its (linked) revocation; "revoked" only
for access a sync found gone."""

from __future__ import annotations

import pytest

from reviews.outcomes import DEFINITIONS, ORDER, Outcome, RevocationFacts, classify, decided, said, tally
from reviews.storage.models import ItemStatus, RevocationState

S = RevocationState


def facts(
    state: str, *, verified: bool = False, hold: str | None = None, error: str | None = None
) -> RevocationFacts:
    return RevocationFacts(state, verified, hold, error)


@pytest.mark.parametrize(
    ("status", "revocation", "reason", "outcome"),
    [
        (ItemStatus.PENDING, None, None, Outcome.PENDING),
        (ItemStatus.KEPT, None, None, Outcome.KEPT),
        (ItemStatus.EXPIRED, None, None, Outcome.EXPIRED),
        (ItemStatus.REVOKED, None, None, Outcome.DECIDED_REVOKE),
        (ItemStatus.REVOKED, facts(S.PLANNED), None, Outcome.DECIDED_REVOKE),
        (ItemStatus.REVOKED, facts(S.HELD, hold="over the limit"), None, Outcome.HELD),
        (ItemStatus.NEEDS_HUMAN_REVIEW, None, "protected: break-glass", Outcome.REFUSED),
        (ItemStatus.NEEDS_HUMAN_REVIEW, None, "the last admin of payroll: never removed", Outcome.REFUSED),
        (
            ItemStatus.NEEDS_HUMAN_REVIEW,
            facts(S.FAILED_PERMANENT),
            "refused at apply: protected: x",
            Outcome.REFUSED,
        ),
        (ItemStatus.NEEDS_HUMAN_REVIEW, None, "a dynamic group: change its rule", Outcome.LEFT_TO_A_PERSON),
        (ItemStatus.REVOKED, facts(S.APPROVED), None, Outcome.REVOKING),
        (ItemStatus.REVOKED, facts(S.CLAIMED), None, Outcome.REVOKING),
        (ItemStatus.REVOKED, facts(S.APPLIED), None, Outcome.REVOKING),
        (ItemStatus.REVOKED, facts(S.FAILED_RETRYABLE, error="throttled"), None, Outcome.REVOKING),
        (ItemStatus.REVOKED, facts(S.ALREADY_ABSENT), None, Outcome.REVOKING),  # not yet confirmed
        (ItemStatus.REVOKED, facts(S.ALREADY_ABSENT, verified=True), None, Outcome.REVOKED),
        (ItemStatus.REVOKED, facts(S.VERIFIED, verified=True), None, Outcome.REVOKED),
        (ItemStatus.REVOKED, facts(S.SURVIVED), None, Outcome.SURVIVED),
        (ItemStatus.REVOKED, facts(S.FAILED_PERMANENT, error="denied"), None, Outcome.FAILED),
        (ItemStatus.REVOKED, facts(S.UNDONE, verified=True), None, Outcome.UNDONE),
    ],
)
def test_each_item_has_exactly_one_outcome(
    status: str, revocation: RevocationFacts | None, reason: str | None, outcome: Outcome
) -> None:
    assert classify(status, revocation, reason).outcome == outcome


def test_the_reason_comes_with_the_outcome_that_needs_one() -> None:
    assert classify(ItemStatus.REVOKED, facts(S.HELD, hold="over the limit")).why == "over the limit"
    assert classify(ItemStatus.REVOKED, facts(S.FAILED_PERMANENT, error="denied")).why == "denied"


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown review item status 'gone'"):
        classify("gone", None)
    with pytest.raises(ValueError, match="unknown revocation state 'vanished'"):
        classify(ItemStatus.REVOKED, facts("vanished"))
    with pytest.raises(ValueError, match="keep or revoke"):
        decided("maybe")


def test_counts_follow_the_legend_and_every_word_is_defined() -> None:
    assert set(DEFINITIONS) == set(Outcome) and ORDER == tuple(DEFINITIONS)
    counts = tally([Outcome.REVOKED, Outcome.KEPT, Outcome.REVOKED])
    assert counts == {"kept": 1, "revoked": 2} and said(counts) == "1 kept, 2 revoked"
    assert said({}) == "none"
