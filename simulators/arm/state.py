"""The directory's and subscriptions' state: plain dicts in (almost) wire shape behind one lock.

Tests mutate it directly or through the builders (here and in stores.py); the routes read it. Keys are
lower-cased ids, as ARM compares ids without regard to case; the stored wire keeps the casing given.
"""

from __future__ import annotations

import threading
from typing import Any

from simulators.arm import scopes
from simulators.arm.grants import GrantBuilders
from simulators.arm.roles import builtin_roles
from simulators.arm.stores import StoreBuilders


class ArmState(StoreBuilders, GrantBuilders):
    """Management groups, subscriptions, resources, role definitions, role and deny assignments."""

    def __init__(self, *, tenant_id: str = "72f988bf-0000-4000-8000-000000000001") -> None:
        self.lock = threading.RLock()
        self.tenant_id = tenant_id
        self.caller_id = "11111111-0000-4000-8000-00000000ca11"  # the object id of the bot's principal
        self.allowed_actions: frozenset[str] | None = None  # the caller's own permissions (permissions.py)
        self.page_size = 100  # items per page of every list; small values force nextLink paging
        self.management_groups: dict[str, str | None] = {}  # name -> parent name (None: under the root)
        self.subscriptions: dict[str, dict[str, Any]] = {}  # subscription id -> wire
        self.subscription_groups: dict[str, str] = {}  # subscription id (lower) -> management group
        self.resource_groups: dict[str, dict[str, Any]] = {}  # lower id -> wire
        self.resources: dict[str, dict[str, Any]] = {}  # lower id -> wire (children too)
        self.role_definitions: dict[str, dict[str, Any]] = {
            guid.lower(): role for guid, role in builtin_roles().items()
        }
        self.role_assignments: dict[str, dict[str, Any]] = {}  # lower name -> wire
        self.deny_assignments: dict[str, dict[str, Any]] = {}  # lower name -> wire
        self.eligible_assignments: dict[str, dict[str, Any]] = {}  # PIM instances: lower name -> wire

    # ---- hierarchy --------------------------------------------------------------------------------
    def add_management_group(self, name: str, parent: str | None = None) -> str:
        with self.lock:
            if parent is not None and parent not in self.management_groups:
                raise KeyError(f"no management group {parent}")
            self.management_groups[name] = parent
            return f"/providers/Microsoft.Management/managementGroups/{name}"

    def mg_chain(self, name: str) -> list[str]:
        """The group and every group above it, loop-safe."""
        chain: list[str] = []
        current: str | None = name
        while current is not None and current not in chain:
            chain.append(current)
            current = self.management_groups.get(current)
        return chain

    def subscription_parent(self, subscription_id: str) -> str | None:
        return self.subscription_groups.get(subscription_id.lower())

    def lineage(self, scope: str) -> set[str]:
        return scopes.lineage(scope, self.mg_chain, self.subscription_parent)

    def is_at_or_above(self, candidate: str, scope: str) -> bool:
        return scopes.normalize(candidate).lower() in self.lineage(scope)

    def add_subscription(
        self, subscription_id: str, display_name: str, *, management_group: str | None = None
    ) -> str:
        with self.lock:
            if management_group is not None:
                if management_group not in self.management_groups:
                    raise KeyError(f"no management group {management_group}")
                self.subscription_groups[subscription_id.lower()] = management_group
            self.subscriptions[subscription_id] = {
                "id": f"/subscriptions/{subscription_id}",
                "subscriptionId": subscription_id,
                "tenantId": self.tenant_id,
                "displayName": display_name,
                "state": "Enabled",
                "subscriptionPolicies": {
                    "locationPlacementId": "Public_2014-09-01",
                    "quotaId": "PayAsYouGo_2014-09-01",
                    "spendingLimit": "Off",
                },
                "authorizationSource": "RoleBased",
                "managedByTenants": [],
                "tags": {},
            }
            return f"/subscriptions/{subscription_id}"

    def add_resource_group(
        self,
        subscription_id: str,
        name: str,
        *,
        location: str = "westeurope",
        tags: dict[str, str] | None = None,
    ) -> str:
        with self.lock:
            if subscription_id not in self.subscriptions:
                raise KeyError(f"no subscription {subscription_id}")
            rid = f"/subscriptions/{subscription_id}/resourceGroups/{name}"
            self.resource_groups.setdefault(
                rid.lower(),
                {
                    "id": rid,
                    "name": name,
                    "type": "Microsoft.Resources/resourceGroups",
                    "location": location,
                    "tags": dict(tags or {}),
                    "properties": {"provisioningState": "Succeeded"},
                },
            )
            return rid

    def add_resource(
        self,
        resource_id: str,
        *,
        location: str | None = "westeurope",
        tags: dict[str, str] | None = None,
        properties: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Any resource or child resource by its full id; its type comes from the id, its resource group is
        created when missing; `extra` adds top-level fields (kind, sku…)."""
        with self.lock:
            parts = scopes.normalize(resource_id).split("/")
            lowered = [p.lower() for p in parts]
            if len(parts) < 9 or lowered[1] != "subscriptions" or lowered[3] != "resourcegroups":
                raise ValueError(f"not a resource id: {resource_id}")
            self.add_resource_group(parts[2], parts[4])
            wire: dict[str, Any] = {
                "id": scopes.normalize(resource_id),
                "name": parts[-1],
                "type": scopes.resource_action(resource_id, "").rstrip("/"),
            }
            if location is not None:
                wire["location"] = location
            if tags is not None:
                wire["tags"] = dict(tags)
            wire.update(extra)
            wire["properties"] = dict(properties or {})
            self.resources[wire["id"].lower()] = wire
            return wire
