"""An Azure snapshot goes through the same sync as every source: applied whole, answered by the access query
with the store's ARM id and the path, and a later snapshot that lost most of its grants refused by
population sanity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from connectors.azure.model import PrincipalType as AzureType
from reviews.clock import FrozenClock
from reviews.entitlements import (
    AccessLevel,
    Grant,
    PathStep,
    Principal,
    PrincipalType,
    Snapshot,
    Store,
    StoreKind,
    System,
)
from reviews.errors import PopulationDropped
from reviews.inventory.sync import sync_source
from reviews.queries.access import effective_access
from reviews.storage.db import session_scope
from tests.connectors.azure.evaluate_world import (
    ACCOUNT,
    ANA,
    BLOB_READER,
    HR,
    RG,
    assign,
    inventory,
    storage,
)
from tests.connectors.azure.test_connector import NOW, connector


def test_an_azure_snapshot_is_applied_and_answered_by_the_access_query(engine: Engine) -> None:
    clock = FrozenClock(NOW)
    inv = inventory(storage(False), assign(BLOB_READER, RG, HR, AzureType.GROUP))
    summary = sync_source(
        "azure", lambda _t: connector(inv).snapshot(), engine=engine, clock=clock, max_drop=0.5
    )
    assert (summary.stores, summary.grants) == (1, 2)  # Ana, and Bob through Staff
    with session_scope(engine) as session:
        rows = effective_access(session=session, start=NOW, end=NOW + timedelta(seconds=1), store=ACCOUNT)
    bob = next(r for r in rows if r.principal["name"] == "Bob Jones")
    assert (bob.store["system"], bob.store["kind"], bob.access) == ("azure", "azure_storage_account", "read")
    assert bob.path == [
        "group:Staff",
        "group:HR",
        "role_assignment:Storage Blob Data Reader at resource group hr",
    ]


def test_population_sanity_refuses_an_azure_snapshot_that_lost_its_grants(engine: Engine) -> None:
    clock = FrozenClock(NOW)
    full = inventory(storage(False), assign(BLOB_READER, RG, HR, AzureType.GROUP), assign(BLOB_READER, RG))
    sync_source("azure", lambda _t: connector(full).snapshot(), engine=engine, clock=clock, max_drop=0.5)
    empty = inventory(storage(False))
    with pytest.raises(PopulationDropped):
        sync_source("azure", lambda _t: connector(empty).snapshot(), engine=engine, clock=clock, max_drop=0.5)


def test_one_entra_object_is_a_principal_of_entra_and_of_azure(engine: Engine) -> None:
    """Azure names its principals by their Entra object id, as Entra does: one row per system."""
    clock = FrozenClock(NOW)
    entra = Snapshot(
        System.ENTRA,
        NOW,
        (Store(System.ENTRA, StoreKind.ENTRA_GROUP, HR, "HR"),),
        (Principal(System.ENTRA, PrincipalType.ENTRA_USER, ANA, "Ana Silva"),),
        (Grant(HR, ANA, AccessLevel.READ, (PathStep("member", HR, "HR"),)),),
    )
    sync_source("entra", lambda _t: entra, engine=engine, clock=clock, max_drop=0.5)
    inv = inventory(storage(False), assign(BLOB_READER, ACCOUNT))
    summary = sync_source(
        "azure", lambda _t: connector(inv).snapshot(), engine=engine, clock=clock, max_drop=0.5
    )
    assert summary.grants == 1
    with session_scope(engine) as session:
        rows = effective_access(session=session, start=NOW, end=NOW + timedelta(seconds=1), principal=ANA)
    assert sorted(r.store["system"] for r in rows) == ["azure", "entra"]
