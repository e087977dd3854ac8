"""Builders for the personal-data stores, in the wire shape of each provider's REST reference.

- Storage accounts (Microsoft.Storage, "Storage Accounts - Get Properties"): `properties.allowSharedKeyAccess`
  is left out unless given, as ARM leaves out a property never set ("The default value is null, which is
  equivalent to true").
- Cosmos DB accounts (Microsoft.DocumentDB, "Database Accounts - Get"): `properties.disableLocalAuth`;
  each account carries the two built-in data-plane roles with their fixed ids ("Azure Cosmos DB for NoSQL:
  role-based access control with Microsoft Entra ID": Cosmos DB Built-in Data Reader
  `00000000-0000-0000-0000-000000000001` and Cosmos DB Built-in Data Contributor `…0002`), and its
  `sqlRoleAssignments`.
- Key Vaults (Microsoft.KeyVault, "Vaults - Get"): `properties.enableRbacAuthorization`,
  `properties.accessPolicies`.
- SQL servers (Microsoft.Sql, "Server Azure AD Administrators - Get"): the Entra admin at
  `…/administrators/ActiveDirectory` (`sid` is the admin's object id), and databases below the server.
"""

from __future__ import annotations

from typing import Any

DOCDB = "Microsoft.DocumentDB/databaseAccounts"
COSMOS_DATA_READER = "00000000-0000-0000-0000-000000000001"
COSMOS_DATA_CONTRIBUTOR = "00000000-0000-0000-0000-000000000002"
_COSMOS_BUILTINS = (
    (
        COSMOS_DATA_READER,
        "Cosmos DB Built-in Data Reader",
        [
            f"{DOCDB}/readMetadata",
            f"{DOCDB}/sqlDatabases/containers/executeQuery",
            f"{DOCDB}/sqlDatabases/containers/readChangeFeed",
            f"{DOCDB}/sqlDatabases/containers/items/read",
        ],
    ),
    (
        COSMOS_DATA_CONTRIBUTOR,
        "Cosmos DB Built-in Data Contributor",
        [
            f"{DOCDB}/readMetadata",
            f"{DOCDB}/sqlDatabases/containers/*",
            f"{DOCDB}/sqlDatabases/containers/items/*",
        ],
    ),
)


def _rg(subscription_id: str, resource_group: str) -> str:
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"


