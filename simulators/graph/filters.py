"""A small `$filter` subset: `p eq v`, `p ne v`, `p in (v, …)`, `startswith(p, 's')`, joined by and/or.

Literals are 'strings' (a quote inside doubled: 'O''Brien'), true, false, null. `and` binds tighter than
`or`. Anything else is refused with 400 Request_UnsupportedQuery, as Graph refuses what it cannot evaluate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulators.graph.errors import GraphError

_TOKEN = re.compile(r"\s*(?:('(?:[^']|'')*')|([(),])|([A-Za-z_][\w.]*))")
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}


@dataclass(frozen=True, slots=True)
class Clause:
    prop: str
    op: str  # "eq", "ne", "in", "startswith"
    values: tuple[Any, ...]

    def test(self, get: Callable[[str], Any]) -> bool:
        value = get(self.prop)
        if self.op == "startswith":
            return isinstance(value, str) and value.lower().startswith(str(self.values[0]).lower())
        if isinstance(value, str):  # Graph compares directory strings case-insensitively
            hit = value.lower() in {v.lower() for v in self.values if isinstance(v, str)}
        else:
            hit = value in self.values
        return not hit if self.op == "ne" else hit


Filter = list[list[Clause]]  # OR of ANDs


def _unsupported(text: str) -> GraphError:
    return GraphError(400, "Request_UnsupportedQuery", f"Unsupported or invalid query filter clause: {text}")


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text.rstrip()):
        match = _TOKEN.match(text, pos)
        if not match:
            raise _unsupported(text)
        out.append(match.group(match.lastindex or 0))
        pos = match.end()
    return out


def _literal(token: str, text: str) -> Any:
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    if token in _LITERALS:
        return _LITERALS[token]
    raise _unsupported(text)


def parse_filter(text: str, allowed: frozenset[str]) -> Filter:
    tokens, result, current = _tokens(text), [], []
    i = 0

    def take(expected: str | None = None) -> str:
        nonlocal i
        if i >= len(tokens) or (expected is not None and tokens[i] != expected):
            raise _unsupported(text)
        i += 1
        return tokens[i - 1]

    while True:
        first = take()
        if first == "startswith":
            take("(")
            prop = take()
            take(",")
            clause = Clause(prop, "startswith", (_literal(take(), text),))
            take(")")
        else:
            prop, op = first, take()
            if op in ("eq", "ne"):
                clause = Clause(prop, op, (_literal(take(), text),))
            elif op == "in":
                take("(")
                values = [_literal(take(), text)]
                while tokens[i : i + 1] == [","]:
                    take(",")
                    values.append(_literal(take(), text))
                take(")")
                clause = Clause(prop, "in", tuple(values))
            else:
                raise _unsupported(text)
        if clause.prop not in allowed:
            raise _unsupported(text)
        current.append(clause)
        if i == len(tokens):
            result.append(current)
            return result
        joiner = take()
        if joiner == "or":
            result.append(current)
            current = []
        elif joiner != "and":
            raise _unsupported(text)


def id_candidates(parsed: Filter) -> set[str] | None:
    """When the filter is one `id eq`/`id in` clause, the ids it names (so no full scan is needed)."""
    if len(parsed) == 1 and len(parsed[0]) == 1:
        clause = parsed[0][0]
        if clause.prop == "id" and clause.op in ("eq", "in"):
            return {str(v).lower() for v in clause.values}
    return None


def matches(parsed: Filter, get: Callable[[str], Any]) -> bool:
    return any(all(clause.test(get) for clause in group) for group in parsed)
