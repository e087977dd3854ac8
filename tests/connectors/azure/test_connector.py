"""The Azure connector with hand-built inventories: the snapshot's stores, principals, levels, paths, owners
and conditions, and plan_revocation's refusal naming the manual fix."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.azure.connector import AzureConnector
from connectors.azure.directory_read import EntraObject
from connectors.azure.model import AzureInventory, PrincipalType, SqlEntraAdmin
from connectors.azure.reading import SourceRead
from connectors.azure.settings import AzureSettings
from reviews.entitlements import AccessLevel, Grant, Snapshot, StoreKind, System
from reviews.entitlements import PrincipalType as Kind
from reviews.errors import IncompleteSnapshot, RevocationRefused
from tests.connectors.azure.evaluate_world import (
    ACCOUNT,
    ANA,
    APP,
    BLOB_READER,
    BOB,
    DATABASE,
    HR,
    RG,
    SERVER,
    STAFF,
    SUBSCRIPTION,
    VAULT,
    assign,
    inventory,
    sql_database,
    sql_server,
    storage,
    vault,
)

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
OBJECTS = {
    ANA: EntraObject(ANA, PrincipalType.USER, "Ana Silva", mail="Ana.Silva@dept.example.gov"),
    BOB: EntraObject(BOB, PrincipalType.USER, "Bob Jones", user_principal_name="bob@dept.example.gov"),
    APP: EntraObject(APP, PrincipalType.SERVICE_PRINCIPAL, "payroll-batch (managed identity)"),
    HR: EntraObject(HR, PrincipalType.GROUP, "HR"),
    STAFF: EntraObject(STAFF, PrincipalType.GROUP, "Staff"),
}
TAGS = {"Data-Classification": "personal", "DATA-OWNER": "Owner@Dept.example.gov; dpo@dept.example.gov"}


def snapshot(inv: AzureInventory, tags: dict[str, dict[str, str]] | None = None) -> Snapshot:
    return connector(inv, tags).snapshot()


def connector(inv: AzureInventory, tags: dict[str, dict[str, str]] | None = None) -> AzureConnector:
    found = tags if tags is not None else {s.resource_id: TAGS for s in inv.stores}
    return AzureConnector(AzureSettings(enabled=True), lambda: SourceRead(inv, OBJECTS, found, NOW))


def by_key(snap: Snapshot) -> dict[tuple[str, str, AccessLevel], Grant]:
    return {g.key: g for g in snap.grants}


def test_a_store_is_its_arm_resource_id_with_owners_and_classification_from_tags_of_any_case() -> None:
    """Tags - Create Or Update: "A tag name can have a maximum of 512 characters and is case-insensitive"
    (the tags here are spelled Data-Classification and DATA-OWNER; the settings say data-classification and
    data-owner)."""
    snap = snapshot(inventory(storage(False), assign(BLOB_READER, ACCOUNT)))
    (store,) = snap.stores
    assert (store.system, store.kind, store.provider_id, store.name) == (
        System.AZURE,
        StoreKind.AZURE_STORAGE_ACCOUNT,
        ACCOUNT,
        "hrfiles",
    )
    assert store.owners == ("owner@dept.example.gov", "dpo@dept.example.gov")
    assert store.classification == "personal"
    assert snap.system is System.AZURE and snap.taken_at == NOW


def test_every_evaluator_kind_is_a_domain_kind() -> None:
    """One source of truth for the kinds' names: the evaluator's are the domain's."""
    from connectors.azure.model import StoreKind as AzureKind

    assert {k.domain for k in AzureKind} == {k for k in StoreKind if k.value.startswith("azure_")}


def test_users_and_service_principals_by_object_id_with_people_by_email() -> None:
    """Principals by their Entra object id; a user's email is its mail, else its user principal name."""
    snap = snapshot(
        inventory(
            storage(False),
            assign(BLOB_READER, ACCOUNT),
            assign(BLOB_READER, RG, APP, PrincipalType.SERVICE_PRINCIPAL),
        )
    )
    principals = {p.provider_id: p for p in snap.principals}
    assert principals[ANA].type is Kind.ENTRA_USER and principals[ANA].email == "ana.silva@dept.example.gov"
    assert principals[APP].type is Kind.ENTRA_SERVICE_PRINCIPAL and principals[APP].email is None
    assert [p.email for p in snap.people] == ["ana.silva@dept.example.gov"]