class StoreBuilders:
    """Mixed into ArmState; every builder returns the new resource's id."""

    tenant_id: str

    def add_resource(self, resource_id: str, **fields: Any) -> dict[str, Any]:
        raise NotImplementedError

    def add_storage_account(
        self,
        subscription_id: str,
        resource_group: str,
        name: str,
        *,
        tags: dict[str, str] | None = None,
        allow_shared_key_access: bool | None = None,
    ) -> str:
        properties: dict[str, Any] = {
            "provisioningState": "Succeeded",
            "primaryEndpoints": {"blob": f"https://{name}.blob.core.windows.net/"},
            "supportsHttpsTrafficOnly": True,
        }
        if allow_shared_key_access is not None:
            properties["allowSharedKeyAccess"] = allow_shared_key_access
        rid = f"{_rg(subscription_id, resource_group)}/providers/Microsoft.Storage/storageAccounts/{name}"
        self.add_resource(
            rid,
            tags=tags or {},
            properties=properties,
            kind="StorageV2",
            sku={"name": "Standard_LRS", "tier": "Standard"},
        )
        return rid

    def add_blob_container(self, account_id: str, name: str) -> str:
        """A container: a child scope below its account (`…/blobServices/default/containers/{name}`)."""
        service = f"{account_id}/blobServices/default"
        self.add_resource(service, location=None, properties={})
        rid = f"{service}/containers/{name}"
        self.add_resource(rid, location=None, properties={"publicAccess": "None"})
        return rid

    def add_cosmos_account(
        self,
        subscription_id: str,
        resource_group: str,
        name: str,
        *,
        tags: dict[str, str] | None = None,
        disable_local_auth: bool = False,
    ) -> str:
        rid = f"{_rg(subscription_id, resource_group)}/providers/{DOCDB}/{name}"
        self.add_resource(
            rid,
            tags=tags or {},
            kind="GlobalDocumentDB",
            properties={
                "provisioningState": "Succeeded",
                "documentEndpoint": f"https://{name}.documents.azure.com:443/",
                "databaseAccountOfferType": "Standard",
                "disableLocalAuth": disable_local_auth,
            },
        )
        for guid, role_name, data_actions in _COSMOS_BUILTINS:
            self._cosmos_role(rid, guid, role_name, data_actions, "BuiltInRole")
        return rid

    def add_cosmos_sql_role_definition(
        self, account_id: str, guid: str, role_name: str, data_actions: list[str]
    ) -> str:
        return self._cosmos_role(account_id, guid, role_name, data_actions, "CustomRole")

    def _cosmos_role(
        self, account_id: str, guid: str, role_name: str, data_actions: list[str], kind: str
    ) -> str:
        rid = f"{account_id}/sqlRoleDefinitions/{guid}"
        permissions = [{"dataActions": list(data_actions), "notDataActions": []}]
        self.add_resource(
            rid,
            location=None,
            properties={
                "roleName": role_name,
                "type": kind,
                "assignableScopes": [account_id],
                "permissions": permissions,
            },
        )
        return rid

    def add_cosmos_sql_role_assignment(
        self,
        account_id: str,
        guid: str,
        role_definition_guid: str,
        principal_id: str,
        *,
        scope: str | None = None,
    ) -> str:
        """A data-plane role assignment; `scope` defaults to the whole account (or
        `…/dbs/{db}[/colls/{c}]`)."""
        rid = f"{account_id}/sqlRoleAssignments/{guid}"
        properties = {
            "roleDefinitionId": f"{account_id}/sqlRoleDefinitions/{role_definition_guid}",
            "scope": scope or account_id,
            "principalId": principal_id,
        }
        self.add_resource(rid, location=None, properties=properties)
        return rid

    def add_key_vault(
        self,
        subscription_id: str,
        resource_group: str,
        name: str,
        *,
        tags: dict[str, str] | None = None,
        enable_rbac_authorization: bool | None = True,
        access_policies: list[dict[str, Any]] | None = None,
    ) -> str:
        """`access_policies`: wire entries `{"tenantId", "objectId", "permissions": {"secrets": […]}}`."""
        properties: dict[str, Any] = {
            "tenantId": self.tenant_id,
            "sku": {"family": "A", "name": "standard"},
            "accessPolicies": list(access_policies or []),
            "vaultUri": f"https://{name}.vault.azure.net/",
            "provisioningState": "Succeeded",
        }
        if enable_rbac_authorization is not None:
            properties["enableRbacAuthorization"] = enable_rbac_authorization
        rid = f"{_rg(subscription_id, resource_group)}/providers/Microsoft.KeyVault/vaults/{name}"
        self.add_resource(rid, tags=tags or {}, properties=properties)
        return rid

    def add_sql_server(
        self,
        subscription_id: str,
        resource_group: str,
        name: str,
        *,
        tags: dict[str, str] | None = None,
        entra_admin: tuple[str, str] | None = None,
    ) -> str:
        """`entra_admin`: (login, object id) of the server's Microsoft Entra admin, or None for none."""
        rid = f"{_rg(subscription_id, resource_group)}/providers/Microsoft.Sql/servers/{name}"
        properties = {
            "administratorLogin": "sqladmin",
            "version": "12.0",
            "state": "Ready",
            "fullyQualifiedDomainName": f"{name}.database.windows.net",
        }
        self.add_resource(rid, tags=tags or {}, properties=properties, kind="v12.0")
        if entra_admin is not None:
            login, object_id = entra_admin
            admin = {
                "administratorType": "ActiveDirectory",
                "login": login,
                "sid": object_id,
                "tenantId": self.tenant_id,
                "azureADOnlyAuthentication": False,
            }
            self.add_resource(f"{rid}/administrators/ActiveDirectory", location=None, properties=admin)
        return rid

    def add_sql_database(self, server_id: str, name: str, *, tags: dict[str, str] | None = None) -> str:
        rid = f"{server_id}/databases/{name}"
        properties = {"status": "Online", "collation": "SQL_Latin1_General_CP1_CI_AS"}
        self.add_resource(
            rid,
            tags=tags or {},
            properties=properties,
            kind="v12.0,user",
            sku={"name": "S0", "tier": "Standard"},
        )
        return rid
