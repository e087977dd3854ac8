"""The entries of one history (reviews.operations.history): what happened to one holder's access to one
store, built from the rows each step wrote. Pure: rows in, entries out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from reviews.entitlements import stored_path_text
from reviews.exposure import exposure_of
from reviews.models import AccessGrant, Campaign, Decision, Principal, ReviewItem, Revocation, Store
from reviews.operations.query_access import grant_exposure

COLUMNS = (
    "at",
    "event",
    "store_id",
    "store",
    "principal_id",
    "principal",
    "principal_type",
    "exposure",
    "person",
    "access",
    "campaign",
    "item",
    "actor",
    "detail",
)


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    event: str  # granted, access_ended, review_opened, escalated, decided, decision_superseded, …
    store_id: str
    store: str
    principal_id: str
    principal: str
    principal_type: str
    exposure: str | None  # public | external | other-account (reviews.exposure); None: not an exposure
    person: str | None  # whose access it is, when known
    access: str
    campaign: int | None
    item: int | None
    actor: str  # who did it: "sync", a person's email, "policy", "cli:…", "slack:…"
    detail: str

    def as_json(self) -> dict[str, Any]:
        row = asdict(self)
        row["at"] = self.at.isoformat()
        return row


ORDER = {
    "granted": 0,
    "review_opened": 1,
    "escalated": 2,
    "decided": 3,
    "decision_superseded": 4,
    "revocation_planned": 5,
    "revocation_approved": 6,
    "revoked": 7,
    "revocation_read_back": 8,
    "access_ended": 9,  # what the sync saw, then what it made of the revocation
    "revocation_verified": 10,
    "revocation_survived": 11,
    "revocation_undone": 12,
}


@dataclass(frozen=True)
class GrantRow:
    row: AccessGrant
    store: Store
    principal: Principal


@dataclass(frozen=True)
class _About:
    """What an entry is about: one holder's access to one store, in a campaign's item when it has one."""

    store: Store
    principal: Principal
    person: str | None
    access: str
    campaign: int | None = None
    item: int | None = None

    def entry(self, at: datetime, event: str, actor: str, detail: str) -> HistoryEntry:
        return HistoryEntry(
            at=at,
            event=event,
            store_id=self.store.provider_id,
            store=self.store.name,
            principal_id=self.principal.provider_id,
            principal=self.principal.name,
            principal_type=self.principal.type,
            exposure=exposure_of(self.principal.type, self.principal.guest),
            person=self.person,
            access=self.access,
            campaign=self.campaign,
            item=self.item,
            actor=actor,
            detail=detail,
        )


def grant_entries(grants: Iterable[GrantRow], people: dict[int | None, str]) -> Iterable[HistoryEntry]:
    for g in grants:
        about = _About(g.store, g.principal, people.get(g.principal.person_id), g.row.access)
        path = stored_path_text(g.row.path)
        exposure = grant_exposure(g.row, g.store, g.principal)
        said = f"{exposure.sentence}; through {path}" if exposure else path  # in words, for an exposure
        yield about.entry(g.row.valid_from, "granted", "sync", said)
        if g.row.valid_to is not None:
            yield about.entry(g.row.valid_to, "access_ended", "sync", "no longer found by the sync")


def item_entries(
    items: list[tuple[ReviewItem, Campaign, Store, Principal]],
    decisions: Iterable[Decision],
    people: dict[int | None, str],
) -> Iterable[HistoryEntry]:
    about: dict[int | None, _About] = {}
    for item, campaign, store, principal in items:
        access = str(item.frozen_grant.get("access", ""))
        about[item.id] = it = _About(
            store, principal, people.get(item.holder_person_id), access, campaign.id, item.id
        )
        reviewer = people.get(item.reviewer_person_id, "nobody")
        reason = item.recommendation_evidence.get("reason")
        opened = f"reviewer {reviewer}; recommendation {item.recommendation or 'none'}"
        yield it.entry(
            campaign.started_at, "review_opened", "policy", opened + (f" ({reason})" if reason else "")
        )
        if item.escalated_at is not None:
            to = f"escalated to {reviewer} (no decision by the deadline)"
            yield it.entry(item.escalated_at, "escalated", "policy", to)
    for decision in decisions:
        by = "policy" if decision.via == "policy" else people.get(decision.decided_by_person_id, "unknown")
        detail = f"{decision.outcome} via {decision.via}, stage {decision.stage}"
        if decision.on_behalf_of_person_id is not None:
            detail += f", as delegate of {people.get(decision.on_behalf_of_person_id, 'unknown')}"
        if decision.justification:
            detail += f": {decision.justification}"
        rule = (decision.context or {}).get("reason")
        if decision.via == "policy" and rule:
            detail += f": {rule}"  # the rule the policy applied, as it recorded it
        event = "decision_superseded" if decision.superseded else "decided"
        yield about[decision.review_item_id].entry(decision.decided_at, event, by, detail)


def revocation_entries(
    revocations: list[tuple[Revocation, str, Store, Principal]], people: dict[int | None, str]
) -> Iterable[HistoryEntry]:
    for row, access, store, principal in revocations:
        holder = people.get(principal.person_id)
        it = _About(store, principal, holder, access, row.campaign_id, row.review_item_id)
        planned = f"state now {row.state}" + (f" (held: {row.hold_reason})" if row.hold_reason else "")
        if row.last_error:
            planned += f"; last error: {row.last_error}"
        approved = _approval(row)
        steps = [
            (row.planned_at, "revocation_planned", "policy", planned),
            (row.approved_at, "revocation_approved", row.approved_by or "unknown", approved),
            (
                row.applied_at,
                "revoked",
                "recertify",
                "applied (dry run)" if row.dry_run else "applied (live)",
            ),
            (
                row.read_back_at,
                "revocation_read_back",
                "recertify",
                "read back: the change is in place" if row.applied_at else "read back: nothing to remove",
            ),
            (row.verified_at, "revocation_verified", "sync", "the access is gone at the source"),
            (
                row.survived_at,
                "revocation_survived",
                "sync",
                f"the access survived: still reached through {stored_path_text(row.surviving_path)}",
            ),
            (row.undone_at, "revocation_undone", "recertify", "restored from the recorded inverse"),
        ]
        for at, event, who, detail in steps:
            if at is not None:
                yield it.entry(at, event, who, detail)


def _approval(row: Revocation) -> str:
    """Who approved, and whether the revocation had been held: never "held" for one that was not."""
    by = row.approved_by or "unknown"
    if by.startswith("policy:"):
        return f"approved by the cycle's policy ({by})"
    return f"held revocation approved by {by}" if row.hold_reason else f"approved by {by}"
