"""Who reviews an item: the store's owner, then the holder's manager, then the cycle's fallback, in the
cycle's order, skipping anyone reviewing their own access (DESIGN §3.10). Pure.

The whole order is the item's reviewer chain: the first in it reviews; the next ones take over when the
reviewer cannot, e.g. when the reviewer's delegate holds the access (reviews.campaigns.handover).
"""

from __future__ import annotations

from dataclasses import dataclass

from reviews.cycles.definition import Reviewers, ReviewerSource


@dataclass(frozen=True, slots=True)
class Assignment:
    email: str | None  # None: nobody can review it (reported; such an item can never be revoked by silence)
    source: str  # owner | manager | fallback | stage:<name> | none
    note: str = ""


def reviewer_chain(
    *, owners: list[str], holder_email: str | None, manager_email: str | None, rules: Reviewers
) -> list[Assignment]:
    """Everyone who may review the item, in the cycle's order, once each, the holder left out."""
    holder = holder_email.lower() if holder_email else None
    chain: list[Assignment] = []
    skipped_self = False
    for source in rules.order:
        candidates = {
            ReviewerSource.OWNER: owners,
            ReviewerSource.MANAGER: [manager_email] if manager_email else [],
            ReviewerSource.FALLBACK: [rules.fallback] if rules.fallback else [],
        }[source]
        for email in candidates:
            if email.lower() == holder:
                skipped_self = True
                continue
            if any(email.lower() == earlier.email for earlier in chain):
                continue
            note = "the owner holds this access: not reviewing their own" if skipped_self else ""
            chain.append(Assignment(email.lower(), source.value, note))
    return chain


def first_reviewer(
    *, owners: list[str], holder_email: str | None, manager_email: str | None, rules: Reviewers
) -> Assignment:
    chain = reviewer_chain(owners=owners, holder_email=holder_email, manager_email=manager_email, rules=rules)
    if chain:
        return chain[0]
    return Assignment(None, "none", "no owner, manager or fallback other than the holder")


def stage_chain(
    *, stage_name: str, reviewer: str, holder_email: str | None, fallback: str | None
) -> list[Assignment]:
    """A later stage's reviewer, then the fallback, the holder left out."""
    holder = holder_email.lower() if holder_email else None
    if reviewer == holder:
        note = f"stage {stage_name}'s reviewer holds this access"
        return [Assignment(fallback, "fallback", note)] if fallback and fallback != holder else []
    chain = [Assignment(reviewer, f"stage:{stage_name}")]
    if fallback and fallback not in (holder, reviewer):
        chain.append(Assignment(fallback, "fallback"))
    return chain


def stage_reviewer(
    *, stage_name: str, reviewer: str, holder_email: str | None, fallback: str | None
) -> Assignment:
    chain = stage_chain(
        stage_name=stage_name, reviewer=reviewer, holder_email=holder_email, fallback=fallback
    )
    if chain:
        return chain[0]
    return Assignment(None, "none", f"stage {stage_name}'s reviewer holds this access and no fallback")
