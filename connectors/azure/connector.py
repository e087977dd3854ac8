"""The Azure connector (reviews.ports.Connector): read (ARM, then the Entra objects it names) → evaluate →
snapshot; revocation planning refuses, naming the manual fix.

The read is injected (`read: Callable[[], SourceRead]`): wiring.py composes the ARM fetch and the Graph
directory read (reading.read_all); tests hand it a built inventory.
"""

from __future__ import annotations

from collections.abc import Callable

from connectors.azure.evaluate import effective_access
from connectors.azure.planning import manual_fix
from connectors.azure.reading import SourceRead
from connectors.azure.settings import AzureSettings
from connectors.azure.transform import to_snapshot
from reviews.entitlements import Grant, PlannedChange, RevocationAction, RevocationResult, Snapshot, System
from reviews.errors import RevocationRefused


class AzureConnector:
    system = System.AZURE

    def __init__(
        self,
        settings: AzureSettings,
        read: Callable[[], SourceRead],
        *,
        check: Callable[[], None] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self._settings, self._read, self._check = settings, read, check
        self._progress = progress or (lambda _message: None)

    def check(self) -> None:
        """The live checks are doctor's (one probe per permission); without one injected, a full read."""
        if self._check is not None:
            self._check()
        else:
            self._read()

    def snapshot(self) -> Snapshot:
        self._progress("reading Azure Resource Manager and the Entra objects it names")
        read = self._read()
        self._progress("computing effective access")
        grants = effective_access(read.inventory)
        return to_snapshot(read, grants, self._settings)

    def plan_revocation(self, grant: Grant) -> PlannedChange:
        """Refuses for now, with the exact manual fix (planning.py): Azure revocation (deleting a role
        assignment made to the principal at the store or its resource group, with its inverse; a group
        membership through the Entra connector; reading back) is the next step of issue 19."""
        raise RevocationRefused(manual_fix(grant))

    def revoke(self, action: RevocationAction, *, dry_run: bool) -> RevocationResult:
        """Nothing is planned (plan_revocation refuses), so no Azure action can reach the outbox."""
        raise RevocationRefused(f"azure: no revocation is made automatically yet ({action.kind})")

    def verify(self, action: RevocationAction) -> bool:
        raise RevocationRefused(f"azure: no revocation is made automatically yet ({action.kind})")
