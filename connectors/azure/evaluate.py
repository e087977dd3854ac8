"""Effective access to every Azure personal-data store. Pure: data in, grants out; no SDK, no I/O.

Azure Resource Manager's own evaluation ("How Azure RBAC determines if a user has access to a resource",
Microsoft Learn), per store, principal and route to the data (levels.py):
  1. the role assignments at the store or above it (and below it, counting as the store), to the principal
     or to a group it is in, transitively (directory.py);
  2. whether the assignment's role covers an operation of the route: the union over its permission blocks of
     (Actions - NotActions), and apart from it (DataActions - NotDataActions) (actions.py);
  3. unless a deny assignment blocks every such operation for that principal (denies.py);
  4. an ABAC condition on the assignment leaves the grant `conditional`.
A PIM-eligible assignment (inventory.eligible_assignments) counts as the role it would activate: the holder
can activate it at will, so it is access to review; its path step is `eligible_assignment`, and a grant held
actively as well is reported by its active path (grants.Best).
The stores' own data planes (Cosmos DB data roles, Key Vault access policies, SQL's Entra admin) are added by
dataplanes.py. Of several ways to one level, the unconditional and then the shortest path is kept.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from connectors.azure import dataplanes
from connectors.azure.actions import covers
from connectors.azure.denies import Denies, Verdict
from connectors.azure.directory import Holder, Members
from connectors.azure.grants import AzureGrant, Best, Candidate, Grantor, GrantorKind
from connectors.azure.levels import Route, routes
from connectors.azure.model import AzureInventory, AzureStore, RoleAssignment, RoleDefinition
from connectors.azure.scopes import (
    MANAGEMENT_GROUP_PREFIX,
    Relation,
    StoreScopes,
    label,
    normalize,
    store_scopes,
)
from reviews.entitlements import PathStep
from reviews.errors import IncompleteSnapshot

ROUTE_STEP = "route"
_Reach = tuple[Holder, Grantor, tuple[PathStep, ...]]


def effective_access(inventory: AzureInventory) -> tuple[AzureGrant, ...]:
    """Every (store, principal, level) held, each by its best path, in a stable order."""
    return tuple(_Evaluator(inventory).grants())


class _Evaluator:
    def __init__(self, inventory: AzureInventory) -> None:
        self._inventory = inventory
        self._members = Members(inventory.directory)
        self._denies = Denies(inventory.deny_assignments, self._members)
        roles = {_guid(role.id): role for role in inventory.role_definitions}
        self._covered: dict[tuple[int, int], tuple[str, ...]] = {}
        self._reached: dict[tuple[str, Relation, str], tuple[_Reach, ...]] = {}
        self._role_of: dict[str, RoleDefinition] = {}
        self._at: dict[str, list[RoleAssignment]] = {}
        for assignment in (*inventory.role_assignments, *inventory.eligible_assignments):
            self._role_of[assignment.id] = _role(roles, assignment)
            self._at.setdefault(normalize(assignment.scope), []).append(assignment)
        self._scopes = sorted(self._at)  # for the assignments below a store: a range of this order
        self._check_management_groups()

    def _check_management_groups(self) -> None:
        """An assignment at a management group reaches a store only through its subscription's chain: a
        store whose subscription's chain is unknown would silently miss it."""
        held = (*self._inventory.role_assignments, *self._inventory.eligible_assignments)
        scoped = [a.scope for a in held] + [d.scope for d in self._inventory.deny_assignments]
        if not any(normalize(scope).startswith(MANAGEMENT_GROUP_PREFIX) for scope in scoped):
            return
        for store in self._inventory.stores:
            if store.subscription not in self._inventory.management_groups:
                raise IncompleteSnapshot(
                    f"Azure: subscription {store.subscription} of {store.name} has no management-group "
                    "chain, but assignments are made at management groups"
                )

    def grants(self) -> Iterator[AzureGrant]:
        for store in sorted(self._inventory.stores, key=lambda s: normalize(s.resource_id)):
            best = Best(store.resource_id)
            for candidate in self._rbac(store):
                best.offer(candidate)
            for candidate in dataplanes.candidates(store, self._members):
                best.offer(candidate)
            yield from best.grants()

    def _assignments(self, scopes: StoreScopes) -> Iterator[tuple[RoleAssignment, Relation]]:
        for scope, relation in ((scopes.store, Relation.STORE), *scopes.above.items()):
            for assignment in self._at.get(scope, ()):
                yield assignment, relation
        below = scopes.store + "/"
        for scope in self._scopes[bisect_left(self._scopes, below) :]:
            if not scope.startswith(below):
                break
            for assignment in self._at[scope]:
                yield assignment, Relation.BELOW

    def _rbac(self, store: AzureStore) -> Iterator[Candidate]:
        scopes = store_scopes(store, self._inventory.management_groups.get(store.subscription, ()))
        denies = self._denies.at(scopes)
        store_routes = routes(store)
        for assignment, relation in self._assignments(scopes):
            role = self._role_of[assignment.id]
            granted = [(route, ops) for route in store_routes if (ops := self._operations(role, route))]
            if not granted:
                continue
            for holder, grantor, prefix in self._reach(assignment, role, relation, scopes.store):
                for route, operations in granted:
                    verdict = self._denies.verdict(denies, holder.principal_id, operations, route.plane)
                    if verdict is Verdict.BLOCKED:
                        continue
                    conditional = assignment.condition is not None or verdict is Verdict.MAYBE
                    path = (*prefix, _route_step(store, route)) if route.label else prefix
                    yield Candidate(holder, route.levels, path, conditional, grantor)

    def _reach(
        self, assignment: RoleAssignment, role: RoleDefinition, relation: Relation, store: str
    ) -> tuple[_Reach, ...]:
        """Whom the assignment reaches and by which path: the same for every store it is inherited by, so
        worked out once per relation (an assignment below a store is below that store only)."""
        key = (assignment.id, relation, store if relation is Relation.BELOW else "")
        found = self._reached.get(key)
        if found is None:
            step = _assignment_step(assignment, role, relation, store)
            found = tuple(
                (
                    holder,
                    Grantor(_kind(assignment), assignment.id, assignment.scope, relation, holder.groups),
                    (*self._members.group_steps(holder.groups), step),
                )
                for holder in self._members.holders(assignment.principal_id, assignment.principal_type)
            )
            self._reached[key] = found
        return found

    def _operations(self, role: RoleDefinition, route: Route) -> tuple[str, ...]:
        """The route's operations the role covers (memoized: a few roles are assigned thousands of times)."""
        key = (id(role), id(route))  # both live as long as the evaluator
        found = self._covered.get(key)
        if found is None:
            found = tuple(op for op in route.operations if covers(role.permissions, op, route.plane))
            self._covered[key] = found
        return found


