"""The live read as wiring.py composes it: the ARM modules (replaced here by stand-ins with their shape),
then the Entra objects through the real Graph client against the Graph simulator, then the connector."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from connectors.azure import live
from connectors.azure.connector import AzureConnector
from connectors.azure.model import AzureInventory, PrincipalType
from connectors.azure.settings import AzureSecrets, AzureSettings
from reviews.clock import FrozenClock
from reviews.entitlements import AccessLevel
from reviews.errors import Misconfigured
from simulators.graph import GraphSimulator, Tenant
from tests.connectors.azure.evaluate_world import ACCOUNT, BLOB_READER, RG, assign, inventory, storage
from tests.connectors.azure.test_connector import NOW
from tests.connectors.entra.graphing import settings as graph_settings


@dataclass
class FakeArm:
    """The shape of connectors.azure.client and .fetch that live.py calls."""

    inventory: AzureInventory
    calls: list[dict[str, Any]]

    def modules(self) -> tuple[ModuleType, ModuleType]:
        @contextmanager
        def clients(credential: object, *, endpoint: str) -> Iterator[str]:
            self.calls.append({"credential": credential, "endpoint": endpoint})
            yield "clients"

        def read_inventory(clients: str, **options: Any) -> SimpleNamespace:
            self.calls.append(options)
            info = SimpleNamespace(resource_id=ACCOUNT, tags=(("data-classification", "personal"),))
            return SimpleNamespace(inventory=self.inventory, stores=(info,))

        client = ModuleType("client")
        client.AzureClients = clients  # type: ignore[attr-defined]
        client.StaticToken = lambda token: f"static:{len(token)}"  # type: ignore[attr-defined]
        fetch = ModuleType("fetch")
        fetch.read_inventory = read_inventory  # type: ignore[attr-defined]
        return client, fetch


def test_the_live_read_reads_arm_then_the_named_entra_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = Tenant(seed=7)
    ana = tenant.add_user("Ana Silva", "ana@dept.example.gov", mail="ana@dept.example.gov")
    group = tenant.add_group("HR")
    tenant.add_member(group, ana)
    arm = FakeArm(inventory(storage(False), assign(BLOB_READER, RG, group, PrincipalType.GROUP)), [])
    monkeypatch.setattr(live, "_arm_modules", arm.modules)
    azure = AzureSettings(enabled=True, subscriptions=["11111111-1111-1111-1111-111111111111"])
    secrets = AzureSecrets.model_validate(
        {"RECERTIFY_AZURE_TOKEN": "arm", "RECERTIFY_GRAPH_TOKEN": "test-token"}
    )
    with GraphSimulator(tenant, token="test-token") as sim:
        read = live.live_read(azure, graph_settings(sim), secrets, clock=FrozenClock(NOW))
        snapshot = AzureConnector(azure, read).snapshot()
    assert arm.calls[0] == {"credential": "static:3", "endpoint": "https://management.azure.com"}
    assert arm.calls[1]["subscriptions"] == azure.subscriptions
    assert [(g.principal_id, g.access) for g in snapshot.grants] == [(ana, AccessLevel.READ)]
    assert [s.classification for s in snapshot.stores] == ["personal"]


def test_a_build_without_the_arm_reader_refuses_the_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "connectors.azure.fetch", None)  # import fails
    with pytest.raises(Misconfigured, match="the ARM reader cannot be loaded"):
        live._arm_modules()


def test_arm_without_a_token_or_the_app_secret_is_misconfigured() -> None:
    from connectors.entra.settings import EntraSettings

    with pytest.raises(Misconfigured, match="RECERTIFY_AZURE_TOKEN"):
        live._credential(ModuleType("client"), EntraSettings(), AzureSecrets.model_validate({}))
