"""Who holds access to each personal-data group and app, with the path that grants it. Pure.

- Group members hold `read`, through any depth of nesting; breadth first, so the path reported is the
  shortest, and a loop in nesting ends at the groups already seen.
- An app role assigned to a user or service principal gives `read` to it; assigned to a group, it reaches
  that group's *direct* members only: Entra does not cascade app assignments into nested groups.
- Owners of groups and apps hold `admin`.
- An app that does not require assignment gives `read` to the whole tenant (tenant_wide.py).
- PIM for Groups eligibility gives what membership or ownership would, marked eligible (eligibility.py);
  an active path is preferred to an eligible one of the same length.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from connectors.entra.directory import Directory
from connectors.entra.eligibility import eligible_grants
from connectors.entra.inventory import App, AppRole, EntraInventory
from connectors.entra.nesting import PRINCIPAL_KINDS, exists, principals_through
from connectors.entra.tenant_wide import tenant_wide_grants
from reviews.entitlements import AccessLevel, Grant, PathStep

DEFAULT_ACCESS = "00000000-0000-0000-0000-000000000000"


def entra_grants(inventory: EntraInventory, *, member_access: AccessLevel = AccessLevel.READ) -> list[Grant]:
    grants: dict[tuple[str, str, AccessLevel], Grant] = {}
    for grant in (
        *_group_grants(inventory, member_access),
        *_app_grants(inventory, member_access),
        *tenant_wide_grants(inventory, member_access),
        *eligible_grants(inventory, member_access),
    ):
        current = grants.get(grant.key)
        if current is None or len(grant.path) < len(current.path):
            grants[grant.key] = grant
    return sorted(grants.values(), key=lambda g: (g.store_provider_id, g.principal_provider_id, g.access))


def _group_grants(inventory: EntraInventory, level: AccessLevel) -> Iterator[Grant]:
    directory = inventory.directory
    for group_id in inventory.groups:
        name = directory.groups[group_id]["displayName"]
        first = (PathStep("group", group_id, name),)
        for member, path in principals_through(inventory, group_id, first):
            yield Grant(group_id, member, level, path)
        for owner in inventory.group_owners.get(group_id, ()):
            # Not directory.kind(owner): a service principal that owns the group but is a member of no
            # group never appears in the group delta; the owners read found it and it was read as one.
            if exists(inventory, owner):
                yield Grant(group_id, owner, AccessLevel.ADMIN, (PathStep("owner", group_id, name),))


def closure_members(directory: Directory, group_ids: list[str]) -> set[str]:
    """Every object reachable as a member of these groups, through any nesting (loop-safe)."""
    seen_groups, found = set(group_ids), set()
    queue = deque(group_ids)
    while queue:
        for member in directory.members.get(queue.popleft(), ()):
            found.add(member)
            if directory.kind(member) == "group" and member not in seen_groups:
                seen_groups.add(member)
                queue.append(member)
    return found


def _app_grants(inventory: EntraInventory, level: AccessLevel) -> Iterator[Grant]:
    directory = inventory.directory
    for app in inventory.apps:
        roles = {role.id: role for role in app.roles}
        for assignment in sorted(app.assignments, key=lambda a: (a.principal_id, a.app_role_id)):
            step = _role_step(app, roles, assignment.app_role_id)
            if assignment.principal_type == "Group":
                group = directory.groups.get(assignment.principal_id)
                if group is None:
                    continue  # the group is gone; its assignment grants nobody
                group_step = PathStep("group", assignment.principal_id, group["displayName"])
                for member in sorted(directory.members.get(assignment.principal_id, ())):
                    if directory.kind(member) in PRINCIPAL_KINDS and exists(inventory, member):
                        yield Grant(app.id, member, level, (group_step, step))
            elif exists(inventory, assignment.principal_id):
                yield Grant(app.id, assignment.principal_id, level, (step,))
        for owner in app.owners:
            if exists(inventory, owner):
                yield Grant(app.id, owner, AccessLevel.ADMIN, (PathStep("owner", app.id, app.display_name),))


def _role_step(app: App, roles: dict[str, AppRole], role_id: str) -> PathStep:
    role = roles.get(role_id)
    if role_id == DEFAULT_ACCESS or role is None:
        return PathStep("app_role", role_id, f"{app.display_name}: default access")
    return PathStep("app_role", role_id, f"{app.display_name}: {role.value or role.display_name}")
