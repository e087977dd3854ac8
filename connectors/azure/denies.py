"""Deny assignments: which of them reach a store, and whether they block an operation for a principal. Pure.

"Deny assignments block users from performing specified actions even if a role assignment grants them
access. Deny assignments take precedence over role assignments" (Microsoft Learn, What is Azure RBAC?). A deny
assignment applies at its scope and below, unless `DoNotApplyToChildScopes`; to its principals (the zero GUID
is "All Principals") and, as group membership is in the caller's token, to their groups' members; never to
its excluded principals. A deny assignment below the store (on one container) is not applied: it blocks only
part of the store, so the grant is kept (over-reporting is the safe side).
"""

from __future__ import annotations

from enum import Enum

from connectors.azure.actions import Plane, covers
from connectors.azure.directory import Members
from connectors.azure.model import EVERYONE, DenyAssignment
from connectors.azure.scopes import StoreScopes, normalize


class Verdict(Enum):
    ALLOWED = 0  # no deny assignment blocks it
    MAYBE = 1  # only a deny assignment with a condition blocks it: the grant is conditional
    BLOCKED = 2


class Denies:
    def __init__(self, denies: tuple[DenyAssignment, ...], members: Members) -> None:
        self._members = members
        self._by_scope: dict[str, list[DenyAssignment]] = {}
        for deny in denies:
            self._by_scope.setdefault(normalize(deny.scope), []).append(deny)

    def at(self, scopes: StoreScopes) -> tuple[DenyAssignment, ...]:
        """The deny assignments that reach the store: at it, or above it and inherited."""
        found = list(self._by_scope.get(scopes.store, ()))
        for scope in scopes.above:
            found.extend(
                deny for deny in self._by_scope.get(scope, ()) if not deny.does_not_apply_to_child_scopes
            )
        return tuple(found)

    def _applies(self, deny: DenyAssignment, principal_id: str) -> bool:
        subjects = {principal_id.lower()} | self._members.memberships(principal_id)
        if subjects & {excluded.lower() for excluded in deny.exclude_principals}:
            return False
        targets = {target.lower() for target in deny.principals}
        return EVERYONE in targets or bool(subjects & targets)

    def verdict(
        self, denies: tuple[DenyAssignment, ...], principal_id: str, operations: tuple[str, ...], plane: Plane
    ) -> Verdict:
        """The best any of `operations` fares: one left open is enough for the access it stands for."""
        if not denies:
            return Verdict.ALLOWED
        applying = [deny for deny in denies if self._applies(deny, principal_id)]
        best = Verdict.BLOCKED
        for operation in operations:
            blocking = [deny for deny in applying if covers(deny.permissions, operation, plane)]
            if not blocking:
                return Verdict.ALLOWED
            if all(deny.condition is not None for deny in blocking):
                best = Verdict.MAYBE
        return best
