"""A small Azure estate for the evaluator's tests: one subscription under two management groups, stores of
every kind in resource group `hr`, and built-in roles as Microsoft Learn's built-in roles page defines
them."""

from __future__ import annotations

from dataclasses import replace

from connectors.azure.evaluate import effective_access
from connectors.azure.grants import AzureGrant
from connectors.azure.model import (
    AccessPolicy,
    AzureInventory,
    AzureStore,
    CosmosFacts,
    CosmosRoleAssignment,
    CosmosRoleDefinition,
    DenyAssignment,
    Directory,
    EntraGroup,
    KeyVaultFacts,
    Permission,
    PrincipalType,
    RoleAssignment,
    RoleDefinition,
    SqlEntraAdmin,
    SqlFacts,
    StorageFacts,
    StoreFacts,
    StoreKind,
)

SUB = "11111111-1111-1111-1111-111111111111"
RG = f"/subscriptions/{SUB}/resourceGroups/hr"
SUBSCRIPTION = f"/subscriptions/{SUB}"
ROOT_MG, DEPT_MG = "tenant-root", "dept"
ACCOUNT = f"{RG}/providers/Microsoft.Storage/storageAccounts/hrfiles"
COSMOS = f"{RG}/providers/Microsoft.DocumentDB/databaseAccounts/casework"
VAULT = f"{RG}/providers/Microsoft.KeyVault/vaults/hr-secrets"
SERVER = f"{RG}/providers/Microsoft.Sql/servers/payroll"
DATABASE = f"{SERVER}/databases/salaries"

ANA = "a0000000-0000-0000-0000-00000000000a"
BOB = "b0000000-0000-0000-0000-00000000000b"
APP = "c0ffee00-0000-0000-0000-000000000001"
HR, STAFF = "9a000000-0000-0000-0000-000000000001", "9a000000-0000-0000-0000-000000000002"

_NAMES = {HR: "HR", STAFF: "Staff"}
_ROLES = "/providers/Microsoft.Authorization/roleDefinitions"


def role(guid: str, name: str, *blocks: Permission) -> RoleDefinition:
    return RoleDefinition(f"{_ROLES}/{guid}", name, blocks)


