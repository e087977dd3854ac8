"""What Recertify knows about a request it never sees: a partial request context, and three-valued truth.

A context maps condition keys (case-insensitive in IAM, the tag key part of `aws:PrincipalTag/<key>` too) to:
- `Known(values)`: the key is in the request with these values (one for a single-valued key);
- `ABSENT`: the key is known *not* to be in the request (an account outside any organisation has no
  `aws:PrincipalOrgID`);
- `Unknown(excluding, may_be_absent)`: not known, except that it is none of `excluding` (compared ignoring
  case) and, when `may_be_absent` is false, that it is present. `UNKNOWN` excludes nothing. A key missing
  from the mapping is `UNKNOWN`, unless it falls under a *closed prefix* (`aws:principaltag/` once a
  principal's tags are all known), where it is `ABSENT`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum


class Truth(Enum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"

    def negate(self) -> Truth:
        return Truth.FALSE if self is Truth.TRUE else Truth.TRUE if self is Truth.FALSE else Truth.UNKNOWN


def all_of(truths: Iterable[Truth]) -> Truth:
    """Kleene AND: one FALSE decides; otherwise any UNKNOWN leaves it open."""
    result = Truth.TRUE
    for truth in truths:
        if truth is Truth.FALSE:
            return truth
        if truth is Truth.UNKNOWN:
            result = truth
    return result


def any_of(truths: Iterable[Truth]) -> Truth:
    """Kleene OR: one TRUE decides; otherwise any UNKNOWN leaves it open."""
    result = Truth.FALSE
    for truth in truths:
        if truth is Truth.TRUE:
            return truth
        if truth is Truth.UNKNOWN:
            result = truth
    return result


def join(first: Truth, second: Truth) -> Truth:
    """Either of two possible worlds: decided only when both agree."""
    return first if first is second else Truth.UNKNOWN


@dataclass(frozen=True, slots=True)
class Known:
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.values or not all(isinstance(v, str) for v in self.values):
            raise ValueError(f"a known context value needs one or more strings, got {self.values!r}")


class _Absent(Enum):
    ABSENT = "absent"

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent.ABSENT


@dataclass(frozen=True, slots=True)
class Unknown:
    excluding: frozenset[str] = frozenset()  # compared ignoring case (stored casefolded)
    may_be_absent: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "excluding", frozenset(value.casefold() for value in self.excluding))


UNKNOWN = Unknown()
ContextValue = Known | _Absent | Unknown


def known(*values: str) -> Known:
    return Known(tuple(values))


def not_any_of(*values: str, may_be_absent: bool = True) -> Unknown:
    """Unknown, but none of these (ignoring case): an outsider's org id is not ours."""
    return Unknown(frozenset(values), may_be_absent)


class RequestContext:
    """Immutable; keys and closed prefixes are lower-cased on the way in."""

    __slots__ = ("_closed", "_values")

    def __init__(self, values: Mapping[str, ContextValue] | None = None, *, closed: Iterable[str] = ()):
        lowered: dict[str, ContextValue] = {}
        for key, value in (values or {}).items():
            if not isinstance(value, Known | _Absent | Unknown):
                raise TypeError(f"context value for {key!r} must be Known, ABSENT or Unknown, not {value!r}")
            if lowered.get(key.lower(), value) != value:
                raise ValueError(f"context key {key!r} given twice with different values")
            lowered[key.lower()] = value
        self._values = lowered
        self._closed = tuple(sorted({prefix.lower() for prefix in closed}))

    def value(self, key: str) -> ContextValue:
        lowered = key.lower()
        if lowered in self._values:
            return self._values[lowered]
        return ABSENT if any(lowered.startswith(prefix) for prefix in self._closed) else UNKNOWN

    def merged(self, other: RequestContext) -> RequestContext:
        """Principal facts plus resource facts; a key both sides state must agree."""
        for key in self._values.keys() & other._values.keys():
            if self._values[key] != other._values[key]:
                raise ValueError(f"context key {key!r} given twice with different values")
        return RequestContext({**self._values, **other._values}, closed=self._closed + other._closed)

    def items(self) -> Iterator[tuple[str, ContextValue]]:
        return iter(self._values.items())

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, RequestContext)
            and self._values == other._values
            and self._closed == other._closed
        )

    def __hash__(self) -> int:
        return hash((frozenset(self._values.items()), self._closed))

    def __repr__(self) -> str:
        return f"RequestContext({self._values!r}, closed={self._closed!r})"
