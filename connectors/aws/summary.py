"""What one policy document does to each store, as action bit masks (see catalog.py).

A policy's summary does not depend on who holds it, so each document is summarized once and shared by every
user, group and role it is attached to. Resource patterns are matched only against the stores they could
name (a sorted index on the literal part of the pattern), which keeps large accounts fast.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from connectors.aws.catalog import ActionCatalog, Target
from connectors.aws.matching import has_variable, matches_some_child, resource_matches
from connectors.aws.policy import Effect, ParsedPolicy, Statement


@dataclass(slots=True)
class Masks:
    allow: int = 0  # allowed without a condition
    allow_cond: int = 0  # allowed under a condition, or possibly allowed by a statement we could not read
    deny: int = 0  # denied without a condition
    deny_cond: int = 0  # denied under a condition: the deny may not hold
    unknown: int = 0  # touched by a statement we could not fully read

    def add(self, statement: Statement, bits: int, conditional: bool) -> None:
        if statement.problem:
            self.unknown |= bits
        possible = conditional or statement.problem is not None
        if statement.effect in (Effect.ALLOW, Effect.UNKNOWN):
            if possible:
                self.allow_cond |= bits
            else:
                self.allow |= bits
        if statement.effect in (Effect.DENY, Effect.UNKNOWN):
            if possible:
                self.deny_cond |= bits
            else:
                self.deny |= bits

    def merge(self, other: Masks) -> None:
        self.allow |= other.allow
        self.allow_cond |= other.allow_cond
        self.deny |= other.deny
        self.deny_cond |= other.deny_cond
        self.unknown |= other.unknown


Summary = dict[int, Masks]  # store index -> masks


@dataclass
class StoreIndex:
    """Every store's targets, findable by the literal start of a resource pattern."""

    catalog: ActionCatalog
    targets_by_store: list[tuple[Target, ...]]
    _sorted: list[tuple[str, int, Target]] = field(default_factory=list)
    _children: dict[str, list[tuple[int, Target]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for store, targets in enumerate(self.targets_by_store):
            for target in targets:
                self._sorted.append((target.arn, store, target))
                if target.children:
                    self._children.setdefault(target.arn, []).append((store, target))
        self._sorted.sort(key=lambda entry: entry[0])

    def candidates(self, pattern: str) -> list[tuple[int, Target]]:
        """Targets `pattern` might name: those starting with its literal part, and child targets that its
        literal part goes below (`arn:aws:s3:::b/public/` is below `arn:aws:s3:::b/`)."""
        literal = _literal(pattern)
        start = bisect.bisect_left(self._sorted, literal, key=lambda entry: entry[0])
        found = []
        for arn, store, target in self._sorted[start:]:
            if not arn.startswith(literal):
                break
            found.append((store, target))
        for cut in range(len(literal) - 1):  # child targets end with "/"; equal ones were found above
            if literal[cut] == "/" and (parents := self._children.get(literal[: cut + 1])):
                found.extend(parents)
        return found

    def all_targets(self) -> list[tuple[int, Target]]:
        return [(store, target) for _, store, target in self._sorted]


def _literal(pattern: str) -> str:
    for position, char in enumerate(pattern):
        if char in "*?$":
            return pattern[:position]
    return pattern


def summarize(policy: ParsedPolicy, index: StoreIndex) -> Summary:
    summary: Summary = {}
    for statement in policy.statements:
        actions = _action_bits(statement, index.catalog)
        if actions:
            _apply_statement(statement, actions, index, summary)
    return summary


def _action_bits(statement: Statement, catalog: ActionCatalog) -> int:
    bits = 0
    for pattern in statement.actions:
        bits |= catalog.mask(pattern)
    return catalog.all & ~bits if statement.not_action else bits


def _apply_statement(statement: Statement, actions: int, index: StoreIndex, summary: Summary) -> None:
    conditional = statement.conditional or any(has_variable(r) for r in statement.resources)
    if statement.not_resource:
        hits = [(s, t) for s, t in index.all_targets() if not _covered(statement.resources, t)]
    else:
        hits = [
            (s, t)
            for pattern in statement.resources
            for s, t in index.candidates(pattern)
            if _names(pattern, t)
        ]
    for store, target in hits:
        bits = actions & index.catalog.target_mask(target.service, target.resource_types)
        if bits:
            summary.setdefault(store, Masks()).add(statement, bits, conditional)


def _names(pattern: str, target: Target) -> bool:
    return (
        matches_some_child(pattern, target.arn) if target.children else resource_matches(pattern, target.arn)
    )


def _covered(patterns: tuple[str, ...], target: Target) -> bool:
    """NotResource excludes the target entirely only if a pattern covers all of it (every child, too)."""
    if target.children:
        return any(resource_matches(p, target.arn + "*") for p in patterns)
    return any(resource_matches(p, target.arn) for p in patterns)
