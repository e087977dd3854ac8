"""Which parts of a store's key space the policies' resource patterns can tell apart. Pure.

A store's objects (or index names, database users…) are every string after a fixed prefix
(`arn:aws:s3:::payroll/` + key). An Allow on `payroll/*` with a Deny on `payroll/private/*` leaves every key
outside `private/` readable: AWS applies a Deny only to the requests it matches. To answer "can this
principal read some object?" exactly, the key space is cut into *regions*: sets of keys that every pattern
either matches entirely or not at all. A region is identified by the set of patterns that match its keys
(its signature); only signatures some real key has are kept.

Patterns are IAM wildcards (`*` any run, `?` one character, `${…}` a policy variable, which can take any value
and so behaves like `*`; `${*}`, `${?}` and `${$}` are the literal characters). The regions come from walking
all patterns' automata in step over one alphabet (each literal character that appears, plus one standing for
every other character), which finds every reachable combination of "matched so far" states. Patterns that
match every key, or none, do not split anything and are settled without the walk.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

_RUN, _ONE = -1, -2  # tokens: a non-negative int is a literal character's code point
_MAX_STATES = 20_000  # far above what real policies need; past it the answer is marked approximate
_OTHER = -3  # the alphabet's stand-in for every character no pattern names


class Coverage(Enum):
    NONE = "none"  # matches no key under the prefix
    ALL = "all"  # matches every key under the prefix
    PARTIAL = "partial"  # matches some keys only: splits the space


@dataclass(frozen=True, slots=True)
class Regions:
    """How a key space splits. `coverage[i]` is the i-th track's; `signatures` lists each region as a bit
    mask over the PARTIAL tracks (bit j: the j-th partial track, in track order, matches the region).
    `approximate`: too many combinations to walk; every combination is then assumed possible."""

    coverage: tuple[Coverage, ...]
    partial: tuple[int, ...]  # track indexes of the partial tracks, in order
    signatures: tuple[int, ...]
    approximate: bool = False

    def matching(self, track: int) -> int:
        """The regions (a bit mask over `signatures`) whose keys `track` matches."""
        cover = self.coverage[track]
        if cover is Coverage.ALL:
            return (1 << len(self.signatures)) - 1
        if cover is Coverage.NONE:
            return 0
        bit = 1 << self.partial.index(track)
        return sum(1 << r for r, signature in enumerate(self.signatures) if signature & bit)


@lru_cache(maxsize=65_536)
def tokens(pattern: str) -> tuple[int, ...]:
    out: list[int] = []
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "$" and pattern.startswith("${", position) and "}" in pattern[position:]:
            end = pattern.index("}", position)
            name = pattern[position + 2 : end]
            out.append(ord(name) if name in ("*", "?", "$") else _RUN)
            position = end + 1
            continue
        out.append(_RUN if char == "*" else _ONE if char == "?" else ord(char))
        position += 1
    return tuple(out)


def _close(pattern: tuple[int, ...], positions: frozenset[int]) -> frozenset[int]:
    """A run can also match nothing: step over it."""
    closed = set(positions)
    stack = list(positions)
    while stack:
        i = stack.pop()
        if i < len(pattern) and pattern[i] == _RUN and i + 1 not in closed:
            closed.add(i + 1)
            stack.append(i + 1)
    return frozenset(closed)


def _step(pattern: tuple[int, ...], positions: frozenset[int], char: int) -> frozenset[int]:
    moved = set()
    for i in positions:
        if i < len(pattern):
            token = pattern[i]
            if token == _RUN:
                moved.add(i)
            elif token == _ONE or token == char:
                moved.add(i + 1)
    return _close(pattern, frozenset(moved)) if moved else frozenset()


@lru_cache(maxsize=262_144)
def after(pattern: str, prefix: str) -> frozenset[int]:
    """The pattern's automaton positions once `prefix` is read (empty: it can no longer match)."""
    compiled = tokens(pattern)
    positions = _close(compiled, frozenset({0}))
    for char in prefix:
        positions = _step(compiled, positions, ord(char))
        if not positions:
            break
    return positions


@lru_cache(maxsize=262_144)
def coverage(pattern: str, prefix: str) -> Coverage:
    """How `pattern` covers the keys (one character or more) after `prefix`."""
    compiled = tokens(pattern)
    positions = after(pattern, prefix)
    if not positions:
        return Coverage.NONE
    if any(all(token == _RUN for token in compiled[i:]) and i < len(compiled) for i in positions):
        return Coverage.ALL  # a trailing run is reached: whatever follows matches
    return Coverage.PARTIAL if _can_match_more(compiled, positions) else Coverage.NONE


def _can_match_more(pattern: tuple[int, ...], positions: frozenset[int]) -> bool:
    """Some string of one character or more takes the pattern from `positions` to its end."""
    return any(i < len(pattern) for i in positions)


def split(tracks: list[tuple[str, str]]) -> Regions:
    """The regions of one key space. Each track is (prefix, pattern): the pattern as matched against the
    prefix followed by a key (the same key space may be seen through several prefixes, as an object is both
    `arn:aws:s3:::bucket/key` to the bucket policy and `…:accesspoint/name/object/key` through an access
    point).
    """
    covers = tuple(coverage(pattern, prefix) for prefix, pattern in tracks)
    partial = tuple(i for i, cover in enumerate(covers) if cover is Coverage.PARTIAL)
    if not partial:
        return Regions(covers, (), (0,))
    compiled = [tokens(tracks[i][1]) for i in partial]
    start = tuple(after(tracks[i][1], tracks[i][0]) for i in partial)
    alphabet = sorted({token for pattern in compiled for token in pattern if token >= 0}) + [_OTHER]
    seen = {start}
    frontier = [start]
    signatures: set[int] = set()
    while frontier:
        state = frontier.pop()
        for char in alphabet:
            moved = tuple(
                _step(pattern, positions, char) for pattern, positions in zip(compiled, state, strict=True)
            )
            signatures.add(_signature(compiled, moved))
            if moved not in seen:
                if len(seen) >= _MAX_STATES:
                    return Regions(covers, partial, _every(len(partial), signatures), approximate=True)
                seen.add(moved)
                frontier.append(moved)
    return Regions(covers, partial, tuple(sorted(signatures)))


def _every(count: int, found: set[int]) -> tuple[int, ...]:
    """Past the walk's limit: every combination when they can be listed, else what was found plus each
    pattern alone and all together (the grants are then marked for a person to check)."""
    if count <= 12:
        return tuple(range(1 << count))
    return tuple(sorted(found | {0, (1 << count) - 1} | {1 << j for j in range(count)}))


def _signature(compiled: list[tuple[int, ...]], state: tuple[frozenset[int], ...]) -> int:
    return sum(
        1 << j
        for j, (pattern, positions) in enumerate(zip(compiled, state, strict=True))
        if len(pattern) in positions
    )
