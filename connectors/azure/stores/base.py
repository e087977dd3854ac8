"""What a store kind tells the reader, so that a new kind is one module (as on AWS).

A kind names its ARM resource type, the api-version its get by id uses, how its facts are read from that
answer (and from any further read it needs), and the operations those reads need (for permissions.py).
`ArmReader` is what a kind reads through: gets by id, the Cosmos DB client, and one memo per read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.azure.client import AzureClients
from connectors.azure.errors import AzureApiError, azure_call, is_not_found, malformed, parsing
from connectors.azure.model import StoreFacts, StoreKind


@dataclass(frozen=True, slots=True)
class Resource:
    """A resource as its get by id returns it: tags and properties included."""

    id: str
    name: str
    type: str
    subscription: str
    resource_group: str
    tags: dict[str, str]
    properties: dict[str, Any]


class ArmReader:
    """Gets by id through the SDK, translated (errors.py); `memo` keeps what several stores share (a SQL
    server's Entra admin, read once for the server and all its databases)."""

    def __init__(self, clients: AzureClients) -> None:
        self.clients = clients
        self.memo: dict[str, Any] = {}

    def get(self, resource_id: str, api_version: str, operation: str) -> Resource:
        subscription, group = split_id(resource_id)
        with azure_call(f"subscription {subscription}", f"{operation} {resource_id}"):
            answer = self.clients.resources(subscription).resources.get_by_id(
                resource_id, api_version=api_version
            )
        with parsing(f"subscription {subscription}", f"{operation} {resource_id}"):
            properties = answer.properties
            if properties is None:
                properties = {}
            if not isinstance(properties, dict):
                raise malformed(f"subscription {subscription}", resource_id, "properties are not an object")
            return Resource(
                id=str(answer.id),
                name=str(answer.name),
                type=str(answer.type),
                subscription=subscription,
                resource_group=group,
                tags=dict(answer.tags or {}),
                properties=dict(properties),
            )

    def optional(self, resource_id: str, api_version: str, operation: str) -> Resource | None:
        """The resource, or None when ARM answers 404 for it. Any other error is raised: "could not read
        it" must never look like "there is none"."""
        try:
            return self.get(resource_id, api_version, operation)
        except AzureApiError as exc:
            if is_not_found(exc):
                return None
            raise


ReadFacts = Callable[[ArmReader, Resource], StoreFacts]


@dataclass(frozen=True, slots=True)
class StoreSpec:
    kind: StoreKind
    resource_type: str  # ARM's type, e.g. "Microsoft.Storage/storageAccounts" (compared without case)
    api_version: str  # of the get by id and of the kind's own reads
    read_facts: ReadFacts
    permissions: tuple[str, ...]  # the Azure operations read_facts needs (beyond the get by id)


def split_id(resource_id: str) -> tuple[str, str]:
    """(subscription id, resource group name) of a resource id."""
    parts = resource_id.strip("/").split("/")
    if len(parts) < 4 or parts[0].lower() != "subscriptions" or parts[2].lower() != "resourcegroups":
        raise ValueError(f"not a resource id in a resource group: {resource_id}")
    return parts[1], parts[3]