OWNER = role("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner", Permission(actions=("*",)))
CONTRIBUTOR = role(
    "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Contributor",
    Permission(
        actions=("*",),
        not_actions=(
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
            "Microsoft.Blueprint/blueprintAssignments/write",
            "Microsoft.Blueprint/blueprintAssignments/delete",
        ),
    ),
)
READER = role("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader", Permission(actions=("*/read",)))
USER_ACCESS_ADMIN = role(
    "18d7d88d-d35e-4fb5-a5c3-7773c4f72d95",
    "User Access Administrator",
    Permission(actions=("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*")),
)
BLOB_READER = role(
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Blob Data Reader",
    Permission(
        actions=(
            "Microsoft.Storage/storageAccounts/blobServices/containers/read",
            "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
        ),
        data_actions=("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",),
    ),
)
BLOB_CONTRIBUTOR = role(
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Contributor",
    Permission(
        actions=(
            "Microsoft.Storage/storageAccounts/blobServices/containers/delete",
            "Microsoft.Storage/storageAccounts/blobServices/containers/read",
            "Microsoft.Storage/storageAccounts/blobServices/containers/write",
            "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
        ),
        data_actions=(
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
        ),
    ),
)
SECRETS_USER = role(
    "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Secrets User",
    Permission(
        data_actions=(
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        )
    ),
)
VAULT_CONTRIBUTOR = role(
    "f25e0fa2-a7c8-4377-a976-54943a77a395",
    "Key Vault Contributor",
    Permission(
        actions=(
            "Microsoft.Authorization/*/read",
            "Microsoft.KeyVault/*",
            "Microsoft.Resources/deployments/*",
        ),
        not_actions=(
            "Microsoft.KeyVault/locations/deletedVaults/purge/action",
            "Microsoft.KeyVault/hsmPools/*",
            "Microsoft.KeyVault/managedHsms/*",
        ),
    ),
)
COSMOS_ACCOUNT_READER = role(
    "fbdf93bf-df7d-467e-a4d2-9458aa1360c8",
    "Cosmos DB Account Reader Role",
    Permission(
        actions=(
            "Microsoft.Authorization/*/read",
            "Microsoft.DocumentDB/*/read",
            "Microsoft.DocumentDB/databaseAccounts/readonlykeys/action",
            "Microsoft.Insights/MetricDefinitions/read",
            "Microsoft.Insights/Metrics/read",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Support/*",
        )
    ),
)
DOCUMENTDB_CONTRIBUTOR = role(
    "5bd9cd88-fe45-4216-938b-f97437e15450",
    "DocumentDB Account Contributor",
    Permission(actions=("Microsoft.Authorization/*/read", "Microsoft.DocumentDB/*", "Microsoft.Support/*")),
)
BUILT_IN = (
    OWNER,
    CONTRIBUTOR,
    READER,
    USER_ACCESS_ADMIN,
    BLOB_READER,
    BLOB_CONTRIBUTOR,
    SECRETS_USER,
    VAULT_CONTRIBUTOR,
    COSMOS_ACCOUNT_READER,
    DOCUMENTDB_CONTRIBUTOR,
)


def store(resource_id: str, kind: StoreKind, facts: StoreFacts) -> AzureStore:
    return AzureStore(resource_id, kind, resource_id.rsplit("/", 1)[-1], SUB, "hr", facts)


def storage(allow_shared_key_access: bool | None = None) -> AzureStore:
    return store(ACCOUNT, StoreKind.STORAGE_ACCOUNT, StorageFacts(allow_shared_key_access))


def cosmos(
    disable_local_auth: bool = False,
    definitions: tuple[CosmosRoleDefinition, ...] = (),
    assignments: tuple[CosmosRoleAssignment, ...] = (),
) -> AzureStore:
    facts = CosmosFacts(disable_local_auth, definitions, assignments)
    return store(COSMOS, StoreKind.COSMOSDB_ACCOUNT, facts)


def vault(rbac: bool, *policies: AccessPolicy) -> AzureStore:
    return store(VAULT, StoreKind.KEY_VAULT, KeyVaultFacts(rbac, policies))


def sql_server(admin: SqlEntraAdmin | None = None) -> AzureStore:
    return store(SERVER, StoreKind.SQL_SERVER, SqlFacts(admin))


def sql_database(admin: SqlEntraAdmin | None = None) -> AzureStore:
    return store(DATABASE, StoreKind.SQL_DATABASE, SqlFacts(admin))


_counter = iter(range(1, 10**6))


def assign(
    role_definition: RoleDefinition,
    scope: str,
    principal: str = ANA,
    principal_type: PrincipalType = PrincipalType.USER,
    condition: str | None = None,
) -> RoleAssignment:
    number = next(_counter)
    return RoleAssignment(
        f"{scope}/providers/Microsoft.Authorization/roleAssignments/ra-{number}",
        scope,
        role_definition.id,
        principal,
        principal_type,
        condition,
        "2.0" if condition else None,
    )


def deny(
    scope: str,
    *principals: str,
    actions: tuple[str, ...] = (),
    data: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
    not_to_children: bool = False,
    condition: str | None = None,
) -> DenyAssignment:
    return DenyAssignment(
        f"{scope}/providers/Microsoft.Authorization/denyAssignments/deny-{next(_counter)}",
        scope,
        (Permission(actions=actions, data_actions=data),),
        principals,
        exclude,
        not_to_children,
        condition=condition,
    )


def directory(groups: dict[str, tuple[str, ...]] | None = None) -> Directory:
    groups = groups if groups is not None else {HR: (ANA, STAFF), STAFF: (BOB,)}
    return Directory(
        groups={gid: EntraGroup(gid, _NAMES.get(gid, gid), members) for gid, members in groups.items()},
        principal_types={
            ANA: PrincipalType.USER,
            BOB: PrincipalType.USER,
            APP: PrincipalType.SERVICE_PRINCIPAL,
        },
    )


def inventory(
    stores: tuple[AzureStore, ...] | AzureStore,
    *assignments: RoleAssignment,
    denies: tuple[DenyAssignment, ...] = (),
    roles: tuple[RoleDefinition, ...] = BUILT_IN,
    groups: dict[str, tuple[str, ...]] | None = None,
) -> AzureInventory:
    return AzureInventory(
        stores=stores if isinstance(stores, tuple) else (stores,),
        role_definitions=roles,
        role_assignments=assignments,
        deny_assignments=denies,
        management_groups={SUB: (ROOT_MG, DEPT_MG)},
        directory=directory(groups),
    )


def grants(inv: AzureInventory) -> dict[tuple[str, str, str], AzureGrant]:
    return {(g.principal_id, g.store_id, str(g.level)): g for g in effective_access(inv)}


def levels(inv: AzureInventory, principal: str = ANA, store_id: str | None = None) -> set[str]:
    wanted = store_id or inv.stores[0].resource_id
    return {lvl for (who, where, lvl) in grants(inv) if who == principal and where == wanted}


def with_stores(inv: AzureInventory, *stores: AzureStore) -> AzureInventory:
    return replace(inv, stores=stores)
