"""SQL servers and SQL databases: the server's Microsoft Entra admin reaches the server and every database.

"Server Azure AD Administrators - Get": `GET …/servers/{serverName}/administrators/ActiveDirectory` (the
administrator's only name), `properties.login` and `properties.sid` (the admin's object id). A server with
no Entra admin answers 404 there: no admin. A database is a store when it is tagged itself (a tracked
resource of its own, with its own tags; tags are not inherited from the server, issue 19); it carries its
server's admin, read once per server. The answer names no principal type: the directory says whether the
admin is a user, a group or a service principal.
"""

from __future__ import annotations

from connectors.azure.errors import parsing
from connectors.azure.model import SqlEntraAdmin, SqlFacts, StoreKind
from connectors.azure.stores.base import ArmReader, Resource, StoreSpec

API_VERSION = "2023-08-01"
_DATABASES = "/databases/"


def server_facts(reader: ArmReader, resource: Resource) -> SqlFacts:
    return SqlFacts(entra_admin=_admin(reader, resource.id))


def database_facts(reader: ArmReader, resource: Resource) -> SqlFacts:
    at = resource.id.lower().rindex(_DATABASES)
    return SqlFacts(entra_admin=_admin(reader, resource.id[:at]))


def _admin(reader: ArmReader, server_id: str) -> SqlEntraAdmin | None:
    key = f"sql-admin:{server_id.lower()}"
    if key not in reader.memo:
        found = reader.optional(f"{server_id}/administrators/ActiveDirectory", API_VERSION, "Entra admin of")
        admin = None
        if found is not None:
            with parsing(f"subscription {found.subscription}", f"Entra admin of {server_id}"):
                properties = found.properties
                admin = SqlEntraAdmin(object_id=str(properties["sid"]), login=str(properties["login"]))
        reader.memo[key] = admin
    found_admin: SqlEntraAdmin | None = reader.memo[key]
    return found_admin


SERVER_SPEC = StoreSpec(
    kind=StoreKind.SQL_SERVER,
    resource_type="Microsoft.Sql/servers",
    api_version=API_VERSION,
    read_facts=server_facts,
    permissions=("Microsoft.Sql/servers/read", "Microsoft.Sql/servers/administrators/read"),
)
DATABASE_SPEC = StoreSpec(
    kind=StoreKind.SQL_DATABASE,
    resource_type="Microsoft.Sql/servers/databases",
    api_version=API_VERSION,
    read_facts=database_facts,
    permissions=("Microsoft.Sql/servers/databases/read", "Microsoft.Sql/servers/administrators/read"),
)
