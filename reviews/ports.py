"""What the domain needs from the outside world, as Protocols. Adapters implement them; wiring.py wires them.

The domain imports no SDK: a connector, a notifier and a clock are all it sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from reviews.entitlements import Grant, PlannedChange, RevocationAction, RevocationResult, Snapshot, System


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC."""
        ...


class Connector(Protocol):
    """A source of access (AWS, Entra). Contract (STYLE.md):

    - `check()` proves the credentials and permissions work, or raises `Misconfigured`/`SourceUnavailable`;
    - `snapshot()` returns everything or raises `SourceUnavailable`; it never returns less;
    - `plan_revocation(grant)` names the one provider change that ends this grant for this principal, with
      its inverse, or raises `RevocationRefused` saying what a person must change instead (nested or dynamic
      membership, access through a role or a resource policy…): refused means human review, never a guess;
    - `revoke(action, dry_run=...)` is idempotent: a target already gone is `ALREADY_ABSENT`, not an error;
      with `dry_run=True` it makes no write call;
    - `verify(action)` reads back and says whether the access is really gone.
    """

    system: System

    def check(self) -> None: ...

    def snapshot(self) -> Snapshot: ...

    def plan_revocation(self, grant: Grant) -> PlannedChange: ...

    def revoke(self, action: RevocationAction, *, dry_run: bool) -> RevocationResult: ...

    def verify(self, action: RevocationAction) -> bool: ...


@dataclass(frozen=True, slots=True)
class PostedMessage:
    """One chat message a notifier posted and the items it shows: the record a click on it is checked
    against, and what redrawing it starts from (never what the client says the message holds)."""

    channel: str
    message_ts: str
    item_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a notifier could say about one message: delivered (with where), or why not."""

    delivered: bool
    channel: str | None = None
    message_ts: str | None = None
    error: str | None = None
    # The person cannot be reached this way at all (no account, deactivated…), as opposed to "not now"
    # (an outage): their items go to the fallback reviewer at once instead of waiting to be retried.
    unreachable: bool = False
    # Each message posted, in order: a digest of several pages is several messages, and a failure part way
    # leaves those before it. Empty from a notifier that does not say (then channel and message_ts do).
    messages: tuple[PostedMessage, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemView:
    """One item as a reviewer sees it: enough to decide without opening another tool."""

    item_id: int
    store: str
    store_system: str
    store_kind: str
    holder: str  # the principal's name
    holder_email: str | None
    access: str
    path: tuple[str, ...]
    last_used: str | None  # ISO time, or None when unknown
    last_used_source: str | None
    recommendation: str | None  # keep | revoke | None
    recommendation_reason: str
    justification_required: bool
    status: str
    # An exposure (anyone, or an account nobody here reviews, holds it), said as a sentence: "anyone on the
    # internet can read benefit-claims". None for every other grant.
    exposure: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewerMessage:
    """What the engine asks a notifier to tell one reviewer: one digest per campaign, never one per item."""

    kind: str  # digest | reminder | escalation
    campaign_id: int
    campaign: str  # cycle name and period
    due_at: datetime
    reviewer_email: str
    reviewer_chat_id: str | None  # the immutable chat (Slack) user id, when linked
    items: tuple[ItemView, ...]
    # Items an earlier attempt of this same delivery already posted to the person (it stopped part-way):
    # a page showing only these is not posted again (reviews.campaigns.resume).
    already_posted: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class RevocationNotice:
    """What the engine tells a person whose access it removed (`[slack] notify_revoked`): what, why and
    by whom."""

    person_email: str
    person_chat_id: str | None
    principal: str  # the account that lost the access
    store: str
    store_system: str
    access: str
    path: tuple[str, ...]
    decided_by: str  # the reviewer's email, or "the review policy"
    reason: str  # the reviewer's justification, or why the policy revoked
    campaign: str  # cycle name and period
    revoked_at: datetime


@dataclass(frozen=True, slots=True)
class SurvivalNotice:
    """What the engine tells admins and a store's owner when a revocation did not remove the access: a later
    sync still found it, through `surviving_path`."""

    revocation_id: int
    store: str
    store_system: str
    principal: str
    access: str
    surviving_path: tuple[str, ...]
    change: str  # what the revocation did (or found already done)
    campaign: str  # the review that decided the revocation (cycle name and period)
    survived_at: datetime
    review_opened: bool  # a new review of the surviving path was started


class Notifier(Protocol):
    """Reaches a reviewer (Slack in production). The engine records every Delivery it returns: the
    no-response rule only revokes when the reviewer was really reached."""

    def notify(self, message: ReviewerMessage) -> Delivery: ...

    def tell_revoked(self, notice: RevocationNotice) -> Delivery: ...

    def tell_survived(self, notice: SurvivalNotice, to: str) -> Delivery:
        """Post the alert to `to`: a chat channel id, or a person's chat user id (a DM)."""
        ...


