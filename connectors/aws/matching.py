"""IAM wildcard matching: `*` any run of characters, `?` exactly one. Actions match case-insensitively,
resources case-sensitively (IAM's own rules). Pure and cached: the same few patterns recur across thousands
of policies.
"""

from __future__ import annotations

import re
from functools import lru_cache

_VARIABLE = re.compile(r"\$\{[^}]*\}")


@lru_cache(maxsize=65_536)
def _compile(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def has_variable(pattern: str) -> bool:
    """`${aws:username}` and friends: the match depends on who asks, so it is conditional."""
    return "${" in pattern


def resolve_variables(pattern: str) -> str:
    # A policy variable can take any value at request time: as a pattern it behaves like `*`.
    return _VARIABLE.sub("*", pattern)


def action_matches(pattern: str, action: str) -> bool:
    return _compile(pattern, True).fullmatch(action) is not None


def resource_matches(pattern: str, arn: str) -> bool:
    return _compile(resolve_variables(pattern), False).fullmatch(arn) is not None


@lru_cache(maxsize=65_536)
def matches_some_child(pattern: str, prefix: str) -> bool:
    """Can `pattern` match some ARN that starts with `prefix` and has at least one more character?

    Used for objects in a bucket (`arn:aws:s3:::payroll/` + key) and sub-resources of a table. A pattern
    granting only part of a bucket (`payroll/public/*`) still reaches personal data, so it counts.
    """
    pattern = resolve_variables(pattern)
    # positions[i] = can pattern[:i] match prefix[:j] for the current j; classic glob DP over the prefix.
    positions = {0}
    positions = _close_stars(pattern, positions)
    for char in prefix:
        step = set()
        for i in positions:
            if i < len(pattern) and (pattern[i] == "?" or pattern[i] == char):
                step.add(i + 1)
            if i < len(pattern) and pattern[i] == "*":
                step.add(i)  # the star swallows this character too
        positions = _close_stars(pattern, step)
        if not positions:
            return False
    # After the prefix, the rest of the pattern must be able to produce one or more characters.
    return any(i < len(pattern) for i in positions) or any(i > 0 and pattern[i - 1] == "*" for i in positions)


def _close_stars(pattern: str, positions: set[int]) -> set[int]:
    """A star can also match nothing: skip over it."""
    closed = set(positions)
    stack = list(positions)
    while stack:
        i = stack.pop()
        if i < len(pattern) and pattern[i] == "*" and i + 1 not in closed:
            closed.add(i + 1)
            stack.append(i + 1)
    return closed
