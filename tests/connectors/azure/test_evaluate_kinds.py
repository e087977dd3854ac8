"""What Azure operations give, store kind by store kind (the level table of connectors/azure/levels.py), each
test quoting the Microsoft Learn page or API reference it implements."""

from __future__ import annotations

from connectors.azure.grants import GrantorKind
from connectors.azure.model import (
    AccessPolicy,
    CosmosRoleAssignment,
    CosmosRoleDefinition,
    Permission,
    PrincipalType,
    SqlEntraAdmin,
)
from connectors.azure.scopes import Relation
from tests.connectors.azure.evaluate_world import (
    ACCOUNT,
    ANA,
    APP,
    BLOB_READER,
    BOB,
    CONTRIBUTOR,
    COSMOS,
    COSMOS_ACCOUNT_READER,
    DATABASE,
    DOCUMENTDB_CONTRIBUTOR,
    HR,
    OWNER,
    READER,
    RG,
    SECRETS_USER,
    SERVER,
    SUBSCRIPTION,
    USER_ACCESS_ADMIN,
    VAULT,
    VAULT_CONTRIBUTOR,
    assign,
    cosmos,
    grants,
    inventory,
    levels,
    role,
    sql_database,
    sql_server,
    storage,
    vault,
)

FULL = {"read", "write", "admin"}
_ITEMS = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers"
DATA_READER = CosmosRoleDefinition(
    f"{COSMOS}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000001",
    "Cosmos DB Built-in Data Reader",
    (
        Permission(
            data_actions=(
                "Microsoft.DocumentDB/databaseAccounts/readMetadata",
                f"{_ITEMS}/items/read",
                f"{_ITEMS}/executeQuery",
                f"{_ITEMS}/readChangeFeed",
            )
        ),
    ),
)
DATA_CONTRIBUTOR = CosmosRoleDefinition(
    f"{COSMOS}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002",
    "Cosmos DB Built-in Data Contributor",
    (
        Permission(
            data_actions=(
                "Microsoft.DocumentDB/databaseAccounts/readMetadata",
                f"{_ITEMS}/*",
                f"{_ITEMS}/items/*",
            )
        ),
    ),
)


# Storage accounts


def test_storage_keys_are_full_access_while_shared_key_access_is_allowed_null_included() -> None:
    """StorageAccount.AllowSharedKeyAccess (Azure SDK reference): "Indicates whether the storage account
    permits requests to be authorized with the account access key via Shared Key. ... The default value is
    null, which is equivalent to true." Resource provider operations: "Microsoft.Storage/storageAccounts/
    listkeys/action | Returns the access keys for the specified storage account." The key is the account's
    root credential: read, write and admin, as `s3:*` is on AWS."""
    for allowed in (None, True):
        grant = grants(inventory(storage(allowed), assign(CONTRIBUTOR, RG)))
        assert {lvl for (_, _, lvl) in grant} == FULL
        assert grant[(ANA, ACCOUNT, "read")].path[-1].name == "account keys (shared key access allowed)"


def test_storage_keys_give_nothing_when_shared_key_access_is_disallowed() -> None:
    """StorageAccount.AllowSharedKeyAccess: "If false, then all requests, including shared access signatures,
    must be authorized with Azure Active Directory (Azure AD)." The keys (and SAS tokens signed with them)
    then open nothing."""
    assert levels(inventory(storage(False), assign(CONTRIBUTOR, RG))) == set()


def test_a_sas_from_the_account_key_is_the_key() -> None:
    """Azure permissions for Storage: "Microsoft.Storage/storageAccounts/listAccountSas/action | Returns the
    Account SAS token for the specified storage account." The caller names the SAS's permissions and the
    account key signs it: the same reach as the key, and nothing once shared key access is disallowed
    (AllowSharedKeyAccess: "all requests, including shared access signatures, must be authorized with
    Azure Active Directory")."""
    sas_only = role(
        "00000000-0000-0000-0000-0000000000f1",
        "SAS issuer",
        Permission(actions=("Microsoft.Storage/storageAccounts/listAccountSas/action",)),
    )
    assert levels(inventory(storage(None), assign(sas_only, ACCOUNT), roles=(sas_only,))) == FULL
    assert levels(inventory(storage(False), assign(sas_only, ACCOUNT), roles=(sas_only,))) == set()


def test_storage_data_roles_give_read_and_write() -> None:
    """role-definitions, Data actions example: "Bob can read, write, and delete containers in the specified
    storage account and can also read, write, and delete the blobs" (Storage Blob Data Contributor), while
    Storage Blob Data Reader "allows for read access to Azure Storage blob containers and data"."""
    assert levels(inventory(storage(False), assign(BLOB_READER, ACCOUNT))) == {"read"}


