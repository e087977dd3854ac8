"""The AWS connector (reviews.ports.Connector): fetch → evaluate → last use → snapshot; plan, revoke, verify.

Composes the I/O (fetch.py, revoke/) around the pure parts (access.py, transform.py). Everything it
returns is complete or it raises: one unreadable account or a page that does not add up, and the whole
snapshot fails rather than shrink. Last use is the exception: it is evidence, not access, so a failed
last-accessed call leaves last use unknown for the principals concerned, with a note saying why.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace

import boto3

from connectors.aws import revoke as primitives
from connectors.aws.access import effective_access
from connectors.aws.accounts import AwsSessions, open_sessions
from connectors.aws.catalog import ActionCatalog
from connectors.aws.fetch import fetch_inventory
from connectors.aws.inventory import AwsInventory, ServiceLastAccessed
from connectors.aws.last_accessed import LastAccessedRead, fetch_last_accessed
from connectors.aws.revoke.planning import iam_arn
from connectors.aws.settings import AwsSettings
from connectors.aws.transform import SERVICE_OF_KIND, to_snapshot
from reviews.entitlements import (
    Grant,
    PlannedChange,
    RevocationAction,
    RevocationResult,
    Snapshot,
    StoreKind,
    System,
)
from reviews.ports import Clock

logger = logging.getLogger(__name__)
Progress = Callable[[str], None]


class AwsConnector:
    system = System.AWS

    def __init__(
        self,
        settings: AwsSettings,
        *,
        clock: Clock,
        session: boto3.Session | None = None,
        progress: Progress | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._session = session
        self._progress = progress or (lambda _message: None)
        self._catalog: ActionCatalog | None = None  # loaded on first use: ~0.2 s, not needed to revoke

    def check(self) -> None:
        """Proves the credentials work and every account's read role can be assumed."""
        self._sessions()

    def snapshot(self) -> Snapshot:
        sessions = self._sessions()
        self._progress(f"reading {len(sessions.accounts)} AWS account(s)")
        inventory = fetch_inventory(self._settings, sessions, now=self._clock.now())
        self._progress("computing effective access")
        if self._catalog is None:
            self._catalog = ActionCatalog()
        evaluation = effective_access(inventory, self._catalog)
        last_used: tuple[ServiceLastAccessed, ...] = ()
        if self._settings.last_accessed:
            reads = self._last_accessed(sessions, evaluation.grants, _store_kinds(inventory))
            last_used = tuple(entry for read in reads for entry in read.entries)
            # Evidence that could not be read stays unknown, and the snapshot says why.
            notes = tuple(note for read in reads for note in read.notes())
            inventory = replace(inventory, notes=(*inventory.notes, *notes))
        self._progress("building the snapshot")
        return to_snapshot(inventory, evaluation, self._settings, last_used)

    def plan_revocation(self, grant: Grant) -> PlannedChange:
        """The one change that ends `grant` for its principal alone (revoke/planning.py), confirmed by a read
        with the read role; RevocationRefused says what a person must change instead, NotFound that the
        access is already gone. Never writes."""
        plan = primitives.plan_for_grant(grant)  # refusals need no AWS call
        planned = plan(self._clients(write=False))
        return PlannedChange(action=planned.action, inverse=planned.inverse, approval=planned.approval)

    def revoke(self, action: RevocationAction, *, dry_run: bool) -> RevocationResult:
        """Idempotent; a dry run reads with the read role and writes nothing (revoke/engine.py)."""
        return primitives.apply(self._clients(write=not dry_run), action, dry_run=dry_run)

    def verify(self, action: RevocationAction) -> bool:
        return primitives.verify(self._clients(write=False), action)

    def _sessions(self, role: str | None = None) -> AwsSessions:
        return open_sessions(self._settings, self._session, role=role)

    def _clients(self, *, write: bool) -> primitives.SessionClients:
        sessions = self._sessions(self._settings.write_role if write else None)
        region = self._settings.identity_center_region or self._settings.regions[0]
        accounts = {account.account_id: account for account in sessions.accounts}
        return primitives.SessionClients(
            accounts, identity_center=sessions.caller, identity_center_region=region
        )

    def _last_accessed(
        self, sessions: AwsSessions, grants: tuple[Grant, ...], kinds: dict[str, str]
    ) -> list[LastAccessedRead]:
        """One job per IAM user or role of a read account that holds a grant, for the services of the stores
        it reaches. Identity Center users, anyone, unread accounts and services have no IAM last-accessed."""
        accounts = {account.account_id: account for account in sessions.accounts}
        wanted: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for grant in grants:
            arn = iam_arn(grant.principal_provider_id)
            if arn is not None and arn.type in ("user", "role") and arn.account_id in accounts:
                service = SERVICE_OF_KIND[StoreKind(kinds[grant.store_provider_id])]
                wanted[arn.account_id][grant.principal_provider_id].add(service)
        found: list[LastAccessedRead] = []
        for account_id, principals in wanted.items():
            self._progress(f"last use: {len(principals)} principal(s) in {account_id}")
            services = {service for needed in principals.values() for service in needed}
            found.append(
                fetch_last_accessed(
                    accounts[account_id],
                    sorted(principals),
                    services,
                    timeout=float(self._settings.last_accessed_timeout_seconds),
                )
            )
        return found


def _store_kinds(inventory: AwsInventory) -> dict[str, str]:
    return {store.arn: store.kind for account in inventory.accounts for store in account.stores}
