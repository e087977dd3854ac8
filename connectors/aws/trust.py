"""Who can assume which role (DESIGN §4): a trust policy naming the principal itself; or naming its account
(or everyone) when the principal's own policies allow `sts:AssumeRole` on the role; across accounts both
sides must agree. Service and federated principals in a trust policy are reported, not expanded.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.aws.evaluate import Actor, Evaluator
from connectors.aws.inventory import IamRole
from connectors.aws.matching import action_matches
from connectors.aws.policy import Effect, Statement, parse_policy
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
        maybe = statement.conditional or statement.problem is not None
        for kind, name in statement.principals or ():
            if kind == "AWS" and name in evaluator.actors and name != role.arn:
                actor = evaluator.actors[name]
                if actor.account_id == role_account:  # naming the principal is enough within the account
                    found[name] = _better(
                        found.get(name), Edge(role.arn, maybe, statement.problem is not None)
                    )
                    continue
            for actor in _delegated(kind, name, can_assume):
                if actor.arn == role.arn:
                    continue
                allowed, conditional = evaluator.allows(actor, ASSUME, role.arn)
                if allowed:
                    edge = Edge(role.arn, maybe or conditional, statement.problem is not None, delegated=True)
                    found[actor.arn] = _better(found.get(actor.arn), edge)
    return [(arn, edge) for arn, edge in found.items() if not _denied(statements, evaluator.actors[arn])]


def _delegated(kind: str, name: str, can_assume: list[Actor]) -> list[Actor]:
    """Principals a trust entry leaves to their own policies: an account, or everyone."""
    if name == "*":
        return can_assume
    if kind != "AWS":
        return []
    account = name.split(":")[4] if name.startswith("arn:") and name.endswith(":root") else name
    return [a for a in can_assume if a.account_id == account or a.arn == name]


def _denied(statements: list[Statement], actor: Actor) -> bool:
    for statement in statements:
        if statement.effect is Effect.DENY and not statement.conditional:
            names = {name for _, name in statement.principals or ()}
            if "*" in names or actor.arn in names or actor.account_id in names:
                return True
    return False


def _better(current: Edge | None, candidate: Edge) -> Edge:
    if current is None or (candidate.conditional, candidate.needs_review) < (
        current.conditional,
        current.needs_review,
    ):
        return candidate
    return current