def test_a_group_path_reads_principal_groups_assignment_and_no_group_is_a_principal() -> None:
    """What is Azure RBAC?: "Role assignments are transitive for groups"; groups appear only in paths."""
    snap = snapshot(inventory(storage(False), assign(BLOB_READER, RG, HR, PrincipalType.GROUP)))
    bob = by_key(snap)[(ACCOUNT, BOB, AccessLevel.READ)]
    assert [(s.kind, s.name) for s in bob.path] == [
        ("group", "Staff"),
        ("group", "HR"),
        ("role_assignment", "Storage Blob Data Reader at resource group hr"),
    ]
    assert HR not in {p.provider_id for p in snap.principals}


def test_an_abac_condition_makes_the_grant_conditional() -> None:
    """Azure role assignment condition format and syntax: "A condition is an additional check that you can
    optionally add to your role assignment to provide more fine-grained access control": the grant holds only
    for the requests the condition allows."""
    condition = "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})))"
    snap = snapshot(inventory(storage(False), assign(BLOB_READER, ACCOUNT, condition=condition)))
    assert by_key(snap)[(ACCOUNT, ANA, AccessLevel.READ)].conditional is True


def test_the_sql_entra_admin_has_full_access_to_the_server_and_its_databases() -> None:
    admin = SqlEntraAdmin(ANA, "ana", PrincipalType.USER)
    snap = snapshot(inventory((sql_server(admin), sql_database(admin))))
    held = {(g.store_provider_id, g.access) for g in snap.grants if g.principal_provider_id == ANA}
    assert held == {(s, lvl) for s in (SERVER, DATABASE) for lvl in AccessLevel}
    kinds = {s.provider_id: s.kind for s in snap.stores}
    assert kinds == {SERVER: StoreKind.AZURE_SQL_SERVER, DATABASE: StoreKind.AZURE_SQL_DATABASE}


def test_a_store_whose_tags_were_not_read_fails_the_snapshot() -> None:
    """The owner tag is read apart from the tag-filtered list; a store without it was not read whole."""
    with pytest.raises(IncompleteSnapshot, match="tags"):
        snapshot(inventory(storage(False), assign(BLOB_READER, ACCOUNT)), tags={})


def test_plan_revocation_refuses_a_direct_assignment_with_the_delete_command() -> None:
    """Understand Azure role assignments: "access is revoked by removing a role assignment"."""
    granted = assign(BLOB_READER, RG)
    grant = by_key(snapshot(inventory(storage(False), granted)))[(ACCOUNT, ANA, AccessLevel.READ)]
    with pytest.raises(RevocationRefused) as refused:
        connector(inventory(storage(False), granted)).plan_revocation(grant)
    message = str(refused.value)
    assert f"az role assignment delete --ids {granted.id}" in message
    assert f"at {RG}" in message and "serves every resource" not in message


def test_plan_revocation_refuses_a_subscription_assignment_saying_how_wide_it_is() -> None:
    granted = assign(BLOB_READER, SUBSCRIPTION)
    grant = by_key(snapshot(inventory(storage(False), granted)))[(ACCOUNT, ANA, AccessLevel.READ)]
    with pytest.raises(RevocationRefused, match="serves every resource below it"):
        connector(inventory(storage(False), granted)).plan_revocation(grant)


def test_plan_revocation_through_a_group_names_the_direct_membership() -> None:
    inv = inventory(storage(False), assign(BLOB_READER, RG, HR, PrincipalType.GROUP))
    grant = by_key(snapshot(inv))[(ACCOUNT, BOB, AccessLevel.READ)]
    with pytest.raises(RevocationRefused) as refused:
        connector(inv).plan_revocation(grant)
    assert f"member of group Staff ({STAFF}), nested in HR ({HR})" in str(refused.value)
    assert "remove" in str(refused.value) and "az role assignment delete --ids" in str(refused.value)


def test_plan_revocation_of_an_access_policy_names_the_keyvault_command() -> None:
    from connectors.azure.model import AccessPolicy

    inv = inventory(vault(False, AccessPolicy(ANA, secrets=("get",))))
    grant = by_key(snapshot(inv))[(VAULT, ANA, AccessLevel.READ)]
    with pytest.raises(RevocationRefused, match=f"az keyvault delete-policy --name hr-secrets .* {ANA}"):
        connector(inv).plan_revocation(grant)
