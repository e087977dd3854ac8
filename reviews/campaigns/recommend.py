"""What the engine recommends for one grant, and the evidence behind it. Pure: rows in, answer out.

Unknown usage is never "inactive" (TESTING.md): a grant whose last use nobody measured gets no
recommendation at all, and says so, rather than a revoke that would punish missing telemetry. The one
exception is not a guess: when the holder's last sign-in covers every way they can act (`SignIn`), nothing
they hold can have been used since, so that sign-in bounds the grant's use from above (the rule Entra's own
access reviews apply to inactive users). It proves only what the source observed: no sign-in between the last
one and `observed_until` (when sign-ins were read, up to a day or more before the review), so idle time is
measured to then, never to the review's start, and a bound with no observation time proves nothing. A recent
sign-in says nothing about this grant in particular, and the reason says so.

An exposure (anyone, or an account nobody here reviews, can use the access) is judged on what it is, not on
use: revoke, unless the store's owner marked the store as meant to be exposed (`reviews.exposure`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reviews.cycles.definition import Recommendations
from reviews.exposure import EXPOSURE_INTENDED, EXPOSURE_TAG, Exposed

KEEP, REVOKE = "keep", "revoke"


@dataclass(frozen=True, slots=True)
class Usage:
    """What the grant row says about use, as the connector measured it."""

    last_used_at: datetime | None
    source: str | None  # None: nobody measured
    window_start: datetime | None = None
    window_end: datetime | None = None


@dataclass(frozen=True, slots=True)
class SignIn:
    """The holder's last sign-in, as the connector read it. A bound on use only when `covers_all_use`."""

    at: datetime | None  # None: never signed in (when covers_all_use), else unknown
    source: str | None
    covers_all_use: bool = False
    account_created_at: datetime | None = None
    observed_until: datetime | None = None  # when the source observed (sign-ins read): the bound ends here


@dataclass(frozen=True, slots=True)
class Recommendation:
    action: str | None  # keep | revoke | None (no opinion)
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)
    inactive: bool = False  # the reason is inactivity (scope `inactive_only` reviews just these)

    def as_json(self) -> dict[str, Any]:
        return {"reason": self.reason, "inactive": self.inactive, **self.evidence}


def recommend(
    *,
    enabled: bool | None,
    guest: bool,
    usage: Usage,
    rules: Recommendations,
    now: datetime,
    sign_in: SignIn | None = None,
    exposure: Exposed | None = None,
) -> Recommendation:
    if exposure is not None:
        return _exposure(exposure, usage)
    if enabled is False and rules.disabled_accounts:
        return Recommendation(REVOKE, "the account is disabled", {"source": "directory"})
    if guest and rules.guests:
        return Recommendation(REVOKE, "a guest account", {"source": "directory"})
    return _by_usage(usage, sign_in, rules.inactive_days, now)


def _exposure(exposure: Exposed, usage: Usage) -> Recommendation:
    evidence: dict[str, Any] = {
        "source": usage.source,
        "last_used_at": _iso(usage.last_used_at),
        "window_start": _iso(usage.window_start),
        "window_end": _iso(usage.window_end),
        "exposure": exposure.kind.value,
        "exposure_sentence": exposure.sentence,
        "intended": exposure.intended,
    }
    tag = f"{EXPOSURE_TAG} = {EXPOSURE_INTENDED}"
    if exposure.intended:
        return Recommendation(
            KEEP, f"{exposure.sentence}; the store's owner marked this as intended (tag {tag})", evidence
        )
    return Recommendation(
        REVOKE,
        f"{exposure.sentence}, and nobody marked the store as meant to be exposed (tag {tag})",
        evidence,
    )


