"""The Azure fetch against the ARM simulator with the real SDK clients: a small estate read into exactly the
expected inventory, every page read, and the evaluator run on what was read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from connectors.azure.client import AzureClients
from connectors.azure.evaluate import effective_access
from connectors.azure.fetch import AzureRead, read_inventory
from connectors.azure.model import (
    EVERYONE,
    AccessPolicy,
    AzureStore,
    CosmosFacts,
    Directory,
    EntraGroup,
    KeyVaultFacts,
    Permission,
    PrincipalType,
    SqlEntraAdmin,
    SqlFacts,
    StorageFacts,
    StoreKind,
)
from reviews.entitlements import AccessLevel
from simulators.arm import ArmSimulator, builtin_role_id, builtin_roles
from tests.connectors.azure.fetch_estate import (
    ALICE,
    ARCHIVE,
    BLOB_READ,
    BOB,
    CAROL,
    CONDITION,
    CONTAINER,
    CUSTOM_ROLE,
    DAVE,
    DEPT_MG,
    ERIN,
    FRANK,
    HR_GROUP,
    HRDB,
    KV_POLICIES,
    KV_RBAC,
    NAMES,
    NOKEYS,
    PATIENTS,
    PDSTORE,
    ROOT_MG,
    SQL1,
    SQL2,
    SUB_A,
    SUB_B,
    SUB_C,
    running,
)

MG = "/providers/Microsoft.Management/managementGroups/"


@pytest.fixture
def served() -> Iterator[tuple[ArmSimulator, AzureClients]]:
    with running() as pair:
        yield pair


@pytest.fixture
def sim(served: tuple[ArmSimulator, AzureClients]) -> ArmSimulator:
    return served[0]


@pytest.fixture
def clients(served: tuple[ArmSimulator, AzureClients]) -> AzureClients:
    return served[1]


def _read(clients: AzureClients, subscriptions: list[str] | None = None) -> AzureRead:
    return read_inventory(
        clients,
        subscriptions=[SUB_A, SUB_B] if subscriptions is None else subscriptions,
        personal_data_tag="personaldata",
        personal_data_values=["yes"],
        owner_tag="OWNER",
    )


def test_the_estate_is_read_into_exactly_the_expected_stores(clients: AzureClients) -> None:
    """ "Resources - List", $filter: "Note that when resources are filtered by tag name and value, the
    original tags for each resource will not be returned in the results." (so tags and properties come from
    a get by id); "Use tags to organize your Azure resources": "Tag names are case-insensitive for
    operations. … Tag values are case-sensitive." (`casey`, tagged "Yes", is no store; `nokeys`, tagged
    `personaldata`, is); an untagged SQL database of a tagged server is no store (tags are not inherited)."""
    read = _read(clients)
    rg = "rg-data"
    admin = SqlEntraAdmin(BOB, "dba@example.gov")
    assert read.inventory.stores == (
        AzureStore(
            PATIENTS,
            StoreKind.COSMOSDB_ACCOUNT,
            "patients",
            SUB_A,
            rg,
            read.inventory.stores[0].facts,  # checked in the Cosmos test below
        ),
        AzureStore(
            KV_POLICIES,
            StoreKind.KEY_VAULT,
            "kv-policies",
            SUB_A,
            rg,
            KeyVaultFacts(False, (AccessPolicy(ALICE, secrets=("get", "list")),)),
        ),
        AzureStore(KV_RBAC, StoreKind.KEY_VAULT, "kv-rbac", SUB_A, rg, KeyVaultFacts(True, ())),
        AzureStore(SQL1, StoreKind.SQL_SERVER, "sql1", SUB_A, rg, SqlFacts(admin)),
        AzureStore(HRDB, StoreKind.SQL_DATABASE, "hrdb", SUB_A, rg, SqlFacts(admin)),
        AzureStore(SQL2, StoreKind.SQL_SERVER, "sql2", SUB_A, rg, SqlFacts(None)),
        AzureStore(NOKEYS, StoreKind.STORAGE_ACCOUNT, "nokeys", SUB_A, rg, StorageFacts(False)),
        AzureStore(PDSTORE, StoreKind.STORAGE_ACCOUNT, "pdstore", SUB_A, rg, StorageFacts(None)),
        AzureStore(ARCHIVE, StoreKind.STORAGE_ACCOUNT, "archive", SUB_B, "rg-archive", StorageFacts(None)),
    )
    assert read.subscriptions == (SUB_A, SUB_B)
    assert read.inventory.directory == Directory()


def test_owners_and_tags_come_from_the_get_by_id(clients: AzureClients) -> None:
    """The owner tag's name matches without case ("Tag names are case-insensitive for operations"), its value
    is a list of emails; every tag of the resource is kept for the transform."""
    infos = {info.resource_id: info for info in _read(clients).stores}
    assert infos[PDSTORE].owners == ("alice@example.gov", "dpo@example.gov")
    assert infos[PDSTORE].tags == (("Owner", "Alice@Example.gov; dpo@example.gov"), ("PersonalData", "yes"))
    assert infos[HRDB].owners == ("hr@example.gov",) and infos[SQL1].owners == ()
    assert [info.resource_id for info in _read(clients).stores] == [
        s.resource_id for s in _read(clients).inventory.stores
    ]


def test_cosmos_local_auth_and_its_data_plane_roles(clients: AzureClients) -> None:
    """ "Database Accounts - Get", disableLocalAuth: "Opt-out of local authentication and ensure only MSI and
    AAD can be used exclusively for authentication."; "Sql Resources - List Sql Role Assignments": the
    account's own data-plane assignments, here one at a database (`…/dbs/cases`)."""
    facts = _read(clients).inventory.stores[0].facts
    assert isinstance(facts, CosmosFacts) and facts.disable_local_auth is True
    assert {d.name for d in facts.role_definitions} == {
        "Cosmos DB Built-in Data Reader",
        "Cosmos DB Built-in Data Contributor",
    }
    [assignment] = facts.role_assignments
    assert (assignment.principal_id, assignment.scope) == (ALICE, f"{PATIENTS}/dbs/cases")
    assert assignment.role_definition_id.endswith("/sqlRoleDefinitions/00000000-0000-0000-0000-000000000001")