class StateStore(Protocol):
    """Opaque state a connector keeps between syncs (Entra: its directory mirror and delta links).

    Kept in Recertify's database, so replicas share it, but written only through this port: connectors
    never touch the database. Losing it costs a full sync, never correctness.
    """

    def load(self, key: str) -> bytes | None: ...

    def save(self, key: str, value: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class ChatIdentity:
    """A chat (Slack) account as its directory describes it. `user_id` is immutable; the email is not."""

    user_id: str
    email: str
    deleted: bool


class ChatDirectory(Protocol):
    """Finds a person's chat account by email. None: no account has it. Raises SourceUnavailable when the
    directory cannot answer (so "not found" is never confused with "could not ask")."""

    def lookup_by_email(self, email: str) -> ChatIdentity | None: ...

    def account(self, user_id: str) -> ChatIdentity | None:
        """The account with this id (deactivated ones included, marked deleted), or None when none exists."""
        ...

    def group_members(self, group_id: str) -> frozenset[str]:
        """The user ids in a chat user group (Slack: a "S…" user group); raises SourceUnavailable when the
        directory cannot answer, so a role is never granted, or denied, on a guess."""
        ...


class CheckpointKind(StrEnum):
    CHECKPOINT = "checkpoint"  # the chain's head at a moment (hourly, and before a purge)
    BASE = "base"  # written by a purge before it deletes: events up to here go, the rest links to this hash


@dataclass(frozen=True, slots=True)
class WrittenCheckpoint:
    """One record read back from a write-once store: event `seq` had hash `hash` when it was written."""

    kind: CheckpointKind
    seq: int
    hash: str
    location: str  # where it is, as `write` returned it (s3://bucket/key)


class CheckpointSink(Protocol):
    """A write-once store for chain positions (S3 with Object Lock in production). What it holds cannot be
    changed or deleted by whoever can rewrite the database, so `audit verify` trusts it over the database.

    - `location` names the store for messages and prefixes what `write` returns (s3://bucket/prefix/);
    - `write` stores one record and returns where; writing a record that is already there is not an error
      (the same kind, seq and hash make the same record);
    - `read_all` returns every record ever written (hidden or superseded versions included), or raises
      `SourceUnavailable`; never a partial list.
    """

    location: str

    def write(
        self, seq: int, hash: str, recorded_at: datetime, *, kind: CheckpointKind = CheckpointKind.CHECKPOINT
    ) -> str: ...

    def read_all(self) -> list[WrittenCheckpoint]: ...


class AttestationSigner(Protocol):
    """Signs attestations (reviews.attestation) with a key the operator controls: an Ed25519 key file, or an
    AWS KMS asymmetric key. The domain never sees the private key, only what a verifier needs:

    - `algorithm`: "Ed25519" (RFC 8032) or "ECDSA_SHA_256" (NIST P-256, DER signature, as AWS KMS returns);
    - `public_key_pem`: the public key (SubjectPublicKeyInfo, PEM), embedded in every bundle;
    - `key_id`: what the operator calls the key (the file, the KMS key id), for messages;
    - `sign(message)`: the signature over `message` (at most 4096 bytes: what KMS signs raw), or raises
      `Misconfigured` / `SourceUnavailable`.
    """

    algorithm: str
    public_key_pem: str
    key_id: str

    def sign(self, message: bytes) -> bytes: ...
