"""Recommendations from the holder's last sign-in when the grant's own use is unmeasured: only a sign-in
that covers every way the holder can act bounds use, and only up to when it was read; measured use, disabled
and guest accounts come first."""

from __future__ import annotations

from datetime import datetime, timedelta

from reviews.campaigns.recommend import KEEP, REVOKE, Recommendation, SignIn, Usage, recommend
from reviews.cycles.definition import Recommendations
from tests.helpers import T0

ENTRA = "entra:signInActivity"
UNMEASURED = Usage(None, None)
RULES = Recommendations(inactive_days=90)


def days_ago(days: int | None) -> datetime | None:
    return T0 - timedelta(days=days) if days is not None else None


def bound(
    days: int | None,
    *,
    created: int | None = 400,
    covers: bool = True,
    source: str = ENTRA,
    read: int | None = 0,  # days before T0 that sign-ins were read (None: the read time is unknown)
) -> SignIn:
    return SignIn(
        days_ago(days),
        source,
        covers_all_use=covers,
        account_created_at=days_ago(created),
        observed_until=days_ago(read),
    )


def rec(
    sign_in: SignIn | None,
    usage: Usage = UNMEASURED,
    *,
    enabled: bool | None = True,
    guest: bool = False,
    rules: Recommendations = RULES,
) -> Recommendation:
    return recommend(enabled=enabled, guest=guest, usage=usage, rules=rules, now=T0, sign_in=sign_in)


def test_no_sign_in_for_longer_than_the_limit_revokes_with_the_sign_in_as_evidence() -> None:
    result = rec(bound(200))
    assert (result.action, result.inactive) == (REVOKE, True)
    assert result.reason == (
        "no sign-in from 2025-08-13 to 2026-03-01 (when sign-ins were last read): 200 days (limit 90): "
        "this access cannot have been used"
    )
    assert result.evidence["source"] == ENTRA
    assert result.evidence["bound"] == "last_sign_in"
    assert result.evidence["last_sign_in_at"] == (T0 - timedelta(days=200)).isoformat()
    assert result.evidence["observed_until"] == T0.isoformat()
    assert result.evidence["last_used_at"] is None  # a sign-in is never reported as a use
    assert result.as_json()["inactive"] is True


def test_a_recent_sign_in_keeps_and_says_use_of_the_access_itself_is_not_measured() -> None:
    result = rec(bound(3))
    assert (result.action, result.inactive) == (KEEP, False)
    assert result.reason == (
        "signed in on 2026-02-26, 3 days before the review (any sign-in: use of this access itself is not "
        "measured)"
    )
    assert result.evidence["bound"] == "last_sign_in"
    assert result.evidence["last_sign_in_at"] == (T0 - timedelta(days=3)).isoformat()


def test_exactly_the_limit_is_inactive_one_day_less_is_not() -> None:
    assert rec(bound(90)).action == REVOKE
    assert rec(bound(89)).action == KEEP


def test_never_signed_in_revokes_only_an_account_older_than_the_limit() -> None:
    old = rec(bound(None, created=200))
    assert (old.action, old.inactive) == (REVOKE, True)
    assert old.reason == (
        "never signed in from the account's creation on 2025-08-13 to 2026-03-01 (when sign-ins were last "
        "read): 200 days (limit 90): this access cannot have been used"
    )
    assert old.evidence["last_sign_in_at"] is None
    assert old.evidence["account_created_at"] == (T0 - timedelta(days=200)).isoformat()
    new = rec(bound(None, created=10))
    assert (new.action, new.inactive) == (None, False)
    assert "too new" in new.reason


def test_idle_time_is_measured_to_when_sign_ins_were_read_not_to_the_review() -> None:
    """Read 2 days before the review: a last sign-in 89 days before the read is 91 before the review, but a
    sign-in since the read would not be in it, so nothing proves 90 idle days."""
    unproven = rec(bound(91, read=2))
    assert (unproven.action, unproven.inactive) == (None, False)  # neither proven idle nor active
    assert unproven.reason == (
        "signed in on 2025-11-30, 91 days before the review, but only 89 days before sign-ins were last "
        "read on 2026-02-27 (limit 90): too soon to tell"
    )
    assert unproven.evidence["observed_until"] == (T0 - timedelta(days=2)).isoformat()
    proven = rec(bound(92, read=2))  # 90 days to the read
    assert (proven.action, proven.inactive) == (REVOKE, True)
    assert proven.reason == (
        "no sign-in from 2025-11-29 to 2026-02-27 (when sign-ins were last read): 90 days (limit 90): "
        "this access cannot have been used"
    )
    assert rec(bound(91, read=1)).action == REVOKE  # 90 days to a read the day before


def test_an_account_that_never_signed_in_is_aged_to_when_sign_ins_were_read() -> None:
    young = rec(bound(None, created=91, read=2))
    assert (young.action, young.inactive) == (None, False)
    assert young.reason == (
        "never signed in, but the account was only 89 days old when sign-ins were last read: too new to say"
    )
    assert rec(bound(None, created=92, read=2)).action == REVOKE


def test_a_bound_with_no_read_time_proves_nothing() -> None:
    for sign_in in (bound(200, read=None), bound(None, created=400, read=None)):
        result = rec(sign_in)
        assert (result.action, result.inactive) == (None, False)
        assert result.reason == (
            "usage unknown: no source measures it, and the last sign-in (entra:signInActivity) does not say "
            "when it was read, so it bounds nothing: no recommendation"
        )
        assert "bound" not in result.evidence and "observed_until" not in result.evidence


def test_never_signed_in_with_no_creation_date_gives_no_recommendation() -> None:
    result = rec(bound(None, created=None))
    assert (result.action, result.inactive) == (None, False)
    assert "creation date is unknown" in result.reason


def test_a_sign_in_that_does_not_cover_every_way_in_is_no_bound() -> None:
    # IAM password / access-key last used: session credentials and other credentials bypass it.
    aws = rec(bound(300, covers=False, source="iam:password-last-used+access-key-last-used"))
    assert (aws.action, aws.inactive) == (None, False)
    assert "does not bound it" in aws.reason and "iam:password-last-used" in aws.reason
    assert "bound" not in aws.evidence and aws.evidence["source"] is None


def test_sign_in_data_not_read_gives_no_recommendation_and_says_why() -> None:
    unread = rec(
        SignIn(None, f"{ENTRA} (not permitted: AuditLog.Read.All)", account_created_at=days_ago(400))
    )
    assert (unread.action, unread.inactive) == (None, False)
    assert "not permitted: AuditLog.Read.All" in unread.reason
    assert rec(None).reason == "usage unknown: no source measures it, so no recommendation"


def test_measured_use_of_the_grant_wins_over_the_sign_in() -> None:
    measured = Usage(T0 - timedelta(days=3), "iam:service-last-accessed")
    assert rec(bound(200), measured).action == KEEP
    stale = Usage(T0 - timedelta(days=200), "iam:service-last-accessed")
    result = rec(bound(1), stale)
    assert result.action == REVOKE and result.reason == "not used for 200 days (limit 90)"
    assert "bound" not in result.evidence


def test_disabled_and_guest_rules_come_first() -> None:
    assert rec(bound(1), enabled=False).reason == "the account is disabled"
    assert rec(bound(1), guest=True).reason == "a guest account"


def test_without_an_inactivity_limit_a_sign_in_never_revokes() -> None:
    rules = Recommendations(inactive_days=None)
    assert rec(bound(400), rules=rules).action == KEEP
    assert rec(bound(None, created=400), rules=rules).action is None
