"""A small department for the engine's tests: stores with owners, people with managers, grants with the
usage evidence a connector would report. Built as a real Snapshot and applied through apply_snapshot, so
the engine reads exactly what a sync writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from reviews.clock import FrozenClock
from reviews.cycles.definition import CycleDefinition
from reviews.cycles.manage import definition_sha256
from reviews.entitlements import (
    AccessLevel,
    Grant,
    LastUse,
    PathStep,
    Person,
    Principal,
    PrincipalType,
    Snapshot,
    Store,
    StoreKind,
    System,
)
from reviews.inventory.apply import SyncSummary, apply_snapshot
from reviews.ports import Delivery, ReviewerMessage, RevocationNotice, SurvivalNotice
from reviews.storage.models import ReviewCycle

DOMAIN = "dept.example.gov"
FALLBACK = f"security@{DOMAIN}"


def email(name: str) -> str:
    return f"{name}@{DOMAIN}"


def arn(name: str) -> str:
    return f"arn:aws:iam::111122223333:user/{name}"


def object_id(name: str) -> str:
    """An Entra user's (or group's) object id in a department built with `system=System.ENTRA`."""
    return f"entra-{name}"


@dataclass
class Department:
    """Mutable description; `snapshot(at)` freezes it. In AWS (the default) stores are S3 buckets and grants
    go through an IAM group named after the store; in Entra stores are groups and grants are memberships."""

    system: System = System.AWS
    stores: dict[str, tuple[str, str]] = field(default_factory=dict)  # name → (owner, classification)
    users: dict[str, dict[str, object]] = field(default_factory=dict)  # name → principal attributes
    grants: dict[tuple[str, str, AccessLevel], LastUse | None] = field(default_factory=dict)
    managers: dict[str, str] = field(default_factory=dict)  # user → manager user
    tags: dict[str, dict[str, str]] = field(default_factory=dict)  # store → tags beyond the classification
    # Principals nobody is (anyone, an outside account, a service): name → (type, provider id, guest, the
    # contact email a source might give an account)
    outsiders: dict[str, tuple[PrincipalType, str, bool, str | None]] = field(default_factory=dict)
    # Their grants, as a resource policy gives them: (outsider, store, level) → (statement name, conditional)
    exposures: dict[tuple[str, str, AccessLevel], tuple[str, bool]] = field(default_factory=dict)

    def tag(self, store: str, key: str, value: str) -> Department:
        self.tags.setdefault(store, {})[key] = value
        return self

    def outsider(
        self,
        name: str,
        type: PrincipalType,
        provider_id: str,
        *,
        guest: bool = False,
        contact: str | None = None,
    ) -> Department:
        self.outsiders[name] = (type, provider_id, guest, contact)
        return self

    def expose(
        self,
        outsider: str,
        store: str,
        access: AccessLevel = AccessLevel.READ,
        *,
        statement: str = "bucket policy statement PublicRead",
        conditional: bool = False,
    ) -> Department:
        self.exposures[(outsider, store, access)] = (statement, conditional)
        return self

    def store(self, name: str, owner: str, classification: str = "personal") -> Department:
        self.stores[name] = (owner, classification)
        return self

    def user(
        self,
        name: str,
        *,
        enabled: bool | None = True,
        guest: bool = False,
        manager: str | None = None,
        created: datetime | None = None,
        sign_in: LastUse | None = None,
    ) -> Department:
        self.users[name] = {"enabled": enabled, "guest": guest, "created": created, "sign_in": sign_in}
        if manager:
            self.managers[name] = manager
        return self

    def grant(
        self, user: str, store: str, access: AccessLevel = AccessLevel.READ, *, used: LastUse | None = None
    ) -> Department:
        self.grants[(user, store, access)] = used
        return self

    def revoke(self, user: str, store: str, access: AccessLevel = AccessLevel.READ) -> Department:
        del self.grants[(user, store, access)]
        return self

    def snapshot(self, at: datetime) -> Snapshot:
        entra = self.system is System.ENTRA
        stores = tuple(
            Store(
                self.system,
                StoreKind.ENTRA_GROUP if entra else StoreKind.S3_BUCKET,
                self._store_provider_id(name),
                name,
                owners=(email(owner),),
                classification=classification,
                tags=self._tags(name, classification),
            )
            for name, (owner, classification) in sorted(self.stores.items())
        )
        principals = tuple(
            Principal(
                self.system,
                PrincipalType.ENTRA_USER if entra else PrincipalType.IAM_USER,
                object_id(name) if entra else arn(name),
                name,
                email=email(name),
                enabled=attrs["enabled"],  # type: ignore[arg-type]
                guest=bool(attrs["guest"]),
                created_at=attrs["created"],  # type: ignore[arg-type]
                last_sign_in=attrs["sign_in"],  # type: ignore[arg-type]
                person_email=email(name),
            )
            for name, attrs in sorted(self.users.items())
        ) + tuple(
            Principal(self.system, kind, provider_id, name, email=contact, guest=guest)
            for name, (kind, provider_id, guest, contact) in sorted(self.outsiders.items())
        )
        everyone = sorted(
            set(self.users) | {owner for owner, _ in self.stores.values()} | set(self.managers.values())
        )
        people = tuple(
            Person(
                email(name),
                display_name=name.title(),
                manager_email=email(self.managers[name]) if name in self.managers else None,
            )
            for name in everyone
        )
        grants = tuple(
            Grant(
                self._store_provider_id(store),
                object_id(user) if entra else arn(user),
                access,
                path=(
                    (PathStep("group", object_id(store), store),)
                    if entra
                    else (
                        PathStep(
                            "group", f"arn:aws:iam::111122223333:group/{store}-{access}", f"{store}-{access}"
                        ),
                    )
                ),
                last_used=used,
            )
            for (user, store, access), used in sorted(self.grants.items())
        ) + tuple(
            Grant(
                self._store_provider_id(store),
                self.outsiders[outsider][1],
                access,
                path=(
                    PathStep("resource_policy", f"{self._store_provider_id(store)}#statement/1", statement),
                ),
                conditional=conditional,
            )
            for (outsider, store, access), (statement, conditional) in sorted(self.exposures.items())
        )
        return Snapshot(self.system, at, stores, principals, grants, people)

    def _tags(self, store: str, classification: str) -> tuple[tuple[str, str], ...]:
        return tuple(sorted({**self.tags.get(store, {}), "data-classification": classification}.items()))

    def _store_provider_id(self, name: str) -> str:
        return object_id(name) if self.system is System.ENTRA else f"arn:aws:s3:::{name}"

    def sync(self, session: Session, clock: FrozenClock, *, max_drop: float | None = 0.3) -> SyncSummary:
        summary = apply_snapshot(self.snapshot(clock.now()), session=session, clock=clock, max_drop=max_drop)
        session.commit()
        return summary


def used(at: datetime, source: str = "iam:service-last-accessed") -> LastUse:
    return LastUse(at, source, window_start=at - timedelta(days=400), window_end=at)


def store_cycle(session: Session, definition: CycleDefinition, at: datetime, version: int = 1) -> ReviewCycle:
    body = definition.model_dump(mode="json")
    row = ReviewCycle(
        name=definition.name,
        version=version,
        definition=body,
        definition_sha256=definition_sha256(definition),
        applied_at=at,
        applied_by="cli:test",
    )
    session.add(row)
    session.commit()
    return row


def cycle(**overrides: object) -> CycleDefinition:
    body: dict[str, object] = {
        "name": "quarterly",
        "reviewers": {"fallback": FALLBACK},
        "on_no_response": "revoke",
        "max_sync_age_hours": 24,
    }
    body.update(overrides)
    return CycleDefinition.model_validate(body)


class RecordingNotifier:
    """Stands in for Slack at the port: records every message, fails for the emails it is told to."""

    def __init__(self, undeliverable: set[str] | None = None, unreachable: set[str] | None = None) -> None:
        self.messages: list[ReviewerMessage] = []
        self.notices: list[RevocationNotice] = []
        self.survivals: list[tuple[SurvivalNotice, str]] = []
        self.undeliverable = undeliverable or set()  # failing now (an outage for them)
        self.unreachable = unreachable or set()  # never reachable (no account)

    def notify(self, message: ReviewerMessage) -> Delivery:
        self.messages.append(message)
        if message.reviewer_email in self.undeliverable:
            return Delivery(delivered=False, error="service_unavailable")
        if message.reviewer_email in self.unreachable:
            return Delivery(delivered=False, error="user_not_found", unreachable=True)
        return Delivery(delivered=True, channel="D0001", message_ts=f"{len(self.messages)}.0001")

    def tell_revoked(self, notice: RevocationNotice) -> Delivery:
        self.notices.append(notice)
        if notice.person_email in self.undeliverable:
            return Delivery(delivered=False, error="service_unavailable")
        return Delivery(delivered=True, channel="D0002", message_ts=f"{len(self.notices)}.0002")

    def tell_survived(self, notice: SurvivalNotice, to: str) -> Delivery:
        self.survivals.append((notice, to))
        return Delivery(delivered=True, channel=to, message_ts=f"{len(self.survivals)}.0003")

    def to(self, name: str, kind: str | None = None) -> list[ReviewerMessage]:
        return [
            m for m in self.messages if m.reviewer_email == email(name) and (kind is None or m.kind == kind)
        ]
