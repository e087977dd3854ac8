"""Who reviews an item: the store's owner, then the holder's manager, then the cycle's fallback, in the
cycle's order, skipping anyone reviewing their own access (DESIGN §3.10). Pure."""

from __future__ import annotations

from dataclasses import dataclass

from reviews.cycle_definition import Reviewers, ReviewerSource


@dataclass(frozen=True, slots=True)
class Assignment:
    email: str | None  # None: nobody can review it (reported; such an item can never be revoked by silence)
    source: str  # owner | manager | fallback | stage:<name> | none
    note: str = ""


def first_reviewer(
    *, owners: list[str], holder_email: str | None, manager_email: str | None, rules: Reviewers
) -> Assignment:
    skipped_self = False
    for source in rules.order:
        candidates = {
            ReviewerSource.OWNER: owners,
            ReviewerSource.MANAGER: [manager_email] if manager_email else [],
            ReviewerSource.FALLBACK: [rules.fallback] if rules.fallback else [],
        }[source]
        for email in candidates:
            if holder_email and email.lower() == holder_email.lower():
                skipped_self = True
                continue
            note = "the owner holds this access: not reviewing their own" if skipped_self else ""
            return Assignment(email.lower(), source.value, note)
    return Assignment(None, "none", "no owner, manager or fallback other than the holder")


def stage_reviewer(
    *, stage_name: str, reviewer: str, holder_email: str | None, fallback: str | None
) -> Assignment:
    if holder_email and reviewer == holder_email.lower():
        if fallback and fallback != holder_email.lower():
            return Assignment(fallback, "fallback", f"stage {stage_name}'s reviewer holds this access")
        return Assignment(None, "none", f"stage {stage_name}'s reviewer holds this access and no fallback")
    return Assignment(reviewer, f"stage:{stage_name}")
