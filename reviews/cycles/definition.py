"""What a review cycle says, as a validated model. Cycles are code: written in YAML or TOML by an admin,
validated before they are applied (reviews.cycles.files reads the files and names the line of each problem),
stored with a version and a hash (review_cycle), and read back from there by every campaign.

Schedules are cron expressions read by APScheduler's CronTrigger, used here only as a cron calculator (it
knows time zones and DST). Its fields are combined with AND, unlike classic cron: `0 9 1-7 */3 mon` is the
first Monday of each quarter at 09:00.
"""

from __future__ import annotations

import fnmatch
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reviews.entitlements import AccessLevel, PrincipalType, StoreKind, System

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # a cron that never fires after this never fires at all


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoResponse(StrEnum):
    """What an item nobody decided becomes at the deadline."""

    REVOKE = "revoke"
    KEEP = "keep"
    RECOMMENDATION = "recommendation"  # follow the recommendation; no recommendation → nothing changes
    ESCALATE = "escalate"  # hand it to the fallback reviewer with a new deadline instead of deciding


class ReviewerSource(StrEnum):
    OWNER = "owner"  # the store's owner(s), in the order the source lists them
    MANAGER = "manager"  # the manager of the person holding the access
    FALLBACK = "fallback"  # reviewers.fallback


class Scope(_Strict):
    """Which grants a campaign reviews. Every list empty = everything."""

    systems: list[System] = Field(default_factory=list)
    store_kinds: list[StoreKind] = Field(default_factory=list)
    store_names: list[str] = Field(default_factory=list)  # shell-style patterns: "hr-*"
    store_tags: dict[str, str] = Field(default_factory=dict)  # every tag must match
    access: list[AccessLevel] = Field(default_factory=list)
    principal_types: list[PrincipalType] = Field(default_factory=list)
    guests_only: bool = False
    inactive_only: bool = False  # only grants the recommendations call inactive


class Schedule(_Strict):
    cron: str  # minute hour day month day-of-week, APScheduler semantics (AND)
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (expected an IANA name such as Europe/London)"
            ) from None
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        # A field check (the zone changes when it fires, not whether it parses): errors name schedule.cron.
        try:
            trigger = CronTrigger.from_crontab(value, timezone=UTC)
        except ValueError as exc:
            raise ValueError(f"{value!r}: {exc} (expected 'minute hour day month weekday')") from None
        if trigger.get_next_fire_time(None, _EPOCH) is None:
            raise ValueError(f"{value!r} matches no date (such as 31 February): it would never start")
        return value

    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.cron, timezone=ZoneInfo(self.timezone))

    def latest_start(self, now: datetime, *, not_before: datetime) -> datetime | None:
        """The most recent scheduled start in (not_before, now], or None."""
        trigger, latest = self.trigger(), None
        cursor = not_before + timedelta(microseconds=1)
        while (fire := trigger.get_next_fire_time(None, cursor)) is not None and fire <= now:
            if fire >= cursor:
                latest, cursor = fire, fire + timedelta(seconds=1)
            else:
                # Around the autumn DST change APScheduler 3.11 can answer a time before `cursor` (the second
                # 01:30, again and again): step past it instead of asking the same question forever.
                cursor += timedelta(minutes=1)
        return latest

    def period_key(self, fire_time: datetime) -> str:
        """The wall-clock time of a start in the cycle's zone, without the offset: the two 01:30s of the
        autumn DST change are one period, so a cycle starts once that day (the unique key of a campaign)."""
        return fire_time.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%dT%H:%M")


class Reviewers(_Strict):
    order: list[ReviewerSource] = Field(
        default_factory=lambda: [ReviewerSource.OWNER, ReviewerSource.MANAGER, ReviewerSource.FALLBACK],
        min_length=1,
    )
    fallback: str | None = None  # an email: who reviews when nobody else can, and who escalations reach

    @field_validator("fallback")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an email")
        return value.lower() if value else value


class StageCondition(StrEnum):
    ALL = "all"
    KEPT = "kept"  # items kept by the previous stage
    KEPT_ADMIN = "kept_admin"  # admin access kept by the previous stage


