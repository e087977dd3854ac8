"""Where an assignment sits relative to a store. Pure.

Azure scopes form a tree: the root `/`, management groups (nested), subscriptions, resource groups,
resources, and parts of a resource (a blob container). An assignment reaches a store when its scope is the
store or above it ("Scopes are structured in a parent-child relationship", Microsoft Learn, What is Azure
RBAC?); one below the store (a container of the account, a Cosmos database) counts as the store, marked, as an
S3 prefix is on AWS. Scopes compare case-insensitively, trailing slashes ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from connectors.azure.model import AzureStore

ROOT = "/"
MANAGEMENT_GROUP_PREFIX = "/providers/microsoft.management/managementgroups/"


class Relation(StrEnum):
    """How an assignment's scope relates to the store: what revoking it later can and cannot do."""

    STORE = "store"  # at the store itself
    RESOURCE_GROUP = "resource_group"  # at its resource group
    INHERITED = "inherited"  # a parent resource, the subscription, a management group or the root
    BELOW = "below"  # part of the store (a container, a database of a Cosmos account)


def normalize(scope: str) -> str:
    if not scope.startswith("/"):
        raise ValueError(f"not an ARM scope: {scope!r}")
    trimmed = scope.rstrip("/").lower()
    return trimmed or ROOT


def management_group_scope(group_id: str) -> str:
    return normalize(f"{MANAGEMENT_GROUP_PREFIX}{group_id}")


@dataclass(frozen=True, slots=True)
class StoreScopes:
    """A store's scopes, from the root down to the store: (normalized scope, relation) pairs."""

    store: str
    above: dict[str, Relation]

    def relation(self, scope: str) -> Relation | None:
        """None when the scope is neither the store, above it, nor below it."""
        scope = normalize(scope)
        if scope == self.store:
            return Relation.STORE
        found = self.above.get(scope)
        if found is not None:
            return found
        if scope.startswith(self.store + "/"):
            return Relation.BELOW
        return None


def store_scopes(store: AzureStore, management_groups: tuple[str, ...]) -> StoreScopes:
    """The store's ancestry: its management groups (root first, as the inventory lists them), subscription,
    resource group and parent resources (a SQL database's server)."""
    resource = normalize(store.resource_id)
    subscription = normalize(f"/subscriptions/{store.subscription}")
    group = normalize(f"{subscription}/resourceGroups/{store.resource_group}")
    if not resource.startswith(group + "/providers/"):
        raise ValueError(f"{store.resource_id} is not in resource group {store.resource_group}")
    above: dict[str, Relation] = {ROOT: Relation.INHERITED}
    for management_group in management_groups:
        above[management_group_scope(management_group)] = Relation.INHERITED
    above[subscription] = Relation.INHERITED
    above[group] = Relation.RESOURCE_GROUP
    # Parent resources: /providers/<namespace>/<type>/<name>[/<type>/<name>…]; a parent ends on a name.
    segments = resource[len(group) + 1 :].split("/")  # providers, namespace, type, name, type, name…
    for end in range(4, len(segments), 2):
        above[group + "/" + "/".join(segments[:end])] = Relation.INHERITED
    return StoreScopes(resource, above)


def label(scope: str) -> str:
    """A short, readable name for a scope in a path ("subscription 1234…", "resource group hr")."""
    normalized = normalize(scope)
    if normalized == ROOT:
        return "the root scope"
    if normalized.startswith(MANAGEMENT_GROUP_PREFIX):
        return f"management group {scope.rstrip('/').rsplit('/', 1)[-1]}"
    parts = scope.rstrip("/").split("/")
    if len(parts) == 3:
        return f"subscription {parts[2]}"
    if len(parts) == 5:
        return f"resource group {parts[4]}"
    return scope.rstrip("/")