def test_rbac_is_read_per_subscription_with_what_is_above_and_below(clients: AzureClients) -> None:
    """ "Role Assignments - List For Subscription", $filter: "Use $filter=atScope() to return all role
    assignments at or above the scope." — without it, at, above and below: the management groups' and the
    container's assignments come back, another subscription's (SUB_C) do not; an ABAC condition is kept.
    The management groups above each subscription are those its list names."""
    inventory = _read(clients).inventory
    got = {
        (
            a.id.rsplit("/", 1)[-1],
            a.scope,
            a.role_definition_id.rsplit("/", 1)[-1],
            a.principal_id,
            a.principal_type,
            a.condition,
        )
        for a in inventory.role_assignments
    }
    user, group = PrincipalType.USER, PrincipalType.GROUP
    assert got == {
        (NAMES["root"], MG + ROOT_MG, builtin_role_id("Storage Blob Data Reader"), CAROL, user, None),
        (NAMES["dept"], MG + DEPT_MG, builtin_role_id("Reader"), HR_GROUP, group, None),
        (NAMES["sub"], f"/subscriptions/{SUB_A}", builtin_role_id("Contributor"), BOB, user, None),
        (NAMES["abac"], PDSTORE, builtin_role_id("Storage Blob Data Reader"), ALICE, user, CONDITION),
        (NAMES["container"], CONTAINER, builtin_role_id("Storage Blob Data Contributor"), DAVE, user, None),
        (NAMES["custom"], ARCHIVE, CUSTOM_ROLE, ERIN, user, None),
        (NAMES["vault"], KV_RBAC, builtin_role_id("Key Vault Secrets User"), ALICE, user, None),
    }
    assert inventory.management_groups == {SUB_A: (DEPT_MG, ROOT_MG), SUB_B: (ROOT_MG,)}
    [abac] = [a for a in inventory.role_assignments if a.condition]
    assert abac.condition_version == "2.0"


