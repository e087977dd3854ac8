"""Who an assignment reaches: the principal itself, or a group's members, transitively. Pure.

"Role assignments are transitive for groups which means that if a user is a member of a group and that group
is a member of another group that has a role assignment, the user will have the permissions in the role
assignment" (Microsoft Learn, What is Azure RBAC?). Membership is walked breadth first, so each member is
reached by its shortest chain of groups, and a loop in the directory is walked once.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from connectors.azure.model import Directory, PrincipalType
from reviews.entitlements import PathStep
from reviews.errors import IncompleteSnapshot

GROUP_STEP = "group"


@dataclass(frozen=True, slots=True)
class Holder:
    """A principal an assignment reaches, and the groups it goes through (outermost last)."""

    principal_id: str
    principal_type: PrincipalType
    groups: tuple[str, ...]


class Members:
    """Expansion of assignments' subjects through the directory; each group is expanded once."""

    def __init__(self, directory: Directory) -> None:
        self._groups = {group_id.lower(): group for group_id, group in directory.groups.items()}
        self._types = {object_id.lower(): kind for object_id, kind in directory.principal_types.items()}
        self._expanded: dict[str, tuple[Holder, ...]] = {}
        self._memberships: dict[str, frozenset[str]] | None = None
        self._steps: dict[tuple[str, ...], tuple[PathStep, ...]] = {}

    def is_group(self, object_id: str) -> bool:
        return object_id.lower() in self._groups

    def type_of(self, object_id: str) -> PrincipalType:
        """The type of a non-group object; a grant to an object the mirror does not know fails the read."""
        if self.is_group(object_id):
            return PrincipalType.GROUP
        found = self._types.get(object_id.lower())
        if found is None:
            raise IncompleteSnapshot(f"Azure: object {object_id} holds access but is not in the Entra mirror")
        return found

    def holders(self, object_id: str, declared: PrincipalType | None = None) -> tuple[Holder, ...]:
        """Whom a grant to `object_id` reaches. A foreign group (another tenant's) cannot be expanded: it is
        its own holder. A group the mirror does not have fails the read rather than reach no one."""
        kind = declared or self.type_of(object_id)
        if kind is PrincipalType.FOREIGN_GROUP:
            return (Holder(object_id, kind, ()),)
        if kind is not PrincipalType.GROUP:
            return (Holder(object_id, kind, ()),)
        if not self.is_group(object_id):
            raise IncompleteSnapshot(f"Azure: group {object_id} holds access but is not in the Entra mirror")
        return self._expand(object_id)

    def _expand(self, group_id: str) -> tuple[Holder, ...]:
        key = group_id.lower()
        if key in self._expanded:
            return self._expanded[key]
        seen = {key}
        reached: dict[str, Holder] = {}
        queue: deque[tuple[str, tuple[str, ...]]] = deque([(key, (self._groups[key].id,))])
        while queue:
            current, chain = queue.popleft()
            for member in self._groups[current].member_ids:
                lowered = member.lower()
                if lowered in self._groups:
                    if lowered not in seen:
                        seen.add(lowered)
                        queue.append((lowered, (self._groups[lowered].id, *chain)))
                elif lowered not in reached:
                    reached[lowered] = Holder(member, self.type_of(member), chain)
        holders = tuple(sorted(reached.values(), key=lambda holder: holder.principal_id.lower()))
        self._expanded[key] = holders
        return holders

    def memberships(self, object_id: str) -> frozenset[str]:
        """Every group the object is in, directly or through other groups (lowercased ids)."""
        if self._memberships is None:
            self._memberships = self._index_memberships()
        return self._memberships.get(object_id.lower(), frozenset())

    def _index_memberships(self) -> dict[str, frozenset[str]]:
        direct: dict[str, set[str]] = {}
        for group_key, group in self._groups.items():
            for member in group.member_ids:
                direct.setdefault(member.lower(), set()).add(group_key)
        closed: dict[str, frozenset[str]] = {}
        for member in direct:
            seen: set[str] = set()
            stack = list(direct[member])
            while stack:
                group_key = stack.pop()
                if group_key not in seen:
                    seen.add(group_key)
                    stack.extend(direct.get(group_key, ()))
            closed[member] = frozenset(seen)
        return closed

    def group_steps(self, groups: tuple[str, ...]) -> tuple[PathStep, ...]:
        found = self._steps.get(groups)
        if found is None:
            found = tuple(PathStep(GROUP_STEP, g, self._groups[g.lower()].name) for g in groups)
            self._steps[groups] = found
        return found
