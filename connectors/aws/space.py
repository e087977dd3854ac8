"""Every store's resources as *slots*: one per single-ARN target, one per region of a key-space target
(regions.py). A policy statement's resources become a bit mask over the slots of each store it can touch, so
that "allowed on some object outside `private/`" is plain bit arithmetic per slot. Pure.

Built in two passes: every resource pattern of every policy is registered first (`register`), then each
key space is split once (`seal`) by all the patterns that can tell its keys apart; `match` answers after.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

from connectors.aws.catalog import ActionCatalog
from connectors.aws.inventory import StoreResource
from connectors.aws.matching import resource_matches
from connectors.aws.regions import Coverage, Regions, coverage, split
from connectors.aws.targets import IDENTITY, Target, targets


@dataclass(frozen=True, slots=True)
class Slot:
    target: int  # index into the store's targets
    region: int  # index into the target's regions (0 for a single resource)
    actions: int  # the catalogue's actions that can name this target's resource types


class StoreSpace:
    def __init__(self, store: StoreResource, catalog: ActionCatalog) -> None:
        self.store = store
        self.targets = targets(store)
        self._catalog = catalog
        self._tracks: list[dict[tuple[str, str], int]] = [{} for _ in self.targets]
        self._regions: list[Regions | None] = [None] * len(self.targets)
        self.slots: list[Slot] = []
        self._first_slot: list[int] = []
        self._matches: dict[tuple[str, str, int], int] = {}
        self.approximate = 0  # slots whose key space was too intricate to split exactly
        self._keys: dict[int | None, dict[str, str | None]] = {}

    def register(self, form: str, pattern: str, target: int) -> None:
        """Before `seal`: `pattern`, as policy `form` writes it, may name keys of `target`."""
        spot = self.targets[target]
        if not spot.children or not _governs(spot, form):
            return
        key = (form, pattern)  # only patterns that split the keys are tracks; the rest are settled alone
        if key not in self._tracks[target] and coverage(pattern, spot.seen_by(form)) is Coverage.PARTIAL:
            self._tracks[target][key] = len(self._tracks[target])

    def seal(self) -> None:
        for position, spot in enumerate(self.targets):
            self._first_slot.append(len(self.slots))
            actions = self._catalog.target_mask(spot.service, spot.resource_types)
            count = 1
            if spot.children:
                tracks = [(spot.seen_by(form), pattern) for form, pattern in self._tracks[position]]
                regions = split(tracks)
                self._regions[position] = regions
                count = len(regions.signatures)
                if regions.approximate:
                    self.approximate |= ((1 << count) - 1) << len(self.slots)
            self.slots.extend(Slot(position, region, actions) for region in range(count))

    def slot_keys(self, slot: int) -> dict[str, str | None]:
        """Condition keys the slot decides (None: absent from its requests): the resource's account, and
        whether (and through which) access point the request comes."""
        point_index = self.targets[self.slots[slot].target].access_point
        found = self._keys.get(point_index)  # one shared dict per way in: directly, or each access point
        if found is None:
            found = self._keys[point_index] = self._slot_keys(point_index)
        return found

    def _slot_keys(self, point_index: int | None) -> dict[str, str | None]:
        keys: dict[str, str | None] = {"aws:resourceaccount": self.store.account_id}
        point = self.store.access_points[point_index] if point_index is not None else None
        keys["s3:dataaccesspointaccount"] = point.account_id if point else None
        keys["s3:dataaccesspointarn"] = point.arn if point else None
        keys["s3:accesspointnetworkorigin"] = point.network_origin if point else None
        return keys

    def slot_of(self, arn: str) -> int | None:
        """The slot a concrete resource ARN falls in (after sealing), or None when it is not this store's."""
        for position, spot in enumerate(self.targets):
            first = self._first_slot[position]
            if not spot.children:
                if arn == spot.arn:
                    return first
                continue
            if not arn.startswith(spot.arn) or len(arn) == len(spot.arn):
                continue
            regions = self._regions[position]
            assert regions is not None  # noqa: S101  (sealed)
            key = arn[len(spot.arn) :]
            tracks = list(self._tracks[position])
            signature = sum(
                1 << j
                for j, track in enumerate(regions.partial)
                if resource_matches(tracks[track][1], spot.seen_by(tracks[track][0]) + key)
            )
            if signature in regions.signatures:
                return first + regions.signatures.index(signature)
            raise RuntimeError(f"{arn} falls in no region of {spot.arn}: the split missed a combination")
        return None

    @property
    def all_slots(self) -> int:
        return (1 << len(self.slots)) - 1

    def target_slots(self, target: int) -> int:
        first = self._first_slot[target]
        end = self._first_slot[target + 1] if target + 1 < len(self.targets) else len(self.slots)
        return ((1 << (end - first)) - 1) << first

    def match(self, form: str, pattern: str, target: int) -> int:
        """The slots of `target` whose resources `pattern` (as `form` writes it) matches: a bit mask."""
        key = (form, pattern, target)
        found = self._matches.get(key)
        if found is None:
            found = self._matches[key] = self._match(form, pattern, target)
        return found

    def _match(self, form: str, pattern: str, target: int) -> int:
        spot = self.targets[target]
        if not _governs(spot, form):
            return 0
        first = self._first_slot[target]
        if not spot.children:
            return 1 << first if resource_matches(pattern, spot.seen_by(form)) else 0
        regions = self._regions[target]
        assert regions is not None  # noqa: S101  (sealed)
        track = self._tracks[target].get((form, pattern))
        if track is not None:
            return regions.matching(track) << first
        cover = coverage(pattern, spot.seen_by(form))
        if cover is Coverage.PARTIAL:  # a bug, never an answer: the split would not know this pattern
            raise RuntimeError(f"{pattern!r} was not registered for {spot.arn} before sealing")
        return self.target_slots(target) if cover is Coverage.ALL else 0


def _governs(spot: Target, form: str) -> bool:
    return form == IDENTITY or any(key == form for key, _ in spot.views)


@dataclass
class StoreIndex:
    """Every store's targets, findable by the literal start of a resource pattern (identity form)."""

    spaces: list[StoreSpace]
    _sorted: list[tuple[str, int, int]] = field(default_factory=list)  # (arn, store, target)
    _children: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for store, space in enumerate(self.spaces):
            for position, spot in enumerate(space.targets):
                self._sorted.append((spot.arn, store, position))
                if spot.children:
                    self._children.setdefault(spot.arn, []).append((store, position))
        self._sorted.sort(key=lambda entry: entry[0])

    def candidates(self, pattern: str) -> list[tuple[int, int]]:
        """(store, target) pairs `pattern` might name: targets starting with its literal part, and key-space
        targets that its literal part goes below (`arn:aws:s3:::b/public/` is below `arn:aws:s3:::b/`)."""
        literal = _literal(pattern)
        start = bisect.bisect_left(self._sorted, literal, key=lambda entry: entry[0])
        found = []
        for arn, store, position in self._sorted[start:]:
            if not arn.startswith(literal):
                break
            found.append((store, position))
        for cut in range(len(literal) - 1):  # key-space prefixes end with "/"; equal ones were found above
            if literal[cut] == "/" and (below := self._children.get(literal[: cut + 1])):
                found.extend(below)
        return found

    def every_target(self) -> Iterable[tuple[int, int]]:
        for store, space in enumerate(self.spaces):
            for position in range(len(space.targets)):
                yield store, position


def _literal(pattern: str) -> str:
    for position, char in enumerate(pattern):
        if char in "*?$":
            return pattern[:position]
    return pattern
