"""One cheap, read-only ARM call per action of the Azure read role (permissions.py), for `recertify doctor`.

ARM decides the caller's permission before it looks the scope up: a refusal reads "The client '…' does not
have authorization to perform action '…' over scope '…' or the scope is invalid" (403 AuthorizationFailed).
So a probe of a name no resource has still answers the question: 403 AuthorizationFailed means the action is
not allowed; 404 (ResourceGroupNotFound, ResourceNotFound, RoleDefinitionDoesNotExist) means it is. Lists are
read one page at most. Nothing here writes.

tests/connectors/azure/test_doctor.py checks that every action of the read role has a probe here, so the
two cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from connectors.azure.client import AzureClients
from connectors.azure.stores import cosmos, key_vault, sql, storage
from connectors.azure.stores.base import StoreSpec

PROBE_NAME = "recertify-doctor-probe"  # a resource group and resource name no real one has
PROBE_GUID = "00000000-0000-0000-0000-00000000d0c7"  # a role definition that does not exist

Call = Callable[[AzureClients, str], object]


@dataclass(frozen=True, slots=True)
class Probe:
    action: str
    call: Call  # (clients, subscription id) -> anything; raises azure-core's errors
    what: str  # the request, for the doctor's line


def _first(items: object) -> object:
    """The first item of an SDK pager (one page read), or None."""
    return next(iter(items), None)  # type: ignore[call-overload]


def _made_up(subscription: str, spec: StoreSpec, *children: str) -> str:
    provider, kind = spec.resource_type.split("/", 1)
    tail = "".join(f"/{child}" for child in children)
    return (
        f"/subscriptions/{subscription}/resourceGroups/{PROBE_NAME}/providers/{provider}/{kind}/{PROBE_NAME}"
        f"{tail}"
    )


def _get(spec: StoreSpec, *children: str) -> Call:
    def call(clients: AzureClients, subscription: str) -> object:
        resource_id = _made_up(subscription, spec, *children)
        return clients.resources(subscription).resources.get_by_id(resource_id, api_version=spec.api_version)

    return call


def _scope(subscription: str) -> str:
    return f"/subscriptions/{subscription}"


def _get_for(spec: StoreSpec, *children: str) -> str:
    return f"GET {_made_up('{subscription}', spec, *children)}"


PROBES: tuple[Probe, ...] = (
    Probe(
        "Microsoft.Resources/subscriptions/read",
        lambda c, s: c.subscriptions().subscriptions.get(s),
        "GET /subscriptions/{subscription}",
    ),
    Probe(
        "Microsoft.Resources/subscriptions/resources/read",
        lambda c, s: _first(c.resources(s).resources.list(top=1)),
        "GET /subscriptions/{subscription}/resources?$top=1",
    ),
    Probe(
        "Microsoft.Authorization/roleAssignments/read",
        lambda c, s: _first(c.authorization(s).role_assignments.list_for_subscription(filter="atScope()")),
        "GET …/roleAssignments?$filter=atScope() (one page)",
    ),
    Probe(
        "Microsoft.Authorization/roleDefinitions/read",
        lambda c, s: c.authorization(s).role_definitions.get(_scope(s), PROBE_GUID),
        f"GET …/roleDefinitions/{PROBE_GUID}",
    ),
    Probe(
        "Microsoft.Authorization/denyAssignments/read",
        lambda c, s: _first(c.authorization(s).deny_assignments.list(filter="atScope()")),
        "GET …/denyAssignments?$filter=atScope() (one page)",
    ),
    Probe("Microsoft.Storage/storageAccounts/read", _get(storage.SPEC), _get_for(storage.SPEC)),
    Probe("Microsoft.Sql/servers/read", _get(sql.SERVER_SPEC), _get_for(sql.SERVER_SPEC)),
    Probe(
        "Microsoft.Sql/servers/administrators/read",
        _get(sql.SERVER_SPEC, "administrators", "ActiveDirectory"),
        _get_for(sql.SERVER_SPEC, "administrators", "ActiveDirectory"),
    ),
    Probe(
        "Microsoft.Sql/servers/databases/read",
        _get(sql.SERVER_SPEC, "databases", PROBE_NAME),
        _get_for(sql.SERVER_SPEC, "databases", PROBE_NAME),
    ),
    Probe("Microsoft.KeyVault/vaults/read", _get(key_vault.SPEC), _get_for(key_vault.SPEC)),
    Probe("Microsoft.DocumentDB/databaseAccounts/read", _get(cosmos.SPEC), _get_for(cosmos.SPEC)),
    Probe(
        "Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions/read",
        lambda c, s: _first(c.cosmos(s).sql_resources.list_sql_role_definitions(PROBE_NAME, PROBE_NAME)),
        _get_for(cosmos.SPEC, "sqlRoleDefinitions"),
    ),
    Probe(
        "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments/read",
        lambda c, s: _first(c.cosmos(s).sql_resources.list_sql_role_assignments(PROBE_NAME, PROBE_NAME)),
        _get_for(cosmos.SPEC, "sqlRoleAssignments"),
    ),
)

PROBE_OF = {probe.action.lower(): probe for probe in PROBES}
