"""An Azure estate for revocation tests: the ARM and Graph simulators, and the connector as wiring.py builds
it (live.py's read and write clients, the simulators' tokens, the ARM CA in REQUESTS_CA_BUNDLE)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from connectors.azure.connector import AzureConnector
from connectors.azure.live import live_read, write_clients
from connectors.azure.settings import AzureSecrets, AzureSettings
from connectors.entra.settings import EntraSettings
from reviews.clock import FrozenClock
from reviews.entitlements import Grant
from simulators.arm import ArmSimulator, ArmState, builtin_role_id
from simulators.graph import GraphSimulator, Tenant

SUB = "00000000-0000-4000-8000-00000000e001"
GRAPH_TOKEN, ARM_TOKEN = "graph-token", "arm-token"  # noqa: S105  (the simulators' own)
RG = f"/subscriptions/{SUB}/resourceGroups/rg-data"
STORE = f"{RG}/providers/Microsoft.Storage/storageAccounts/pdstore"
KEYED = f"{RG}/providers/Microsoft.Storage/storageAccounts/keyed"
CONDITION = (
    "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR "
    "(@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'cases'))"
)
PERSONAL = {"data-classification": "personal", "data-owner": "olu@dept.example.gov"}


@dataclass
class Estate:
    arm: ArmSimulator
    graph: GraphSimulator
    tenant: Tenant
    ids: dict[str, str]
    connector: AzureConnector
    clock: FrozenClock

    def grant(self, who: str, store: str = STORE) -> Grant:
        found = [
            g
            for g in self.connector.snapshot().grants
            if g.principal_provider_id == self.ids[who] and g.store_provider_id == store
        ]
        assert found, f"{who} has no grant on {store}"
        return min(found, key=lambda g: g.access)

    def assignments_of(self, who: str) -> list[dict[str, object]]:
        return [
            w["properties"]
            for w in self.arm.state.role_assignments.values()
            if w["properties"]["principalId"] == self.ids[who]
        ]


def build_state(tenant: Tenant) -> tuple[ArmState, dict[str, str]]:
    ids = {name: tenant.add_user(name.title(), f"{name}@dept.example.gov") for name in ("ana", "bob", "carl")}
    ids |= {name: tenant.add_user(name.title(), f"{name}@dept.example.gov") for name in ("dan", "erin")}
    ids["hr"] = tenant.add_group("HR readers")
    tenant.add_member(ids["hr"], ids["bob"])
    state = ArmState()
    state.add_subscription(SUB, "Department")
    state.add_storage_account(SUB, "rg-data", "pdstore", tags=PERSONAL, allow_shared_key_access=False)
    state.add_storage_account(SUB, "rg-data", "keyed", tags=PERSONAL, allow_shared_key_access=True)
    reader = builtin_role_id("Storage Blob Data Reader")
    state.add_role_assignment(STORE, reader, ids["ana"], condition=CONDITION, condition_version="2.0")
    state.add_role_assignment(RG, builtin_role_id("Storage Blob Data Contributor"), ids["carl"])
    state.add_role_assignment(STORE, reader, ids["hr"], principal_type="Group")
    state.add_role_assignment(f"/subscriptions/{SUB}", reader, ids["dan"])
    state.add_role_assignment(KEYED, builtin_role_id("Contributor"), ids["erin"])
    return state, ids


def open_estate(monkeypatch: pytest.MonkeyPatch, clock: FrozenClock | None = None) -> Iterator[Estate]:
    """A test module's `estate` fixture yields from this; `clock` is the read's (the snapshot's time)."""
    tenant = Tenant(seed=19)
    state, ids = build_state(tenant)
    with GraphSimulator(tenant, token=GRAPH_TOKEN) as graph, ArmSimulator(state, token=ARM_TOKEN) as arm:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm.ca_bundle)  # the simulator's self-signed certificate
        settings = AzureSettings(enabled=True, arm_url=arm.url, subscriptions=[SUB])
        entra = EntraSettings(graph_url=graph.url)
        secrets = AzureSecrets.model_validate(
            {"RECERTIFY_AZURE_TOKEN": ARM_TOKEN, "RECERTIFY_GRAPH_TOKEN": GRAPH_TOKEN}
        )
        clock = clock or FrozenClock(datetime(2026, 12, 7, tzinfo=UTC))
        read = live_read(settings, entra, secrets, clock=clock)
        writes, members = write_clients(settings, entra, secrets)
        connector = AzureConnector(settings, read, arm=writes, graph=members)
        yield Estate(arm, graph, tenant, ids, connector, clock)
