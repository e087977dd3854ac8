"""Cosmos DB accounts: local auth (the account keys) and the account's own data-plane RBAC.

"Database Accounts - Get", disableLocalAuth: "Opt-out of local authentication and ensure only MSI and AAD
can be used exclusively for authentication." The data-plane role definitions and assignments are the
account's own ("Sql Resources - List Sql Role Definitions" / "List Sql Role Assignments"), read with the
Cosmos DB management client, every page.
"""

from __future__ import annotations

from connectors.azure.errors import azure_call, malformed, parsing
from connectors.azure.model import (
    CosmosFacts,
    CosmosRoleAssignment,
    CosmosRoleDefinition,
    Permission,
    StoreKind,
)
from connectors.azure.stores.base import ArmReader, Resource, StoreSpec


def read_facts(reader: ArmReader, resource: Resource) -> CosmosFacts:
    disabled = resource.properties.get("disableLocalAuth", False)
    if not isinstance(disabled, bool):
        raise malformed(resource.subscription, resource.id, f"disableLocalAuth is {disabled!r}")
    where = f"subscription {resource.subscription}"
    sql = reader.clients.cosmos(resource.subscription).sql_resources
    with azure_call(where, f"Cosmos DB role definitions of {resource.id}"):
        definitions = list(sql.list_sql_role_definitions(resource.resource_group, resource.name))
    with azure_call(where, f"Cosmos DB role assignments of {resource.id}"):
        assignments = list(sql.list_sql_role_assignments(resource.resource_group, resource.name))
    with parsing(where, f"Cosmos DB role definitions of {resource.id}"):
        roles = tuple(
            CosmosRoleDefinition(
                id=str(d.id),
                name=str(d.role_name),
                permissions=tuple(
                    Permission(
                        data_actions=tuple(p.data_actions or ()),
                        not_data_actions=tuple(p.not_data_actions or ()),
                    )
                    for p in d.permissions or ()
                ),
            )
            for d in definitions
        )
    with parsing(where, f"Cosmos DB role assignments of {resource.id}"):
        granted = tuple(
            CosmosRoleAssignment(
                id=str(a.id),
                scope=_required(a.scope, "scope", a.id),
                role_definition_id=_required(a.role_definition_id, "roleDefinitionId", a.id),
                principal_id=_required(a.principal_id, "principalId", a.id),
            )
            for a in assignments
        )
    return CosmosFacts(disable_local_auth=disabled, role_definitions=roles, role_assignments=granted)


def _required(value: object, name: str, owner: object) -> str:
    if not value:
        raise KeyError(f"{name} of {owner}")
    return str(value)


SPEC = StoreSpec(
    kind=StoreKind.COSMOSDB_ACCOUNT,
    resource_type="Microsoft.DocumentDB/databaseAccounts",
    api_version="2024-11-15",
    read_facts=read_facts,
    permissions=(
        "Microsoft.DocumentDB/databaseAccounts/read",
        "Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions/read",
        "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments/read",
    ),
)
