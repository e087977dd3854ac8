"""All Azure SDK reading ("get" in get → transform → load): the evaluator's `AzureInventory` (its directory
left empty: the Entra source fills it) and what the transform needs about each store, complete or an
exception.

Subscriptions: the configured ones, each read first (a missing one fails the read), or, when none are
configured, every subscription the credential can list. Per subscription: the personal-data stores, then
Azure RBAC (rbac_read.py). Stores are found with "Resources - List" filtered by tag ("to filter for a tag
name and value, use $filter=tagName eq 'tag1' and tagValue eq 'Value1'"), which ARM matches as Azure
compares tags ("Tag names are case-insensitive for operations. … Tag values are case-sensitive."); "when
resources are filtered by tag name and value, the original tags for each resource will not be returned in
the results", so each store's tags (its owner) and its properties come from a get by id. A subscription
that cannot be read fails the whole read: nothing partial is returned.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from connectors.azure.client import AzureClients
from connectors.azure.errors import azure_call, parsing
from connectors.azure.model import AzureInventory, AzureStore, RoleDefinition, StoreKind
from connectors.azure.rbac_read import SubscriptionRbac, read_rbac, read_role_definition
from connectors.azure.stores import ArmReader, Resource, spec_for

logger = logging.getLogger(__name__)

# The operations read_inventory itself calls (each store kind names its own, and rbac_read.py its own):
# "Subscriptions - Get"/"- List" and "Resources - List" (connectors/azure/permissions.py builds the role).
READ_PERMISSIONS = (
    "Microsoft.Resources/subscriptions/read",
    "Microsoft.Resources/subscriptions/resources/read",
)


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """What the transform needs beyond the evaluator's facts: the resource's own tags and owners."""

    resource_id: str
    kind: StoreKind
    name: str
    subscription: str
    resource_group: str
    tags: tuple[tuple[str, str], ...]  # every tag on the resource, sorted by name
    owners: tuple[str, ...]  # the owner tag's emails, lower-cased


@dataclass(frozen=True, slots=True)
class AzureRead:
    inventory: AzureInventory  # directory empty
    stores: tuple[StoreInfo, ...]
    subscriptions: tuple[str, ...]


def read_inventory(
    clients: AzureClients,
    *,
    subscriptions: list[str] | None,
    personal_data_tag: str,
    personal_data_values: list[str],
    owner_tag: str,
    pim_eligible: bool = True,
) -> AzureRead:
    reader = ArmReader(clients)
    chosen = _subscriptions(clients, subscriptions)
    stores: dict[str, tuple[AzureStore, StoreInfo]] = {}
    rbac: dict[str, SubscriptionRbac] = {}
    for subscription in chosen:
        for store, info in _stores(reader, subscription, personal_data_tag, personal_data_values, owner_tag):
            stores.setdefault(store.resource_id.lower(), (store, info))
        rbac[subscription] = read_rbac(clients, subscription, pim_eligible=pim_eligible)
        logger.info(
            "Azure subscription %s: %d stores so far, %d role assignments, %d deny assignments",
            subscription,
            len(stores),
            len(rbac[subscription].role_assignments),
            len(rbac[subscription].deny_assignments),
        )
    ordered = sorted(stores.values(), key=lambda pair: pair[0].resource_id.lower())
    inventory = AzureInventory(
        stores=tuple(store for store, _ in ordered),
        role_definitions=_definitions(clients, rbac),
        role_assignments=_unique(a for read in rbac.values() for a in read.role_assignments),
        deny_assignments=_unique(d for read in rbac.values() for d in read.deny_assignments),
        eligible_assignments=_unique(e for read in rbac.values() for e in read.eligible_assignments),
        management_groups={subscription: read.management_groups for subscription, read in rbac.items()},
    )
    return AzureRead(inventory, tuple(info for _, info in ordered), tuple(chosen))


def _subscriptions(clients: AzureClients, configured: list[str] | None) -> list[str]:
    client = clients.subscriptions().subscriptions
    if configured:
        found = []
        for subscription in configured:
            with azure_call(f"subscription {subscription}", "get the subscription"):
                answer = client.get(subscription)
            found.append(str(answer.subscription_id))
        return found
    with azure_call("the tenant", "list the subscriptions"):
        listed = [str(s.subscription_id) for s in client.list()]
    return sorted(set(listed), key=str.lower)


def _stores(
    reader: ArmReader, subscription: str, tag: str, values: list[str], owner_tag: str
) -> list[tuple[AzureStore, StoreInfo]]:
    where = f"subscription {subscription}"
    candidates: dict[str, str] = {}  # lower id -> id, of a type the registry knows
    resources = reader.clients.resources(subscription).resources
    for value in values:
        query = f"tagName eq '{_quoted(tag)}' and tagValue eq '{_quoted(value)}'"
        with azure_call(where, f"resources tagged {tag}={value}"):
            listed = list(resources.list(filter=query))
        with parsing(where, f"resources tagged {tag}={value}"):
            for item in listed:
                if spec_for(str(item.type)) is not None:
                    candidates.setdefault(str(item.id).lower(), str(item.id))
    found = []
    for resource_id in sorted(candidates.values(), key=str.lower):
        read = _store(reader, resource_id, tag, values, owner_tag)
        if read is not None:
            found.append(read)
    return found


def _store(
    reader: ArmReader, resource_id: str, tag: str, values: list[str], owner_tag: str
) -> tuple[AzureStore, StoreInfo] | None:
    """The store read in full, or None when it is gone or no longer tagged since it was listed (it then
    holds no personal data by our definition)."""
    first = spec_for(_type_of(resource_id))
    if first is None:
        return None
    resource = reader.optional(resource_id, first.api_version, "read")
    if resource is None:
        logger.info("Azure store %s vanished since it was listed", resource_id)
        return None
    spec = spec_for(resource.type)
    tagged = _tag(resource.tags, tag)
    if spec is None or tagged not in values:
        logger.info("Azure resource %s is no longer tagged %s with a personal-data value", resource_id, tag)
        return None
    store = AzureStore(
        resource_id=resource.id,
        kind=spec.kind,
        name=resource.name,
        subscription=resource.subscription,
        resource_group=resource.resource_group,
        facts=spec.read_facts(reader, resource),
    )
    return store, _info(resource, spec.kind, owner_tag)


def _info(resource: Resource, kind: StoreKind, owner_tag: str) -> StoreInfo:
    owners = (_tag(resource.tags, owner_tag) or "").replace(";", ",").split(",")
    return StoreInfo(
        resource_id=resource.id,
        kind=kind,
        name=resource.name,
        subscription=resource.subscription,
        resource_group=resource.resource_group,
        tags=tuple(sorted(resource.tags.items(), key=lambda pair: pair[0].lower())),
        owners=tuple(dict.fromkeys(o.strip().lower() for o in owners if o.strip())),
    )


def _tag(tags: dict[str, str], name: str) -> str | None:
    """A tag's value by its name, compared without case ("Tag names are case-insensitive for operations")."""
    for key, value in tags.items():
        if key.lower() == name.lower():
            return value
    return None


