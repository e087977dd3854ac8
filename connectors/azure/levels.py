"""What Azure RBAC operations give on each kind of store, as levels. Pure.

A route is a set of concrete operations; holding any one of them on the store (allowed by a role, not
blocked by a deny assignment) gives the route's levels. Data routes need data actions: control-plane
wildcards never reach them, so Reader (`*/read`) and Contributor (`*`) give no data this way. Control-plane
routes to the data count as the access they really give:

kind             level        through
storage account  read         data: blobs/read, files/read, queue messages/read, table entities/read
                 write        data: blob write/delete/add, file write/delete, message write/add/delete,
                              table entity write/delete/add/update
                 all three    control: listkeys, regeneratekey, listAccountSas, listServiceSas (the account
                              key or a SAS signed with it), only while shared key access is allowed
                              (allowSharedKeyAccess true, or null = the default, allowed)
                 admin        control: Microsoft.Authorization/roleAssignments/write
Cosmos DB        all three    control: listKeys, regenerateKey, listConnectionStrings (the primary keys),
  account                     only while local auth is enabled (disableLocalAuth false)
                 read         control: readonlykeys/action and readonlykeys/read (the read-only keys; the
                              latter is a read operation, so `*/read` reaches it), only with local auth
                 read, write  Cosmos data-plane role assignments (its own role definitions, not Azure RBAC's;
                              dataplanes.py): items/read, executeQuery, readChangeFeed; items create,
                              replace, upsert, delete, executeStoredProcedure
                 admin        control: roleAssignments/write; sqlRoleAssignments/write (it can give itself
                              a data-plane role)
Key Vault        read         RBAC mode only, data: secrets/getSecret, keys/decrypt, keys/unwrap
                 write        RBAC mode only, data: secrets/setSecret, secrets/delete, keys/write,
                              keys/delete, certificates/write, certificates/delete
                 read, write  access-policy mode only: its access policies (dataplanes.py)
                 admin        control: roleAssignments/write; in access-policy mode also vaults/write and
                              vaults/accessPolicies/write (it can add a policy for itself)
SQL server /     all three    its Entra admin (dataplanes.py); a database: its server's admin
  database       admin        control: roleAssignments/write; servers/administrators/write (it can make
                              itself the Entra admin)
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.azure.actions import Plane
from connectors.azure.model import AzureStore, CosmosFacts, KeyVaultFacts, StorageFacts
from reviews.entitlements import AccessLevel

READ, WRITE, ADMIN = AccessLevel.READ, AccessLevel.WRITE, AccessLevel.ADMIN
FULL = (READ, WRITE, ADMIN)
ROLE_ASSIGNMENTS_WRITE = "Microsoft.Authorization/roleAssignments/write"

_STORAGE = "Microsoft.Storage/storageAccounts"
_BLOBS = f"{_STORAGE}/blobServices/containers/blobs"
_FILES = f"{_STORAGE}/fileServices/fileshares/files"
_MESSAGES = f"{_STORAGE}/queueServices/queues/messages"
_ENTITIES = f"{_STORAGE}/tableServices/tables/entities"
_COSMOS = "Microsoft.DocumentDB/databaseAccounts"
_VAULT = "Microsoft.KeyVault/vaults"


@dataclass(frozen=True, slots=True)
class Route:
    """Operations that each give `levels` on a store. `label` names a control-plane route in the path (the
    account keys); data routes need no step of their own."""

    key: str
    levels: tuple[AccessLevel, ...]
    plane: Plane
    operations: tuple[str, ...]
    label: str = ""


ASSIGN_ROLES = Route(
    "assign_roles", (ADMIN,), Plane.CONTROL, (ROLE_ASSIGNMENTS_WRITE,), "can assign Azure roles on it"
)

STORAGE_READ = Route(
    "data_read",
    (READ,),
    Plane.DATA,
    (f"{_BLOBS}/read", f"{_FILES}/read", f"{_MESSAGES}/read", f"{_ENTITIES}/read"),
)
STORAGE_WRITE = Route(
    "data_write",
    (WRITE,),
    Plane.DATA,
    (
        f"{_BLOBS}/write",
        f"{_BLOBS}/delete",
        f"{_BLOBS}/add/action",
        f"{_FILES}/write",
        f"{_FILES}/delete",
        f"{_MESSAGES}/write",
        f"{_MESSAGES}/add/action",
        f"{_MESSAGES}/delete",
        f"{_ENTITIES}/write",
        f"{_ENTITIES}/delete",
        f"{_ENTITIES}/add/action",
        f"{_ENTITIES}/update/action",
    ),
)
STORAGE_KEYS = Route(
    "account_keys",
    FULL,
    Plane.CONTROL,
    (
        f"{_STORAGE}/listkeys/action",
        f"{_STORAGE}/regeneratekey/action",
        f"{_STORAGE}/listAccountSas/action",
        f"{_STORAGE}/listServiceSas/action",
    ),
    "account keys (shared key access allowed)",
)
COSMOS_KEYS = Route(
    "account_keys",
    FULL,
    Plane.CONTROL,
    (
        f"{_COSMOS}/listKeys/action",
        f"{_COSMOS}/regenerateKey/action",
        f"{_COSMOS}/listConnectionStrings/action",
    ),
    "account keys (local auth enabled)",
)
COSMOS_READONLY_KEYS = Route(
    "readonly_keys",
    (READ,),
    Plane.CONTROL,
    (f"{_COSMOS}/readonlykeys/action", f"{_COSMOS}/readonlykeys/read"),
    "read-only account keys (local auth enabled)",
)
COSMOS_ASSIGN_DATA_ROLES = Route(
    "assign_data_roles",
    (ADMIN,),
    Plane.CONTROL,
    (f"{_COSMOS}/sqlRoleAssignments/write",),
    "can assign Cosmos DB data-plane roles on it",
)
VAULT_READ = Route(
    "data_read",
    (READ,),
    Plane.DATA,
    (f"{_VAULT}/secrets/getSecret/action", f"{_VAULT}/keys/decrypt/action", f"{_VAULT}/keys/unwrap/action"),
)
VAULT_WRITE = Route(
    "data_write",
    (WRITE,),
    Plane.DATA,
    (
        f"{_VAULT}/secrets/setSecret/action",
        f"{_VAULT}/secrets/delete",
        f"{_VAULT}/keys/write",
        f"{_VAULT}/keys/delete",
        f"{_VAULT}/certificates/write",
        f"{_VAULT}/certificates/delete",
    ),
)
VAULT_POLICIES = Route(
    "access_policies",
    (ADMIN,),
    Plane.CONTROL,
    (f"{_VAULT}/write", f"{_VAULT}/accessPolicies/write"),
    "can add an access policy (access-policy permission model)",
)
SQL_ADMIN_WRITE = Route(
    "set_entra_admin",
    (ADMIN,),
    Plane.CONTROL,
    ("Microsoft.Sql/servers/administrators/write",),
    "can make itself the server's Entra admin",
)


def routes(store: AzureStore) -> tuple[Route, ...]:
    """The RBAC routes to a store's data and its administration, given its facts (the store checked on
    construction that its facts are its kind's)."""
    facts = store.facts
    if isinstance(facts, StorageFacts):
        shared_keys = facts.allow_shared_key_access is not False
        return (STORAGE_READ, STORAGE_WRITE, *((STORAGE_KEYS,) if shared_keys else ()), ASSIGN_ROLES)
    if isinstance(facts, CosmosFacts):
        keys = () if facts.disable_local_auth else (COSMOS_KEYS, COSMOS_READONLY_KEYS)
        return (*keys, COSMOS_ASSIGN_DATA_ROLES, ASSIGN_ROLES)
    if isinstance(facts, KeyVaultFacts):
        if facts.enable_rbac_authorization:
            return (VAULT_READ, VAULT_WRITE, ASSIGN_ROLES)
        return (VAULT_POLICIES, ASSIGN_ROLES)
    # SQL: the data plane is the server's own logins and its Entra admin (dataplanes.py); RBAC administers.
    return (SQL_ADMIN_WRITE, ASSIGN_ROLES)
