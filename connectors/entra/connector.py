"""The Entra ID connector (reviews.ports.Connector): fetch → access → snapshot; plan, revoke, verify.

The Graph client (and its event-loop thread) lives only for the duration of one call: a sync or one
revocation. Its state between syncs (the directory mirror and delta links) goes through the StateStore.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from connectors.entra import revoke as primitives
from connectors.entra.access import entra_grants
from connectors.entra.client import GraphClient
from connectors.entra.fetch import fetch_inventory
from connectors.entra.planning import plan_for_grant
from connectors.entra.settings import EntraSecrets, EntraSettings
from connectors.entra.transform import to_snapshot
from reviews.entitlements import (
    AccessLevel,
    Grant,
    PlannedChange,
    RevocationAction,
    RevocationResult,
    Snapshot,
    System,
)
from reviews.ports import Clock, StateStore


class EntraConnector:
    system = System.ENTRA

    def __init__(
        self,
        settings: EntraSettings,
        secrets: EntraSecrets,
        *,
        clock: Clock,
        state: StateStore | None = None,
        progress: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_throttled: Callable[[int], None] | None = None,
        full_sync: bool = False,
    ) -> None:
        self._settings, self._secrets, self._clock, self._state = settings, secrets, clock, state
        self._sleep = sleep  # how retries wait (Retry-After, backoff); tests pass one that does not
        self._on_throttled = on_throttled  # each 429/503 Graph answers (serve counts them for /metrics)
        self._progress = progress or (lambda _message: None)
        self._full_sync = full_sync  # ignore the stored mirror and delta links (`recertify sync --full`)

    def _client(self) -> GraphClient:
        return GraphClient(self._settings, self._secrets, sleep=self._sleep, on_throttled=self._on_throttled)

    def check(self) -> None:
        with self._client() as client:  # one page, not the directory: get() does not follow nextLinks
            client.get("/users", {"$select": "id", "$top": "1"})

    def snapshot(self) -> Snapshot:
        with self._client() as client:
            self._progress("reading users, groups and apps from Microsoft Graph")
            inventory = fetch_inventory(
                client, self._settings, self._state, now=self._clock.now(), full=self._full_sync
            )
        self._progress("computing access")
        grants = entra_grants(inventory, member_access=AccessLevel(self._settings.member_access))
        return to_snapshot(inventory, grants)

    def plan_revocation(self, grant: Grant) -> PlannedChange:
        """The one change that ends `grant` for its principal alone (planning.py); RevocationRefused says
        what a person must change instead, NotFound that the access is already gone. Reads, never writes."""
        plan = plan_for_grant(grant)  # refusals that need no read open no client
        with self._client() as client:
            planned = plan(client)
        return PlannedChange(action=planned.action, inverse=planned.inverse)

    def revoke(self, action: RevocationAction, *, dry_run: bool) -> RevocationResult:
        with self._client() as client:
            return primitives.apply(client, action, dry_run=dry_run)

    def verify(self, action: RevocationAction) -> bool:
        with self._client() as client:
            return primitives.verify(client, action)
