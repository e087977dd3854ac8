"""Bucket policies and DynamoDB resource policies: what they grant or deny to a given principal.

A statement naming the principal's ARN (or `*`) grants by itself within the account and is not cut by the
principal's permissions boundary. A statement naming the principal's *account* only delegates to the
account's identity policies: it grants nothing alone, but it is the consent a cross-account grant needs.
A Deny applies whichever way the principal is named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from connectors.aws.inventory import StoreResource
from connectors.aws.policy import Effect, ParsedPolicy, Statement, parse_policy
from connectors.aws.summary import Masks, StoreIndex, summarize
from reviews.entitlements import PathStep

if TYPE_CHECKING:
    from connectors.aws.evaluate import Actor


@dataclass(slots=True)
class ActorView:
    """A store's resource policy as it applies to one principal."""

    masks: Masks = field(default_factory=Masks)  # direct grants and every applicable deny
    account_allow: int = 0  # consent given to the principal's account (or to it directly)
    account_allow_cond: int = 0
    path: tuple[PathStep, ...] = ()


_NOTHING = ActorView()  # a store without a resource policy: shared, never mutated


@dataclass(frozen=True, slots=True)
class _Rule:
    statement: Statement
    masks: Masks


class ResourcePolicies:
    def __init__(self, stores: list[StoreResource], index: StoreIndex) -> None:
        self._rules: dict[int, list[_Rule]] = {}
        self._paths: dict[int, tuple[PathStep, ...]] = {}
        self._everyone: set[int] = set()  # stores whose policy names "*" in an Allow
        self._named: dict[str, set[int]] = {}  # principal ARN -> stores whose policy names it
        for position, store in enumerate(stores):
            if store.resource_policy is not None:
                self._add(position, store, parse_policy(store.resource_policy), index)

    def _add(self, position: int, store: StoreResource, parsed: ParsedPolicy, index: StoreIndex) -> None:
        rules = []
        for statement in parsed.statements:
            masks = summarize(ParsedPolicy((statement,)), index).get(position)  # only its own store counts
            if masks is None:
                continue
            rules.append(_Rule(statement, masks))
            if statement.effect is not Effect.DENY:
                for kind, name in statement.principals or frozenset():
                    if name == "*" or statement.not_principal:
                        self._everyone.add(position)
                    elif kind == "AWS":
                        self._named.setdefault(name, set()).add(position)
        self._rules[position] = rules
        label = "bucket policy" if store.kind == "s3_bucket" else "resource policy"
        self._paths[position] = (PathStep("resource_policy", store.arn, label),)

    def stores_naming(self, actor: Actor) -> set[int]:
        return self._everyone | self._named.get(actor.arn, set())

    def for_actor(self, store: int, actor: Actor) -> ActorView:
        rules = self._rules.get(store)
        if not rules:
            return _NOTHING
        view = ActorView(path=self._paths[store])
        for rule in rules:
            direct, via_account = _named(rule.statement, actor)
            if not (direct or via_account):
                continue
            m = rule.masks
            if rule.statement.effect in (Effect.DENY, Effect.UNKNOWN):
                view.masks.deny |= m.deny
                view.masks.deny_cond |= m.deny_cond
            if rule.statement.effect in (Effect.ALLOW, Effect.UNKNOWN):
                view.account_allow |= m.allow
                view.account_allow_cond |= m.allow_cond
                if direct:
                    view.masks.allow |= m.allow
                    view.masks.allow_cond |= m.allow_cond
            view.masks.unknown |= m.unknown
        return view


def _named(statement: Statement, actor: Actor) -> tuple[bool, bool]:
    """(names the actor itself or everyone, names the actor's account)."""
    principals = statement.principals or frozenset()
    account_names = {f"arn:aws:iam::{actor.account_id}:root", actor.account_id}
    direct = any(name == "*" or (kind == "AWS" and name == actor.arn) for kind, name in principals)
    via_account = any(kind == "AWS" and name in account_names for kind, name in principals)
    if statement.not_principal:  # applies to everyone except those listed
        return not (direct or via_account), False
    return direct, via_account
