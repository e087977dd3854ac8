"""One action on one ARN under a list of statements: for what lies outside the store catalogue (assuming a
role, using a KMS key), decided statement by statement. Pure."""

from __future__ import annotations

from connectors.aws.matching import action_matches, has_variable, resource_matches
from connectors.aws.policy import Effect, Statement

Answer = tuple[bool, bool]  # (allowed, conditional)


def about(statements: list[Statement], action: str) -> list[Statement]:
    """The statements that name `action` at all."""
    return [s for s in statements if any(action_matches(p, action) for p in s.actions) != s.not_action]


def decide_statements(statements: list[Statement], action: str, resource: str) -> Answer:
    """(allowed, conditional) for one action on one ARN under these statements (identity semantics: an
    Allow is needed, a Deny wins)."""
    allow = allow_always = deny_always = deny_maybe = False
    for statement in statements:
        acts = any(action_matches(p, action) for p in statement.actions) != statement.not_action
        names = any(resource_matches(p, resource) for p in statement.resources) != statement.not_resource
        if not (acts and names):
            continue
        maybe = (
            statement.conditional
            or statement.problem is not None
            or any(map(has_variable, statement.resources))
        )
        if statement.effect in (Effect.ALLOW, Effect.UNKNOWN):
            allow, allow_always = True, allow_always or not maybe
        if statement.effect in (Effect.DENY, Effect.UNKNOWN):
            deny_always, deny_maybe = deny_always or not maybe, deny_maybe or maybe
    allowed = allow and not deny_always
    return allowed, allowed and (not allow_always or deny_maybe)


def denies(statements: list[Statement], action: str, resource: str) -> tuple[bool, bool]:
    """(denied whatever the conditions, may be denied) for one action on one ARN."""
    always = maybe = False
    for statement in statements:
        if statement.effect not in (Effect.DENY, Effect.UNKNOWN):
            continue
        acts = any(action_matches(p, action) for p in statement.actions) != statement.not_action
        names = any(resource_matches(p, resource) for p in statement.resources) != statement.not_resource
        if acts and names:
            certain = (
                not statement.conditional and statement.problem is None and statement.effect is Effect.DENY
            )
            always, maybe = always or certain, maybe or not certain
    return always, maybe


def guards_allow(levels: list[list[Statement]], action: str, resource: str) -> Answer:
    """SCPs or RCPs: every level must allow, and no Deny may apply."""
    conditional = False
    for level in levels:
        allowed, maybe = decide_statements(level, action, resource)
        if not allowed:
            return False, False
        conditional = conditional or maybe
    return True, conditional