def _role(roles: dict[str, RoleDefinition], assignment: RoleAssignment) -> RoleDefinition:
    role = roles.get(_guid(assignment.role_definition_id))
    if role is None:
        raise IncompleteSnapshot(
            f"Azure: role assignment {assignment.id} names role definition {assignment.role_definition_id}, "
            "which was not read"
        )
    return role


def _guid(identifier: str) -> str:
    return identifier.rstrip("/").rsplit("/", 1)[-1].lower()


def _assignment_step(
    assignment: RoleAssignment, role: RoleDefinition, relation: Relation, store: str
) -> PathStep:
    if relation is Relation.BELOW:
        where = f"on {assignment.scope.rstrip('/')[len(store) + 1 :]} (part of the store)"
    elif relation is Relation.STORE:
        where = "on the store"
    else:
        where = f"at {label(assignment.scope)}"
    condition = " (with a condition)" if assignment.condition is not None else ""
    eligible = " (PIM-eligible)" if assignment.eligible else ""
    return PathStep(_kind(assignment), assignment.id, f"{role.name} {where}{condition}{eligible}")


def _kind(assignment: RoleAssignment) -> GrantorKind:
    return GrantorKind.ELIGIBLE_ASSIGNMENT if assignment.eligible else GrantorKind.ROLE_ASSIGNMENT


def _route_step(store: AzureStore, route: Route) -> PathStep:
    return PathStep(ROUTE_STEP, f"{store.resource_id}#{route.key}", route.label)
