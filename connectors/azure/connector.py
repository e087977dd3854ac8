"""The Azure connector (reviews.ports.Connector): read (ARM, then the Entra objects it names) → evaluate →
snapshot; plan, revoke, verify (revoke_choice.py decides, revoke.py writes).

The read is injected (`read: Callable[[], SourceRead]`): wiring.py composes the ARM fetch and the Graph
directory read (reading.read_all); tests hand it a built inventory. So are the clients revocation writes with
(`arm`: the management clients, `graph`: a Graph client for memberships; live.py builds both from the same
app registration): without them every revocation is refused with its manual fix.
"""

from __future__ import annotations

from collections.abc import Callable

from connectors.azure import revoke as primitives
from connectors.azure.client import AzureClients
from connectors.azure.evaluate import effective_access
from connectors.azure.reading import SourceRead
from connectors.azure.revoke_choice import DeleteAssignment, RemoveMembership, choose, refuse
from connectors.azure.settings import AzureSettings
from connectors.azure.transform import to_snapshot
from connectors.entra.client import GraphClient
from connectors.entra.planning import why_unchangeable
from connectors.entra.revoke import named
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
        arm: Callable[[], AzureClients] | None = None,
        graph: Callable[[], GraphClient] | None = None,
    ) -> None:
        self._settings, self._read, self._check = settings, read, check
        self._progress = progress or (lambda _message: None)
        self._arm, self._graph = arm, graph

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
        """The one change that ends `grant` for its principal (revoke_choice.py), after one read: the role
        assignment as ARM holds it now (NotFound: already gone), or the group's changeability. Refusals say
        why and name the manual fix. An assignment at the resource group serves every resource in it: the
        change waits for an admin's approval. Reads, never writes."""
        choice = choose(grant)
        who = named(grant.principal_name, grant.principal_provider_id)
        if isinstance(choice, RemoveMembership):
            return self._plan_membership(grant, choice, who)
        return self._plan_delete(grant, choice, who)

    def _plan_delete(self, grant: Grant, choice: DeleteAssignment, who: str) -> PlannedChange:
        if self._arm is None:
            refuse(grant, "Azure revocation is not wired (no ARM write client)")
        with self._arm() as clients:
            assignment = primitives.read_assignment(clients, choice.assignment_id)
        if assignment.principal_id.lower() != grant.principal_provider_id.lower():
            refuse(grant, f"role assignment {assignment.id} is made to {assignment.principal_id}, not {who}")
        step = next(s for s in grant.path if s.id == choice.assignment_id)
        planned = primitives.plan_delete(assignment, role_name=step.name, who=who)
        approval = None
        if choice.group_scope:
            approval = (
                f"the role assignment is made at resource group {choice.scope} and serves every resource in "
                "it: deleted only with an admin's approval"
            )
        return PlannedChange(planned.action, planned.inverse, approval)

    def _plan_membership(self, grant: Grant, choice: RemoveMembership, who: str) -> PlannedChange:
        """As the Entra connector plans a membership removal, with the same refusals (entra planning)."""
        if self._graph is None:
            refuse(grant, "Azure revocation is not wired (no Graph client)")
        group = choice.group
        with self._graph() as client:
            why = why_unchangeable(client, group)
        if why:
            refuse(grant, f"group {group.name} cannot be changed here: {why}")
        planned = primitives.plan_membership(group.id, group.name, grant.principal_provider_id, who)
        return PlannedChange(planned.action, planned.inverse)

    def revoke(self, action: RevocationAction, *, dry_run: bool) -> RevocationResult:
        if action.kind in primitives.MEMBERSHIP_KINDS:
            return primitives.apply_membership(self._graph_client(action), action, dry_run=dry_run)
        with self._arm_clients(action)() as clients:
            return primitives.apply_assignment(clients, action, dry_run=dry_run)

    def verify(self, action: RevocationAction) -> bool:
        if action.kind in primitives.MEMBERSHIP_KINDS:
            return primitives.verify_membership(self._graph_client(action), action)
        with self._arm_clients(action)() as clients:
            return primitives.verify_assignment(clients, action)

    def _arm_clients(self, action: RevocationAction) -> Callable[[], AzureClients]:
        if action.system is not System.AZURE or self._arm is None:
            raise RevocationRefused(f"azure: cannot run {action.system}:{action.kind} (no ARM write client)")
        return self._arm

    def _graph_client(self, action: RevocationAction) -> Callable[[], GraphClient]:
        if action.system is not System.AZURE or self._graph is None:
            raise RevocationRefused(f"azure: cannot run {action.system}:{action.kind} (no Graph client)")
        return self._graph
