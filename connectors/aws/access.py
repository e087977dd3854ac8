"""From an inventory to effective grants: direct access, access through roles (transitively, shortest path
first), and IAM Identity Center users through their groups, permission sets and provisioned roles. Pure.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from connectors.aws.catalog import ActionCatalog
from connectors.aws.evaluate import Access, Evaluator, Held
from connectors.aws.inventory import AwsInventory, IamRole, IdentityCenter
from connectors.aws.trust import TrustGraph, trust_graph
from reviews.entitlements import AccessLevel, Grant, PathStep


@dataclass(frozen=True, slots=True)
class Evaluation:
    grants: tuple[Grant, ...]
    trusted: dict[str, tuple[PathStep, ...]]  # role ARN -> services / federations that can assume it
    notes: tuple[str, ...]


def effective_access(inventory: AwsInventory, catalog: ActionCatalog | None = None) -> Evaluation:
    evaluator = Evaluator(inventory, catalog)
    roles = [role for account in inventory.accounts for role in account.roles]
    graph = trust_graph(evaluator, roles)
    direct = {arn: evaluator.direct_access(actor) for arn, actor in evaluator.actors.items()}
    steps = {role.arn: PathStep("role", role.arn, role.name) for role in roles}
    total = {arn: _through_roles(arn, direct, graph, steps) for arn in evaluator.actors}
    notes: list[str] = []
    by_principal: dict[str, Access] = dict(total)
    if inventory.identity_center is not None:
        by_principal.update(_identity_center(inventory.identity_center, roles, total, notes))
    grants = tuple(
        Grant(
            store_id=evaluator.stores[store].arn,
            principal_id=principal,
            access=level,
            path=held.path,
            conditional=held.conditional,
            needs_human_review=held.needs_review,
        )
        for principal, access in by_principal.items()
        for (store, level), held in sorted(access.items())
    )
    return Evaluation(grants, graph.trusted, tuple(notes))


def _keep_better(access: Access, key: tuple[int, AccessLevel], candidate: Held) -> None:
    current = access.get(key)
    if current is None or candidate.better_than(current):
        access[key] = candidate


def _through_roles(
    start: str, direct: dict[str, Access], graph: TrustGraph, steps: dict[str, PathStep]
) -> Access:
    """Breadth first, so the first way a role is reached is the shortest; loops in trust end at `seen`."""
    access: Access = dict(direct[start])
    seen = {start}
    queue: deque[tuple[str, tuple[PathStep, ...], bool, bool]] = deque([(start, (), False, False)])
    while queue:
        arn, prefix, conditional, review = queue.popleft()
        for edge in graph.edges.get(arn, ()):
            if edge.role_arn in seen:
                continue
            seen.add(edge.role_arn)
            path = (*prefix, steps[edge.role_arn])
            cond, rev = conditional or edge.conditional, review or edge.needs_review
            for key, held in direct.get(edge.role_arn, {}).items():
                candidate = Held((*path, *held.path), held.conditional or cond, held.needs_review or rev)
                _keep_better(access, key, candidate)
            queue.append((edge.role_arn, path, cond, rev))
    return access


def _identity_center(
    center: IdentityCenter, roles: list[IamRole], total: dict[str, Access], notes: list[str]
) -> dict[str, Access]:
    """An assignment provisions `AWSReservedSSO_<permission set>_<suffix>` in the account; its users (and
    its groups' members) get that role's access, path user → group → permission set → role → policy."""
    permission_sets = {ps.arn: ps for ps in center.permission_sets}
    groups = {g.group_id: g for g in center.groups}
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
        for user_id, prefix in members:
            for key, held in total.get(role.arn, {}).items():
                candidate = Held((*prefix, *held.path), held.conditional, held.needs_review)
                _keep_better(access.setdefault(user_id, {}), key, candidate)
    return access


def _provisioned_role(roles: list[IamRole], account_id: str, permission_set: str) -> IamRole | None:
    prefix = f"AWSReservedSSO_{permission_set}_"
    for role in roles:
        if role.arn.split(":")[4] == account_id and role.name.startswith(prefix):
            return role
    return None
