"""Scopes and their hierarchy: management group(s) → subscription → resource group → resource → child.

"Azure RBAC: Understand scope": "You can specify a scope at four levels: management group, subscription,
resource group, or resource. Scopes are structured in a parent-child relationship." A child resource (a blob
container under its storage account) nests below its parent by path. A management group holds subscriptions
and other management groups; the root `/` is above everything. Comparisons ignore case, as ARM's ids do.
"""

from __future__ import annotations

from collections.abc import Callable

MG_PREFIX = "/providers/microsoft.management/managementgroups/"


def normalize(scope: str) -> str:
    """ "/" and "" are the root (""); otherwise a leading slash and no trailing one."""
    scope = "/" + scope.strip("/")
    return "" if scope == "/" else scope


def management_group(scope: str) -> str | None:
    """The management group's name, when the scope is one."""
    lowered = normalize(scope).lower()
    if lowered.startswith(MG_PREFIX) and "/" not in lowered[len(MG_PREFIX) :]:
        return normalize(scope)[len(MG_PREFIX) :]
    return None


def subscription_of(scope: str) -> str | None:
    parts = normalize(scope).split("/")
    if len(parts) >= 3 and parts[1].lower() == "subscriptions":
        return parts[2]
    return None


def lineage(
    scope: str, mg_chain: Callable[[str], list[str]], sub_parent: Callable[[str], str | None]
) -> set[str]:
    """Every scope at or above `scope`, lower-cased: the root, the management groups above (through
    `mg_chain(name)`, the group and its ancestors, and `sub_parent(subscription)`), then each path prefix."""
    scope = normalize(scope)
    found = {""}
    group = management_group(scope)
    if group is None:
        subscription = subscription_of(scope)
        group = sub_parent(subscription) if subscription else None
    if group is not None:
        found.update((MG_PREFIX + name).lower() for name in mg_chain(group))
    if management_group(scope) is None:
        parts = scope.split("/")
        found.update("/".join(parts[: n + 1]).lower() for n in range(1, len(parts)))
    return found


def resource_action(resource_id: str, verb: str = "read") -> str:
    """The operation a request on a resource id needs: "{namespace}/{type}[/{child type}…]/{verb}"."""
    parts = [p for p in normalize(resource_id).split("/") if p]
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        if len(parts) <= 2:
            return f"Microsoft.Resources/subscriptions/{verb}"
        return f"Microsoft.Resources/subscriptions/resourceGroups/{verb}"
    at = len(lowered) - 1 - lowered[::-1].index("providers")
    namespace, rest = parts[at + 1], parts[at + 2 :]
    return "/".join([namespace, *rest[0::2], verb])
