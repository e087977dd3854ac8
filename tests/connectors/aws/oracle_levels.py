"""The oracle's answer in our terms: a caller holds a level on a store when the oracle allows some action of
that level (from our ActionCatalog, restricted to the store's resource types) on some resource of the store.

Asking every action about every possible object key is neither possible (keys are unbounded) nor needed.
The generated policies can tell actions and keys apart only through the patterns they are built from, so one
request per class suffices:

- actions: two actions of the same level and resource type that every pattern of the generator's action
  alphabet matches alike are indistinguishable to every policy it can write (Action and NotAction alike);
  one representative per class is asked. The catalogue is finite, so the classes are exact.
- object keys: likewise per class of keys that the resource patterns (Resource and NotResource, of identity
  policies, boundaries, SCPs, RCPs and the bucket policy) match alike. Keys are built from the patterns' own
  literal pieces (cut at `*` and `?`, and at every `/`) and two fillers ("x" fills a `?` or a `*`, "a/" a
  level of path), up to three pieces long, and the shortest key of each class is kept. Any key matches a
  pattern through the literal pieces it contains at the places the pattern requires them, which is what
  these compositions enumerate; `uncovered_classes` checks it empirically on random keys.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterable
from functools import cache

from connectors.aws.catalog import ActionCatalog
from connectors.aws.inventory import AwsInventory, StoreResource
from connectors.aws.targets import targets
from reviews.entitlements import AccessLevel
from tests.connectors.aws.oracle import IamOracle
from tests.connectors.aws.oracle_requests import Caller, simulation

FILLERS = ("x", "a/")


@cache
def _regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob(pattern: str, value: str, *, ignore_case: bool) -> bool:
    """IAM's wildcard match, written here independently of connectors.aws.matching."""
    return _regex(pattern, ignore_case).fullmatch(value) is not None


def action_classes(names: Iterable[str], patterns: tuple[str, ...]) -> list[str]:
    """One action per class of actions the patterns match alike (the first in name order)."""
    seen: dict[frozenset[str], str] = {}
    for name in sorted(names):
        signature = frozenset(p for p in patterns if glob(p, name, ignore_case=True))
        seen.setdefault(signature, name)
    return list(seen.values())


def _pieces(prefix: str, patterns: tuple[str, ...]) -> set[str]:
    pieces: set[str] = set(FILLERS)
    for pattern in patterns:
        for literal in re.split(r"[*?]", pattern):
            literal = literal.removeprefix(prefix) if literal.startswith(prefix) else literal
            cuts = [0] + [i + 1 for i, c in enumerate(literal) if c == "/"]
            pieces.update(literal[i:] for i in cuts)
            pieces.update(literal[:i] for i in cuts if i)
    pieces.discard("")
    return pieces


def _signature(prefix: str, key: str, patterns: tuple[str, ...]) -> frozenset[str]:
    return frozenset(p for p in patterns if glob(p, prefix + key, ignore_case=False))


@cache
def sample_keys(prefix: str, patterns: tuple[str, ...]) -> tuple[str, ...]:
    """One key per class of keys below `prefix` (a store's ARN and "/") that the patterns tell apart."""
    pieces = sorted(_pieces(prefix, patterns))
    best: dict[frozenset[str], str] = {}
    for length in (1, 2, 3):
        for combination in itertools.product(pieces, repeat=length):
            key = "".join(combination)
            signature = _signature(prefix, key, patterns)
            current = best.get(signature)
            if current is None or _rank(key) < _rank(current):
                best[signature] = key
    return tuple(sorted(best.values()))


def _rank(key: str) -> tuple[bool, int, str]:
    """Plain keys first ("x" rather than "/"), then the shortest: the examples stay readable."""
    return (key.startswith("/") or "//" in key, len(key), key)


def uncovered_classes(prefix: str, patterns: tuple[str, ...], tries: int = 5_000, seed: int = 0) -> set[str]:
    """Random keys (over the patterns' own characters) whose class `sample_keys` has no key for."""
    covered = {_signature(prefix, key, patterns) for key in sample_keys(prefix, patterns)}
    alphabet = sorted({c for p in patterns for c in p.removeprefix(prefix) if c not in "*?"} | set("xa/"))
    rng = random.Random(seed)  # noqa: S311  (reproducible test keys, not secrets)
    missed = set()
    for _ in range(tries):
        key = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24)))
        if _signature(prefix, key, patterns) not in covered:
            missed.add(key)
    return missed


class LevelProbe:
    """For each store, the (action, resource) requests that decide each level."""

    def __init__(
        self, catalog: ActionCatalog, action_patterns: tuple[str, ...], resource_patterns: tuple[str, ...]
    ) -> None:
        self.catalog = catalog
        self.action_patterns = action_patterns
        self.resource_patterns = resource_patterns

    def requests(self, store: StoreResource) -> dict[AccessLevel, list[tuple[str, str]]]:
        by_level: dict[AccessLevel, list[tuple[str, str]]] = {level: [] for level in AccessLevel}
        for target in targets(store):
            if target.access_point is not None:
                continue  # iam-simulate does not model access points
            if target.children:
                resources = [target.arn + key for key in sample_keys(target.arn, self.resource_patterns)]
            else:
                resources = [target.arn]
            relevant = self.catalog.target_mask(target.service, target.resource_types)
            for level in AccessLevel:
                names = self.catalog.names(relevant & self.catalog.level_mask(level))
                for action in action_classes(names, self.action_patterns):
                    by_level[level] += [(action, resource) for resource in resources]
        return by_level


def oracle_levels(
    oracle: IamOracle,
    probe: LevelProbe,
    inventory: AwsInventory,
    store: StoreResource,
    callers: list[Caller],
) -> list[set[AccessLevel]]:
    """For each caller, the levels the oracle lets it use on the store (one batch for all callers)."""
    requests = probe.requests(store)
    asked = [
        (index, level, simulation(inventory, caller, store, action, resource))
        for index, caller in enumerate(callers)
        for level, pairs in requests.items()
        for action, resource in pairs
    ]
    answers = oracle.decide_many([sim for _, _, sim in asked])
    held: list[set[AccessLevel]] = [set() for _ in callers]
    for (index, level, _), answer in zip(asked, answers, strict=True):
        if answer == "Allowed":
            held[index].add(level)
    return held