def _definitions(clients: AzureClients, rbac: dict[str, SubscriptionRbac]) -> tuple[RoleDefinition, ...]:
    """Every role definition the lists returned, once by GUID; one an assignment names that no list
    returned (a custom role assignable elsewhere) is read by its id, and a 404 fails the read."""
    by_guid: dict[str, RoleDefinition] = {}
    for read in rbac.values():
        for definition in read.role_definitions:
            by_guid.setdefault(_guid(definition.id), definition)
    for subscription, read in rbac.items():
        for assignment in (*read.role_assignments, *read.eligible_assignments):
            if _guid(assignment.role_definition_id) not in by_guid:
                found = read_role_definition(clients, subscription, assignment.role_definition_id)
                by_guid[_guid(found.id)] = found
    return tuple(sorted(by_guid.values(), key=lambda d: _guid(d.id)))


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_Identified)


def _unique(items: Iterable[_T]) -> tuple[_T, ...]:
    """Once each by id (an assignment at a management group comes back with every subscription below it)."""
    seen: dict[str, _T] = {}
    for item in items:
        seen.setdefault(item.id.lower(), item)
    return tuple(seen[key] for key in sorted(seen))


def _guid(identifier: str) -> str:
    return identifier.rstrip("/").rsplit("/", 1)[-1].lower()


def _type_of(resource_id: str) -> str:
    """ "Microsoft.Sql/servers/databases" from …/providers/Microsoft.Sql/servers/s/databases/d."""
    parts = resource_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    at = len(lowered) - 1 - lowered[::-1].index("providers")
    namespace, rest = parts[at + 1], parts[at + 2 :]
    return "/".join([namespace, *rest[0::2]])


def _quoted(text: str) -> str:
    return text.replace("'", "''")
