"""Who can assume which role (DESIGN §4): a trust policy naming the principal itself; or naming its account
(or everyone) when the principal's own policies allow `sts:AssumeRole` on the role; across accounts both
sides must agree. Service and federated principals in a trust policy are reported, not expanded.

IAM User Guide, policy evaluation: "IAM role trust policies and KMS key policies are exceptions to this logic,
because they must explicitly allow access for principals": within the account, naming the principal lets it
assume the role by itself (a role caller still within its permissions boundary); naming the account leaves
it to the caller's own policies. The caller's SCPs and the role account's RCPs (STS supports RCPs) must
allow the call too; a Deny naming the caller, its account or everyone wins; conditions are decided against
what is known of the caller (context.py), the rest making the way conditional.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.aws.evaluate import Actor, Evaluator
from connectors.aws.inventory import IamRole
from connectors.aws.matching import action_matches
from connectors.aws.policy import Effect, Statement, parse_policy
from connectors.aws.principals import Named, RefSet, parse
from connectors.aws.single import guards_allow
from reviews.entitlements import PathStep

ASSUME = "sts:AssumeRole"


@dataclass(frozen=True, slots=True)
class Edge:
    role_arn: str
    conditional: bool
    needs_review: bool
    delegated: bool = False  # trust names an account or everyone: many principals share such edges


@dataclass(frozen=True, slots=True)
class TrustGraph:
    edges: dict[str, list[Edge]]  # actor ARN -> roles it can assume directly
    trusted: dict[str, tuple[PathStep, ...]]  # role ARN -> the services and federations that can assume it


def trust_graph(evaluator: Evaluator, roles: list[IamRole]) -> TrustGraph:
    edges: dict[str, list[Edge]] = {}
    trusted: dict[str, tuple[PathStep, ...]] = {}
    can_assume = [a for a in evaluator.actors.values() if _may_call_assume(a)]
    for role in roles:
        statements = [
            s for s in parse_policy(role.trust, resource_required=False).statements if _about_assume(s)
        ]
        trusted[role.arn] = tuple(
            PathStep(kind.lower(), name, name)
            for s in statements
            if s.effect is not Effect.DENY
            for kind, name in sorted(s.principals or ())
            if kind in ("Service", "Federated")
        )
        for actor_arn, edge in _edges_into(evaluator, role, statements, can_assume):
            edges.setdefault(actor_arn, []).append(edge)
    return TrustGraph(edges, trusted)


def _about_assume(statement: Statement) -> bool:
    return any(action_matches(p, ASSUME) for p in statement.actions) != statement.not_action


def _may_call_assume(actor: Actor) -> bool:
    return any(_about_assume(s) for _, _, parsed in actor.sources for s in parsed.statements)


def _edges_into(
    evaluator: Evaluator, role: IamRole, statements: list[Statement], can_assume: list[Actor]
) -> list[tuple[str, Edge]]:
    role_account = role.arn.split(":")[4]
    found: dict[str, Edge] = {}
    for statement in (s for s in statements if s.effect is not Effect.DENY):
        refs = RefSet(frozenset(parse(kind, value) for kind, value in statement.principals or ()))
        for actor in _named(evaluator, refs, can_assume):
            if actor.arn == role.arn:
                continue
            way = _way(evaluator, role, role_account, statement, refs, actor)
            if way is not None:
                found[actor.arn] = _better(found.get(actor.arn), way)
    return [
        (arn, edge)
        for arn, edge in found.items()
        if not _denied(evaluator, statements, evaluator.actors[arn])
    ]


def _named(evaluator: Evaluator, refs: RefSet, can_assume: list[Actor]) -> list[Actor]:
    """The actors a trust statement may let in: those it names, and, through an account or everyone, those
    whose own policies may call sts:AssumeRole."""
    found = [evaluator.actors[arn] for arn in refs.arns if arn in evaluator.actors]
    if refs.everyone:
        return found + can_assume
    return found + [a for a in can_assume if a.account_id in refs.accounts]


def _way(
    evaluator: Evaluator,
    role: IamRole,
    role_account: str,
    statement: Statement,
    refs: RefSet,
    actor: Actor,
) -> Edge | None:
    how = refs.naming(actor.requester).how
    if how is None:
        return None
    outcome, _ = evaluator.conditions.check(statement, actor.requester, {"aws:resourceaccount": role_account})
    if outcome is False:
        return None
    maybe = outcome is None or statement.problem is not None
    named_in_account = how in (Named.EXACTLY, Named.AS_ROLE) and actor.account_id == role_account
    if named_in_account:  # the trust policy alone lets it in: still within a role's boundary and the SCPs
        allowed, conditional = evaluator.allows(actor, ASSUME, role.arn, identity=False)
    else:
        allowed, conditional = evaluator.allows(actor, ASSUME, role.arn)
    if not allowed:
        return None
    rcps = evaluator.guards.levels("rcp", role_account)
    if rcps and not actor.service_linked:
        allowed, rcp_conditional = guards_allow(rcps, ASSUME, role.arn)
        if not allowed:
            return None
        conditional = conditional or rcp_conditional
    return Edge(role.arn, maybe or conditional, statement.problem is not None, delegated=not named_in_account)


def _denied(evaluator: Evaluator, statements: list[Statement], actor: Actor) -> bool:
    for statement in statements:
        if statement.effect is not Effect.DENY:
            continue
        refs = RefSet(frozenset(parse(kind, value) for kind, value in statement.principals or ()))
        if refs.naming(actor.requester).how is None:
            continue
        outcome, _ = evaluator.conditions.check(statement, actor.requester, {})
        if outcome is True and statement.problem is None:
            return True
    return False


def _better(current: Edge | None, candidate: Edge) -> Edge:
    if current is None or (candidate.conditional, candidate.needs_review) < (
        current.conditional,
        current.needs_review,
    ):
        return candidate
    return current
