"""From an inventory to effective grants: direct access, access through roles (transitively; of several
ways the best is kept: unconditional first, then the shortest path), and IAM Identity Center users through
their groups, permission sets and provisioned roles. Pure.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from connectors.aws.catalog import ActionCatalog
from connectors.aws.evaluate import Access, Evaluator, Held, held
from connectors.aws.exposure import Outsider, outsiders
from connectors.aws.inventory import AwsInventory, IamRole, IdentityCenter
from connectors.aws.trust import Edge, TrustGraph, trust_graph
from reviews.entitlements import AccessLevel, Grant, PathStep


@dataclass(frozen=True, slots=True)
class Evaluation:
    grants: tuple[Grant, ...]
    trusted: dict[str, tuple[PathStep, ...]]  # role ARN -> services / federations that can assume it
    notes: tuple[str, ...]
    outsiders: tuple[Outsider, ...] = ()  # anyone, unread accounts and services that some store names


def effective_access(inventory: AwsInventory, catalog: ActionCatalog | None = None) -> Evaluation:
    with _collector_paused():
        return _effective_access(inventory, catalog)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the evaluation runs. It builds millions of small objects
    that live until it returns (memos, decisions, grants) and makes next to no reference cycles: each full
    collection traversed all of them again for nothing, about a third of the time of a 5,000-principal
    account (bench/aws_access.py: 34 s with it, 25 s without; the same peak memory). Reference counting
    still frees everything; cycles wait for the collector, which is back when this returns."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _effective_access(inventory: AwsInventory, catalog: ActionCatalog | None) -> Evaluation:
    evaluator = Evaluator(inventory, catalog)
    roles = [role for account in inventory.accounts for role in account.roles]
    graph = trust_graph(evaluator, roles)
    direct = {arn: evaluator.direct_access(actor) for arn, actor in evaluator.actors.items()}
    reach = _RoleReach(direct, graph, {role.arn: PathStep("role", role.arn, role.name) for role in roles})
    total = {arn: reach.total(arn) for arn in evaluator.actors}
    notes: list[str] = []
    by_principal: dict[str, Access] = dict(total)
    if inventory.identity_center is not None:
        by_principal.update(
            _identity_center(inventory.identity_center, roles, total, notes, evaluator, reach)
        )
    found, outside = outsiders(evaluator)
    by_principal.update(outside)
    grants = tuple(
        Grant(
            store_provider_id=evaluator.stores[store].arn,
            principal_provider_id=principal,
            access=level,
            path=way.path,
            conditional=way.conditional,
            needs_human_review=way.needs_review,
        )
        for principal, access in by_principal.items()
        for (store, level), way in sorted(access.items())
    )
    return Evaluation(grants, graph.trusted, tuple(notes), found)


def _keep_better(access: Access, key: tuple[int, AccessLevel], candidate: Held) -> None:
    current = access.get(key)
    if current is None or candidate.rank < current.rank:
        access[key] = candidate


def _merge_into(access: Access, other: Access) -> None:
    for key, way in other.items():
        current = access.get(key)
        if current is None or way.rank < current.rank:
            access[key] = way


class _RoleReach:
    """Access through roles, transitively. Each role's total is computed once, and so is the merge of each
    distinct set of assumable roles: in a real account thousands of principals share the same few sets (all
    who may assume any role the account trusts), so merging per principal would repeat the same work."""

    def __init__(self, direct: dict[str, Access], graph: TrustGraph, steps: dict[str, PathStep]) -> None:
        self._direct, self._graph, self._steps = direct, graph, steps
        self._totals: dict[str, Access] = {}
        self._via: dict[frozenset[Edge], Access] = {}
        self._in_progress: set[str] = set()
        self._cut = False  # a loop was cut while merging: that merge is not reusable elsewhere

    def total(self, arn: str) -> Access:
        if arn in self._totals:
            return self._totals[arn]
        if arn in self._in_progress:  # a loop in trust: what lies further along it is already counted
            self._cut = True
            return self._direct.get(arn, {})
        self._in_progress.add(arn)
        access = self.total_with(arn, self._direct.get(arn, {}))
        self._in_progress.discard(arn)
        self._totals[arn] = access
        return access

    def total_with(self, arn: str, direct: Access) -> Access:
        """`arn`'s access with `direct` as its own (a role used in a known session), plus the roles it
        can assume."""
        edges = self._graph.edges.get(arn, ())
        # Edges from account-wide trust are shared by many principals (one cached merge); the few edges
        # that name this principal are merged on their own.
        shared = self._through(frozenset(e for e in edges if e.delegated))
        own = [self._through(frozenset({e})) for e in edges if not e.delegated]
        if not direct and not own:
            return shared  # nothing to add: share the merge, do not copy it
        access = dict(direct)
        for part in (shared, *own):
            _merge_into(access, part)
        return access

    def _through(self, edges: frozenset[Edge]) -> Access:
        if not edges:
            return {}
        if edges in self._via:
            return self._via[edges]
        outer_cut, self._cut = self._cut, False
        merged: Access = {}
        for edge in sorted(edges, key=lambda e: e.role_arn):
            step = self._steps[edge.role_arn]
            for key, way in self.total(edge.role_arn).items():
                if step in way.path:
                    continue  # the role's own loop back through itself
                candidate = held(
                    (step, *way.path),
                    way.conditional or edge.conditional,
                    way.needs_review or edge.needs_review,
                )
                _keep_better(merged, key, candidate)
        if not self._cut:
            self._via[edges] = merged
        self._cut = self._cut or outer_cut
        return merged


def _identity_center(
    center: IdentityCenter,
    roles: list[IamRole],
    total: dict[str, Access],
    notes: list[str],
    evaluator: Evaluator,
    reach: _RoleReach,
) -> dict[str, Access]:
    """An assignment provisions `AWSReservedSSO_<permission set>_<suffix>` in the account; its users (and
    its groups' members) get that role's access, path user → group → permission set → role → policy.

    A user signs in to that role as a session named by their user name, so a resource policy naming
    `assumed-role/AWSReservedSSO_…/<user name>` grants that user exactly (not the role conditionally)."""
    permission_sets = {ps.arn: ps for ps in center.permission_sets}
    groups = {g.group_id: g for g in center.groups}
    names = {user.user_id: user.user_name for user in center.users}
    access: dict[str, Access] = {user.user_id: {} for user in center.users}
    for assignment in center.assignments:
        permission_set = permission_sets[assignment.permission_set_arn]
        role = _provisioned_role(roles, assignment.account_id, permission_set.name)
        if role is None:
            notes.append(
                f"permission set {permission_set.name} is assigned in {assignment.account_id} but its role "
                "is not provisioned there: it grants nothing until it is"
            )
            continue
        via = (
            PathStep("permission_set", permission_set.arn, permission_set.name),
            PathStep("role", role.arn, role.name),
        )
        members: list[tuple[str, tuple[PathStep, ...]]]
        if assignment.principal_type == "GROUP":
            group = groups[assignment.principal_id]
            members = [
                (uid, (PathStep("group", group.group_id, group.name), *via)) for uid in group.member_user_ids
            ]
        else:
            members = [(assignment.principal_id, via)]
        sessions = evaluator.sessions_named(role.arn)
        for user_id, prefix in members:
            own = total.get(role.arn, {})
            if sessions and user_id in names:  # some statement names sessions of this role: theirs is known
                in_session = evaluator.direct_access(evaluator.actors[role.arn], names[user_id])
                own = reach.total_with(role.arn, in_session)
            for key, way in own.items():
                candidate = held((*prefix, *way.path), way.conditional, way.needs_review)
                _keep_better(access.setdefault(user_id, {}), key, candidate)
    return access


def _provisioned_role(roles: list[IamRole], account_id: str, permission_set: str) -> IamRole | None:
    prefix = f"AWSReservedSSO_{permission_set}_"
    for role in roles:
        if role.arn.split(":")[4] == account_id and role.name.startswith(prefix):
            return role
    return None
