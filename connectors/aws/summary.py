"""What one policy document does to each store, slot by slot (space.py), as action bit masks (catalog.py).

A policy's summary does not depend on who holds it, so each document is summarized once and shared by every
user, group and role it is attached to. Resource patterns are matched only against the stores they could
name (space.StoreIndex).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from connectors.aws.catalog import ActionCatalog
from connectors.aws.matching import has_variable
from connectors.aws.policy import Effect, ParsedPolicy, Statement
from connectors.aws.space import StoreIndex
from connectors.aws.targets import IDENTITY


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


Slots = dict[int, Masks]  # slot -> masks
Summary = dict[int, Slots]  # store index -> its slots


def statement_slots(
    statement: Statement, index: StoreIndex, form: str = IDENTITY
) -> Iterator[tuple[int, int]]:
    """(store, slot mask) for each store whose resources the statement's Resource (or NotResource) names."""
    touched: dict[int, int] = {}
    for pattern in statement.resources:
        for store, target in index.candidates(pattern):
            hit = index.spaces[store].match(form, pattern, target)
            if hit:
                touched[store] = touched.get(store, 0) | hit
    if not statement.not_resource:
        yield from touched.items()
        return
    for store, space in enumerate(index.spaces):  # NotResource: every slot no pattern names
        rest = space.all_slots & ~touched.get(store, 0)
        if rest:
            yield store, rest


def summarize(policy: ParsedPolicy, index: StoreIndex, catalog: ActionCatalog) -> Summary:
    summary: Summary = {}
    for statement in policy.statements:
        actions = action_bits(statement, catalog)
        if not actions:
            continue
        conditional = statement.conditional or any(has_variable(r) for r in statement.resources)
        for store, hits in statement_slots(statement, index):
            add_to_slots(summary.setdefault(store, {}), index, store, hits, statement, actions, conditional)
    return summary


def add_to_slots(
    slots: Slots,
    index: StoreIndex,
    store: int,
    hits: int,
    statement: Statement,
    actions: int,
    conditional: bool,
) -> None:
    space = index.spaces[store]
    for position in iter_bits(hits):
        bits = actions & space.slots[position].actions
        if bits:
            slots.setdefault(position, Masks()).add(statement, bits, conditional)


def action_bits(statement: Statement, catalog: ActionCatalog) -> int:
    bits = 0
    for pattern in statement.actions:
        bits |= catalog.mask(pattern)
    return catalog.all & ~bits if statement.not_action else bits


def iter_bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low
