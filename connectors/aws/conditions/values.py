"""Condition values as written in a policy: normalisation, policy variables, wildcards, typed parsing.

Every function here either returns a value or raises `Unreadable` with a one-line reason; the evaluator turns
that reason into an unknown part, never into a guess.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from connectors.aws.conditions.context import ABSENT, Known, RequestContext


class Unreadable(Exception):
    """A policy value (or a context value) that the operator cannot compare."""


class Wild:
    """A wildcard in a pattern (two instances; identity-hashed, as patterns are cache keys)."""

    __slots__ = ("char",)
    STAR: Wild  # any run of characters, empty included
    ONE: Wild  # exactly one character

    def __init__(self, char: str):
        self.char = char

    def __repr__(self) -> str:
        return f"Wild({self.char!r})"


Wild.STAR = Wild("*")
Wild.ONE = Wild("?")


Segment = str | Wild

# `${key}` or `${key, 'default'}`; `${*}`, `${?}` and `${$}` stand for the literal characters.
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^(?P<key>[^,]+),\s*'(?P<default>[^']*)'$")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}


def policy_values(raw: object) -> tuple[str, ...]:
    """A condition value is a string, a JSON boolean or number, or a non-empty list of those."""
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise Unreadable("an empty list of values")
    return tuple(_scalar(item) for item in items)


def _scalar(item: object) -> str:
    if isinstance(item, bool):  # before int: JSON true is a Python bool, which is an int
        return "true" if item else "false"
    if isinstance(item, str):
        return item
    if isinstance(item, int | float):
        return str(item)
    raise Unreadable(f"the value {item!r:.60} is not a string, number or boolean")


@dataclass(frozen=True, slots=True)
class Resolved:
    """A policy value with its variables looked up in the context.

    `pending`: a variable whose value is unknown, so any comparison is unknown. `null`: a variable with no
    value and no default, which AWS treats as "effectively null": nothing equals or is like it.
    """

    segments: tuple[Segment, ...]
    text: str  # for people: known variables substituted, unknown ones left as written
    pending: bool = False
    null: bool = False
    literal: str | None = None  # the one string this value can equal, when it holds no wildcard


def resolve(raw: str, context: RequestContext, *, wildcards: bool, variables: bool) -> Resolved:
    """Split `raw` into literal text and wildcards, substituting policy variables when `variables`."""
    segments: list[Segment] = []
    text: list[str] = []
    pending = null = False
    position = 0
    for match in _VARIABLE.finditer(raw) if variables else ():
        _literal(raw[position : match.start()], wildcards, segments, text)
        position = match.end()
        inner = match.group(1).strip()
        if inner in _SPECIAL:
            segments.append(_SPECIAL[inner])
            text.append(_SPECIAL[inner])
            continue
        default = _DEFAULT.match(inner)
        key = default.group("key").strip() if default else inner
        value = context.value(key)
        if isinstance(value, Known) and len(value.values) == 1:
            segments.append(value.values[0])
            text.append(value.values[0])
        elif value is ABSENT and default:
            segments.append(default.group("default"))
            text.append(default.group("default"))
        elif value is ABSENT:
            null = True
            text.append(match.group(0))
        elif isinstance(value, Known):
            # "you cannot use a multivalued context key as a policy variable": nothing to substitute
            raise Unreadable(f"the variable {match.group(0)} has {len(value.values)} values in the request")
        else:
            pending = True
            text.append(match.group(0))
    _literal(raw[position:], wildcards, segments, text)
    merged = _merge(segments)
    literal = None
    if not (pending or null or any(isinstance(s, Wild) for s in merged)):
        literal = "".join(s for s in merged if isinstance(s, str))
    return Resolved(merged, "".join(text), pending, null, literal)


def _literal(chunk: str, wildcards: bool, segments: list[Segment], text: list[str]) -> None:
    text.append(chunk)
    if not wildcards:
        segments.append(chunk)
        return
    for char in chunk:
        segments.append(Wild.STAR if char == "*" else Wild.ONE if char == "?" else char)


def _merge(segments: list[Segment]) -> tuple[Segment, ...]:
    merged: list[Segment] = []
    for segment in segments:
        if isinstance(segment, str) and merged and isinstance(merged[-1], str):
            merged[-1] += segment
        elif segment != "":
            merged.append(segment)
    return tuple(merged)


@lru_cache(maxsize=16_384)
def pattern(segments: tuple[Segment, ...], ignore_case: bool) -> re.Pattern[str]:
    parts = [".*" if s is Wild.STAR else "." if s is Wild.ONE else re.escape(str(s)) for s in segments]
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def split_arn(segments: tuple[Segment, ...]) -> tuple[tuple[Segment, ...], ...] | None:
    """The six colon-separated ARN parts of a pattern (the last keeps its colons), or None if fewer."""
    parts: list[list[Segment]] = [[]]
    for segment in segments:
        if isinstance(segment, Wild):
            parts[-1].append(segment)
            continue
        pieces = segment.split(":")
        for index, piece in enumerate(pieces):
            if index and len(parts) < 6:
                parts.append([])
            elif index:
                parts[-1].append(":")
            parts[-1].append(piece)
    return tuple(_merge(part) for part in parts) if len(parts) == 6 else None


def number(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise Unreadable(f"{text!r} is not a number") from None
    if not value.is_finite():
        raise Unreadable(f"{text!r} is not a number")
    return value


_EPOCH = re.compile(r"^-?\d+(\.\d+)?$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def date(text: str) -> datetime:
    """ISO 8601 (the W3C profile: YYYY-MM, YYYY-MM-DD, with a time and zone) or epoch seconds.

    A time without a zone is read as UTC. Four digits alone are read as epoch seconds, like any number.
    """
    text = text.strip()
    try:
        if _EPOCH.match(text):
            return datetime.fromtimestamp(float(text), tz=UTC)
        if year_month := _YEAR_MONTH.match(text):
            return datetime(int(year_month.group(1)), int(year_month.group(2)), 1, tzinfo=UTC)
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        raise Unreadable(f"{text!r} is not an ISO 8601 date or epoch time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def boolean(text: str) -> str:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise Unreadable(f"{text!r} is neither true nor false")
    return lowered


def binary(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Unreadable(f"{text!r} is not base64") from None


def network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR block; an address without a prefix is a single address (/32, or /128 for IPv6)."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise Unreadable(f"{text!r} is not an IP address or CIDR block") from None


def address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        raise Unreadable(f"{text!r} is not an IP address") from None
