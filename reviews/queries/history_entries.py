"""The entries of one history (reviews.queries.history): one audit event told about one holder's access
to one store, and what each entry is about."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from reviews.exposure import exposure_of
from reviews.storage.models import AccessGrant, Principal, Store

COLUMNS = (
    "seq",
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
    seq: int  # the audit event this entry tells (`recertify audit verify` vouches for it)
    at: datetime
    event: str  # granted, review_opened, asked, escalated, decided, revocation_planned, … (history_events)
    store_provider_id: str  # exported as "store_id"
    store: str
    principal_provider_id: str  # exported as "principal_id"
    principal: str
    principal_type: str
    exposure: (
        str | None
    )  # public | external | tenant | other-account (reviews.exposure); None: not an exposure
    person: str | None  # whose access it is, when known
    access: str
    campaign: int | None
    item: int | None
    actor: str  # who did it: "sync", a person's email, "policy", "cli:…", "slack:…"
    detail: str

    def as_json(self) -> dict[str, Any]:
        row = asdict(self)
        row["at"] = self.at.isoformat()
        # The CSV and JSON keep the keys they were published with.
        row["store_id"], row["principal_id"] = row.pop("store_provider_id"), row.pop("principal_provider_id")
        return {name: row[name] for name in COLUMNS}


@dataclass(frozen=True)
class GrantRow:
    row: AccessGrant
    store: Store
    principal: Principal


@dataclass(frozen=True)
class About:
    """What an entry is about: one holder's access to one store, in a campaign's item when it has one."""

    store: Store
    principal: Principal
    person: str | None
    access: str
    campaign: int | None = None
    item: int | None = None
    holder_id: int | None = None  # the holder's person id: `person` is their email, named when told
    reviewer_id: int | None = None  # an item's reviewer now (whose messages may list it)

    def named(self, person: str | None) -> About:
        return replace(self, person=person)

    def entry(self, seq: int, at: datetime, event: str, actor: str, detail: str) -> HistoryEntry:
        return HistoryEntry(
            seq=seq,
            at=at,
            event=event,
            store_provider_id=self.store.provider_id,
            store=self.store.name,
            principal_provider_id=self.principal.provider_id,
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
