"""What the engine recommends for one grant, and the evidence behind it. Pure: rows in, answer out.

Unknown usage is never "inactive" (TESTING.md): a grant whose last use nobody measured gets no
recommendation at all, and says so, rather than a revoke that would punish missing telemetry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reviews.cycle_definition import Recommendations

KEEP, REVOKE = "keep", "revoke"


@dataclass(frozen=True, slots=True)
class Usage:
    """What the grant row says about use, as the connector measured it."""

    last_used_at: datetime | None
    source: str | None  # None: nobody measured
    window_start: datetime | None = None
    window_end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Recommendation:
    action: str | None  # keep | revoke | None (no opinion)
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)
    inactive: bool = False  # the reason is inactivity (scope `inactive_only` reviews just these)

    def as_json(self) -> dict[str, Any]:
        return {"reason": self.reason, "inactive": self.inactive, **self.evidence}


def recommend(
    *, enabled: bool | None, guest: bool, usage: Usage, rules: Recommendations, now: datetime
) -> Recommendation:
    if enabled is False and rules.disabled_accounts:
        return Recommendation(REVOKE, "the account is disabled", {"source": "directory"})
    if guest and rules.guests:
        return Recommendation(REVOKE, "a guest account", {"source": "directory"})
    return _by_usage(usage, rules.inactive_days, now)


def _by_usage(usage: Usage, inactive_days: int | None, now: datetime) -> Recommendation:
    evidence: dict[str, Any] = {
        "source": usage.source,
        "last_used_at": usage.last_used_at.isoformat() if usage.last_used_at else None,
        "window_start": usage.window_start.isoformat() if usage.window_start else None,
        "window_end": usage.window_end.isoformat() if usage.window_end else None,
    }
    if usage.source is None:
        return Recommendation(None, "usage unknown: no source measures it, so no recommendation", evidence)
    if usage.last_used_at is not None:
        idle = now - usage.last_used_at
        if inactive_days is not None and idle >= timedelta(days=inactive_days):
            return Recommendation(
                REVOKE, f"not used for {idle.days} days (limit {inactive_days})", evidence, inactive=True
            )
        return Recommendation(KEEP, f"used {idle.days} days ago", evidence)
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
