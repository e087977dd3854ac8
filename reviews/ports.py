"""What the domain needs from the outside world, as Protocols. Adapters implement them; app.py wires them.

The domain imports no SDK: a connector, a notifier and a clock are all it sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from reviews.entitlements import RevocationAction, RevocationResult, Snapshot, System


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC."""
        ...


class Connector(Protocol):
    """A source of access (AWS, Entra). Contract (STYLE.md):

    - `check()` proves the credentials and permissions work, or raises `Misconfigured`/`SourceUnavailable`;
    - `snapshot()` returns everything or raises `SourceUnavailable`; it never returns less;
    - `revoke(action, dry_run=...)` is idempotent: a target already gone is `ALREADY_ABSENT`, not an error;
      with `dry_run=True` it makes no write call;
    - `verify(action)` reads back and says whether the access is really gone.
    """

    system: System

    def check(self) -> None: ...

    def snapshot(self) -> Snapshot: ...

    def revoke(self, action: RevocationAction, *, dry_run: bool) -> RevocationResult: ...

    def verify(self, action: RevocationAction) -> bool: ...


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a notifier could say about one message: delivered (with where), or why not."""

    delivered: bool
    channel: str | None = None
    message_ts: str | None = None
    error: str | None = None


class Notifier(Protocol):
    """Reaches a person (Slack in production). The review engine records every Delivery it returns."""

    def send(self, person_email: str, text: str) -> Delivery: ...


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
