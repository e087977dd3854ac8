"""Who a group reaches through nesting: shared by membership (access.py) and PIM eligibility
(eligibility.py), which must agree on it. Pure."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from connectors.entra.inventory import EntraInventory
from reviews.entitlements import PathStep

PRINCIPAL_KINDS = {"user", "servicePrincipal"}


def principals_through(
    inventory: EntraInventory, group_id: str, path: tuple[PathStep, ...]
) -> Iterator[tuple[str, tuple[PathStep, ...]]]:
    """Every principal that is a member of `group_id` at any depth, once, with `path` (which ends at that
    group) extended by the nested groups it came through. Breadth first, so the path is a shortest one; a
    loop in nesting ends at the groups already seen."""
    directory = inventory.directory
    seen_groups, seen_principals = {group_id}, set()
    queue: deque[tuple[str, tuple[PathStep, ...]]] = deque([(group_id, path)])
    while queue:
        current, path_here = queue.popleft()
        for member in sorted(directory.members.get(current, ())):
            kind = directory.kind(member)
            if kind in PRINCIPAL_KINDS and member not in seen_principals and exists(inventory, member):
                seen_principals.add(member)
                yield member, path_here
            elif kind == "group" and member not in seen_groups and member in directory.groups:
                seen_groups.add(member)
                name = directory.groups[member]["displayName"]
                queue.append((member, (*path_here, PathStep("group", member, name))))


def exists(inventory: EntraInventory, object_id: str) -> bool:
    """A principal we can describe: a user in the mirror or a service principal we read."""
    return object_id in inventory.directory.users or object_id in inventory.service_principals