def test_assigning_roles_on_the_store_or_above_is_admin() -> None:
    """Assign Azure roles (Microsoft Learn), Prerequisites: "To assign Azure roles, you must have
    `Microsoft.Authorization/roleAssignments/write` permissions, such as User Access Administrator or Owner."
    Whoever can assign roles on the store can give itself any access to it: admin, on every kind."""
    stores = (storage(False), vault(True), sql_server())
    inv = inventory(stores, assign(USER_ACCESS_ADMIN, SUBSCRIPTION))
    assert {(store, lvl) for (_, store, lvl) in grants(inv)} == {
        (ACCOUNT, "admin"),
        (VAULT, "admin"),
        (SERVER, "admin"),
    }


# Cosmos DB


def test_cosmos_keys_are_full_access_while_local_auth_is_enabled() -> None:
    """Azure permissions for Databases: "Microsoft.DocumentDB/databaseAccounts/listKeys/action", "…/
    listConnectionStrings/action | Get the connection strings for a database account". The primary keys
    authorize every data request unless local auth is disabled."""
    assert levels(inventory(cosmos(), assign(DOCUMENTDB_CONTRIBUTOR, RG))) == FULL


def test_cosmos_keys_give_nothing_once_local_auth_is_disabled() -> None:
    """Configure role-based access control with Microsoft Entra ID for your Azure Cosmos DB account, Enforcing
    role-based access control as the only authentication method: "you can disable the account's
    primary/secondary keys. When doing so, any incoming request using either a primary/secondary key or a
    resource token is actively rejected." (`disableLocalAuth: true`)."""
    inv = inventory(cosmos(disable_local_auth=True), assign(DOCUMENTDB_CONTRIBUTOR, RG))
    assert levels(inv) == {"admin"}  # it can still assign itself a data-plane role (sqlRoleAssignments/write)


def test_cosmos_read_only_keys_are_read_access_and_reader_reaches_them() -> None:
    """Azure permissions for Databases: "Microsoft.DocumentDB/databaseAccounts/readonlykeys/action | Reads the
    database account readonly keys." and "Microsoft.DocumentDB/databaseAccounts/readonlykeys/read | Reads the
    database account readonly keys." The latter is a read operation, so Reader's `*/read` covers it: on an
    account with local auth, Reader and Cosmos DB Account Reader Role can read the data (not write it).
    Corroborated by Azure/cosmos-explorer#1916, "Add readOnlyKeys call to support accounts with Reader
    role". This is the one place where Reader without data actions reads data."""
    assert levels(inventory(cosmos(), assign(COSMOS_ACCOUNT_READER, COSMOS))) == {"read"}
    assert levels(inventory(cosmos(), assign(READER, SUBSCRIPTION))) == {"read"}
    assert levels(inventory(cosmos(disable_local_auth=True), assign(READER, SUBSCRIPTION))) == set()


def test_cosmos_data_plane_role_assignments_give_read_or_write_at_any_of_its_scopes() -> None:
    """How to set up RBAC (Cosmos DB): "Cosmos DB Built-in Data Reader" includes `items/read`, `executeQuery`,
    `readChangeFeed`; "Cosmos DB Built-in Data Contributor" `containers/*` and `items/*`. "A role assignment
    also defines the scope ... An Azure Cosmos DB account, An Azure Cosmos DB database, An Azure Cosmos DB
    container." These hold with local auth disabled: they are Microsoft Entra authorization."""
    store = cosmos(
        disable_local_auth=True,
        definitions=(DATA_READER, DATA_CONTRIBUTOR),
        assignments=(
            CosmosRoleAssignment(f"{COSMOS}/sqlRoleAssignments/r1", "/", DATA_READER.id, ANA),
            CosmosRoleAssignment(f"{COSMOS}/sqlRoleAssignments/w1", "/dbs/cases", DATA_CONTRIBUTOR.id, HR),
        ),
    )
    inv = inventory(store)
    assert levels(inv, ANA) == {"read", "write"}
    bob_writes = grants(inv)[(BOB, COSMOS, "write")]
    assert bob_writes.grantor.kind is GrantorKind.COSMOS_ROLE_ASSIGNMENT
    assert bob_writes.grantor.relation is Relation.BELOW
    assert "dbs/cases (part of the store)" in bob_writes.path[-1].name
    ana_reads = grants(inv)[(ANA, COSMOS, "read")]
    assert (
        ana_reads.grantor.relation is Relation.STORE and ana_reads.path[-1].kind == "cosmos_role_assignment"
    )