def test_role_definitions_built_in_and_custom(clients: AzureClients) -> None:
    """ "Role Definitions - List": "Get all role definitions that are applicable at scope and above." and "Use
    atScopeAndBelow filter to search below the given scope as well." — the custom role assignable only to
    SUB_B's resource group is read, as (Actions, NotActions, DataActions, NotDataActions)."""
    definitions = {d.id.rsplit("/", 1)[-1]: d for d in _read(clients).inventory.role_definitions}
    assert set(builtin_roles()) <= set(definitions)
    custom = definitions[CUSTOM_ROLE]
    assert custom.name == "Records reader"
    assert custom.permissions == (Permission(data_actions=(BLOB_READ,)),)
    contributor = definitions[builtin_role_id("Contributor")]
    assert "Microsoft.Authorization/*/Write" in contributor.permissions[0].not_actions


def test_deny_assignments_with_their_excluded_principals(clients: AzureClients) -> None:
    """ "List Azure deny assignments": "(no filter) Lists all deny assignments at, above, and below the
    specified scope"; "All Principals" is the zero GUID, excluded principals kept apart."""
    [deny] = _read(clients).inventory.deny_assignments
    assert deny.scope == NOKEYS and deny.principals == (EVERYONE,) and deny.exclude_principals == (ALICE,)
    assert deny.permissions == (Permission(data_actions=(BLOB_READ,)),)
    assert deny.id.endswith(NAMES["deny"]) and not deny.does_not_apply_to_child_scopes


def test_every_page_is_read(sim: ArmSimulator, clients: AzureClients) -> None:
    """Every list pages with nextLink ("The URL to get the next set of results."): one item per page gives
    the same inventory as one page for all."""
    whole = _read(clients)
    sim.state.page_size = 1
    paged = _read(clients)
    assert paged == whole
    assert sum(1 for r in sim.requests if "$skiptoken" in r.query) > 40


def test_no_configured_subscription_reads_every_listed_one(clients: AzureClients) -> None:
    """Issue 19: "Subscriptions from `[azure] subscriptions` (empty: every subscription the credential can
    list)" ("Subscriptions - List": "Gets all subscriptions for a tenant.")."""
    read = _read(clients, [])
    assert read.subscriptions == tuple(sorted((SUB_A, SUB_B, SUB_C)))
    assert any(a.id.endswith(NAMES["elsewhere"]) for a in read.inventory.role_assignments)
    assert read.inventory.management_groups[SUB_C] == (ROOT_MG,)


def test_effective_access_on_what_was_read(clients: AzureClients) -> None:
    """Integration of fetch and evaluator: the path principal → groups → role assignment → store, with the
    directory the Entra source adds."""
    inventory = replace(
        _read(clients).inventory,
        directory=Directory(
            groups={HR_GROUP: EntraGroup(HR_GROUP, "HR", (FRANK,))},
            principal_types=dict.fromkeys((ALICE, BOB, CAROL, DAVE, ERIN, FRANK), PrincipalType.USER),
        ),
    )
    grants = {(g.store_id, g.principal_id, g.level): g for g in effective_access(inventory)}
    read, write, admin = AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN
    assert grants[(PDSTORE, ALICE, read)].conditional  # ABAC condition
    assert (PDSTORE, DAVE, write) in grants  # the container counts as the store
    assert {lvl for lvl in (read, write, admin) if (PDSTORE, BOB, lvl) in grants} == {read, write, admin}
    assert (PDSTORE, CAROL, read) in grants  # from the root management group
    assert not any(key[1] == FRANK for key in grants)  # Reader gives no data
    assert (NOKEYS, BOB, read) not in grants and (NOKEYS, CAROL, read) not in grants  # no keys; denied
    assert (ARCHIVE, ERIN, read) in grants  # the custom role
    assert (KV_POLICIES, ALICE, read) in grants and (KV_RBAC, ALICE, read) in grants
    assert (HRDB, BOB, write) in grants and (SQL1, BOB, admin) in grants  # the server's Entra admin
    assert (PATIENTS, ALICE, read) in grants  # Cosmos DB data-plane role at a database