def _by_usage(
    usage: Usage, sign_in: SignIn | None, inactive_days: int | None, now: datetime
) -> Recommendation:
    evidence: dict[str, Any] = {
        "source": usage.source,
        "last_used_at": _iso(usage.last_used_at),
        "window_start": _iso(usage.window_start),
        "window_end": _iso(usage.window_end),
    }
    if usage.source is None:
        return _by_sign_in(sign_in, inactive_days, now, evidence)
    if usage.last_used_at is not None:
        idle = now - usage.last_used_at
        if inactive_days is not None and idle >= timedelta(days=inactive_days):
            return Recommendation(
                REVOKE, f"not used for {idle.days} days (limit {inactive_days})", evidence, inactive=True
            )
        return Recommendation(KEEP, f"used {_day_before(usage.last_used_at, idle)}", evidence)
    # Never used inside a measured window: inactive only when the window is at least as long as the rule.
    if usage.window_start is None:
        return Recommendation(None, f"usage unknown: {usage.source} gives no window", evidence)
    tracked = (usage.window_end or now) - usage.window_start
    if inactive_days is not None and tracked >= timedelta(days=inactive_days):
        return Recommendation(
            REVOKE, f"never used in the {tracked.days} days {usage.source} tracks", evidence, inactive=True
        )
    return Recommendation(
        None, f"no use seen, but {usage.source} tracks only {tracked.days} days: too short to say", evidence
    )


def _by_sign_in(
    sign_in: SignIn | None, inactive_days: int | None, now: datetime, unmeasured: dict[str, Any]
) -> Recommendation:
    """The grant's own use is unmeasured: the holder's last sign-in, when it covers every way in, is the
    latest moment the grant can have been used, as far as the source observed (until `observed_until`)."""
    if sign_in is None or sign_in.source is None:
        return Recommendation(None, "usage unknown: no source measures it, so no recommendation", unmeasured)
    if not sign_in.covers_all_use:
        return Recommendation(
            None,
            f"usage unknown: no source measures it, and the last sign-in ({sign_in.source}) does not bound it"
            " (it misses some ways in, or was not read), so no recommendation",
            unmeasured,
        )
    observed = sign_in.observed_until
    if observed is None:  # "no sign-in since" proves nothing without the moment it was true at
        return Recommendation(
            None,
            f"usage unknown: no source measures it, and the last sign-in ({sign_in.source}) does not say when"
            " it was read, so it bounds nothing: no recommendation",
            unmeasured,
        )
    evidence = {
        **unmeasured,
        "source": sign_in.source,
        "bound": "last_sign_in",  # an upper bound on use, not a measured use
        "last_sign_in_at": _iso(sign_in.at),
        "account_created_at": _iso(sign_in.account_created_at),
        "observed_until": _iso(observed),  # the bound holds up to here: later sign-ins were not read
    }
    limit = timedelta(days=inactive_days) if inactive_days is not None else None
    read = f"{observed.date().isoformat()} (when sign-ins were last read)"
    if sign_in.at is not None:
        idle = max(observed - sign_in.at, timedelta(0))
        if limit is not None and idle >= limit:
            return Recommendation(
                REVOKE,
                f"no sign-in from {sign_in.at.date().isoformat()} to {read}: {idle.days} days"
                f" (limit {inactive_days}): this access cannot have been used",
                evidence,
                inactive=True,
            )
        before_review = max(now - sign_in.at, timedelta(0))
        said = f"signed in {_day_before(sign_in.at, before_review)}"
        if limit is not None and before_review >= limit:  # past the limit by the review, not by the read
            return Recommendation(  # whether they signed in since the read decides it, and nobody read that
                None,
                f"{said}, but only {idle.days} days before sign-ins were last read on "
                f"{observed.date().isoformat()} (limit {inactive_days}): too soon to tell",
                evidence,
            )
        return Recommendation(
            KEEP, f"{said} (any sign-in: use of this access itself is not measured)", evidence
        )
    if sign_in.account_created_at is None:
        return Recommendation(
            None,
            "never signed in, but the account's creation date is unknown, so no recommendation",
            evidence,
        )
    age = max(observed - sign_in.account_created_at, timedelta(0))
    if limit is None:
        return Recommendation(None, "never signed in, but the cycle sets no inactivity limit", evidence)
    if age >= limit:
        return Recommendation(
            REVOKE,
            f"never signed in from the account's creation on {sign_in.account_created_at.date().isoformat()}"
            f" to {read}: {age.days} days (limit {inactive_days}): this access cannot have been used",
            evidence,
            inactive=True,
        )
    return Recommendation(
        None,
        f"never signed in, but the account was only {age.days} days old when sign-ins were last read: too new"
        " to say",
        evidence,
    )


def _day_before(at: datetime, idle: timedelta) -> str:
    """ "on 2026-11-22, 2 days before the review": a digest is read days later, so "2 days ago" would lie."""
    return f"on {at.date().isoformat()}, {idle.days} day{'' if idle.days == 1 else 's'} before the review"


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None