def test_cosmos_data_roles_are_not_azure_rbac_roles() -> None:
    """How to set up RBAC (Cosmos DB): "The term role definitions here refer to Azure Cosmos DB specific role
    definitions. These are distinct from Azure role-based access control role definitions." An Azure role
    with Cosmos data actions gives no data; Owner's `*` gives admin (keys off) and no data."""
    arm_role = role(
        "00000000-0000-0000-0000-0000000000e1", "Misplaced", Permission(data_actions=(f"{_ITEMS}/items/*",))
    )
    inv = inventory(cosmos(disable_local_auth=True), assign(arm_role, COSMOS), roles=(arm_role,))
    assert levels(inv) == set()
    assert levels(inventory(cosmos(disable_local_auth=True), assign(OWNER, RG))) == {"admin"}


# Key Vault


def test_key_vault_in_rbac_mode_reads_data_actions_and_ignores_access_policies() -> None:
    """KeyVaultProperties.EnableRbacAuthorization: "When true, the key vault will use Role Based Access
    Control (RBAC) for authorization of data actions, and the access policies specified in vault properties
    will be ignored." Key Vault Secrets User: "Microsoft.KeyVault/vaults/secrets/getSecret/action | Gets the
    value of a secret."; Key Vault Contributor manages the vault, not its secrets."""
    policy = AccessPolicy(BOB, secrets=("Get", "List"))
    inv = inventory(vault(True, policy), assign(SECRETS_USER, VAULT), assign(VAULT_CONTRIBUTOR, RG, APP))
    assert levels(inv, ANA) == {"read"}
    assert levels(inv, BOB) == set()
    assert levels(inv, APP) == set()


def test_key_vault_in_access_policy_mode_reads_policies_and_ignores_data_roles() -> None:
    """KeyVaultProperties.EnableRbacAuthorization: "When false, the key vault will use the access policies
    specified in vault properties, and any policy stored on Azure Resource Manager will be ignored." A policy
    with secret Get reads; with Set it writes; an RBAC data role gives nothing."""
    policies = (
        AccessPolicy(BOB, secrets=("Get", "List")),
        AccessPolicy(HR, secrets=("set",), keys=("decrypt",)),
    )
    inv = inventory(vault(False, *policies), assign(SECRETS_USER, VAULT))
    assert levels(inv, ANA) == {"read", "write"}  # through HR's policy
    assert levels(inv, BOB) == {"read", "write"}  # his own (read) and HR's via Staff (write)
    own = grants(inv)[(BOB, VAULT, "read")]
    assert own.grantor.kind is GrantorKind.ACCESS_POLICY and own.grantor.direct


def test_vault_write_on_an_access_policy_vault_is_admin() -> None:
    """Azure RBAC vs. access policies (Key Vault): "When using the Access Policy permission model, a user with
    the Contributor, Key Vault Contributor, or any other role that includes Microsoft.KeyVault/vaults/write
    permissions for the key vault management plane can grant themselves data plane access by setting a Key
    Vault access policy." """
    assert levels(inventory(vault(False), assign(VAULT_CONTRIBUTOR, RG))) == {"admin"}
    assert levels(inventory(vault(True), assign(VAULT_CONTRIBUTOR, RG))) == set()


# SQL


def test_the_sql_servers_entra_admin_has_full_access_to_it_and_its_databases() -> None:
    """Authorize database access to SQL Database (Microsoft Learn): "You can configure one Microsoft Entra
    account as an administrator of the Azure SQL deployment with full administrative permissions. This
    account can be either an individual or security group account." The admin accounts "Are the only
    accounts that can automatically connect to any SQL Database on the server"."""
    admin = SqlEntraAdmin(HR, "hr-dbas", PrincipalType.GROUP)
    inv = inventory((sql_server(admin), sql_database(admin)))
    for store in (SERVER, DATABASE):
        assert levels(inv, BOB, store) == FULL
    on_db = grants(inv)[(ANA, DATABASE, "read")]
    assert on_db.grantor.kind is GrantorKind.SQL_ENTRA_ADMIN
    assert on_db.grantor.relation is Relation.INHERITED and on_db.grantor.scope == SERVER
    assert [step.kind for step in on_db.path] == ["group", "sql_entra_admin"]


def test_whoever_can_set_the_sql_entra_admin_is_admin() -> None:
    """Azure permissions for Databases: "Microsoft.Sql/servers/administrators/write | Adds or updates a
    specific Azure Active Directory administrator object": whoever holds it can make itself the admin, on
    the server and so on its databases. Contributor (`*`) has it."""
    assert levels(inventory(sql_server(), assign(CONTRIBUTOR, RG))) == {"admin"}
    assert levels(inventory(sql_database(), assign(CONTRIBUTOR, SERVER)), store_id=DATABASE) == {"admin"}