class Stage(_Strict):
    name: str = Field(min_length=1, max_length=60)
    reviewer: str = "owner"  # "owner" (the reviewer chain) or an email
    applies_to: StageCondition = StageCondition.ALL

    @field_validator("reviewer")
    @classmethod
    def _reviewer(cls, value: str) -> str:
        if value != "owner" and not _EMAIL.match(value):
            raise ValueError(f'{value!r}: expected "owner" or an email')
        return value.lower()


class Reminders(_Strict):
    days_before: list[int] = Field(default_factory=lambda: [7, 3, 1])
    daily_when_overdue: bool = True

    @field_validator("days_before")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if any(day < 1 for day in value):
            raise ValueError("reminder days must be 1 or more")
        return sorted(set(value), reverse=True)


class Recommendations(_Strict):
    inactive_days: int | None = Field(default=90, ge=1)  # None: never recommend revoking for inactivity
    disabled_accounts: bool = True  # recommend revoking access held by disabled accounts
    guests: bool = True  # recommend revoking access held by guests


class Exclusion(_Strict):
    """Grants left out of a cycle, with a reason that is recorded with the campaign."""

    store: str | None = None  # pattern on the store's provider id or name
    principal: str | None = None  # pattern on the principal's provider id, name or email
    reason: str = Field(min_length=3)

    @model_validator(mode="after")
    def _something(self) -> Exclusion:
        if self.store is None and self.principal is None:
            raise ValueError("an exclusion names a store, a principal or both")
        return self

    def matches(self, store_names: tuple[str, ...], principal_names: tuple[str, ...]) -> bool:
        def hit(pattern: str | None, names: tuple[str, ...]) -> bool:
            return pattern is None or any(fnmatch.fnmatchcase(name, pattern) for name in names if name)

        return hit(self.store, store_names) and hit(self.principal, principal_names)


class CycleDefinition(_Strict):
    name: str
    description: str = ""
    scope: Scope = Field(default_factory=Scope)
    schedule: Schedule | None = None  # None: started by hand only (`recertify campaign start`)
    duration_days: int = Field(default=14, ge=1, le=365)  # from start to deadline
    reviewers: Reviewers = Field(default_factory=Reviewers)
    stages: list[Stage] = Field(default_factory=lambda: [Stage(name="owner")], min_length=1, max_length=3)
    reminders: Reminders = Field(default_factory=Reminders)
    escalate_after_days: int | None = Field(default=5, ge=1)  # silence before the fallback takes over
    on_no_response: NoResponse = NoResponse.ESCALATE
    auto_apply: bool = False  # planned revocations execute without an admin's approval
    justification_required_for: list[str] = Field(default_factory=lambda: ["special-category"])
    recommendations: Recommendations = Field(default_factory=Recommendations)
    exclusions: list[Exclusion] = Field(default_factory=list)
    # The newest complete sync of each system in scope must be younger than this to start a campaign.
    max_sync_age_hours: int = Field(default=26, ge=1)
    # After each sync, a new grant (or a re-grant of revoked access) in scope opens a one-item review.
    review_new_grants: bool = False

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("expected lower-case letters, digits and dashes (e.g. quarterly-personal-data)")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> CycleDefinition:
        needs_fallback = (
            ReviewerSource.FALLBACK in self.reviewers.order
            or self.on_no_response is NoResponse.ESCALATE
            or self.escalate_after_days is not None
        )
        if needs_fallback and self.reviewers.fallback is None:
            raise ValueError(
                "reviewers.fallback (an email) is required: the reviewer order, escalation or "
                'on_no_response = "escalate" hand items to it'
            )
        if self.stages[0].applies_to is not StageCondition.ALL:
            raise ValueError('the first stage reviews every item: its applies_to must be "all"')
        names = [stage.name for stage in self.stages]
        if len(set(names)) != len(names):
            raise ValueError("stage names must be different")
        return self

    @property
    def duration(self) -> timedelta:
        return timedelta(days=self.duration_days)
