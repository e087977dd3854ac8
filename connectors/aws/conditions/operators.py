"""Every condition operator IAM documents, and how one policy value compares with one request value.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
A negated operator (StringNotEquals, NotIpAddress, ArnNotLike, ...) is stored as its positive comparison plus
`negated`: IAM evaluates its values as a NOR, which the evaluator builds from the positive OR.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any

from connectors.aws.conditions import values as v
from connectors.aws.conditions.context import RequestContext, Truth


class Family(Enum):
    STRING = "String"
    NUMERIC = "Numeric"
    DATE = "Date"
    BOOL = "Bool"
    BINARY = "Binary"
    IP = "IpAddress"
    ARN = "Arn"
    NULL = "Null"


@dataclass(frozen=True, slots=True)
class Spec:
    family: Family
    comparison: str  # eq, ieq, like, lt, le, gt, ge, in
    negated: bool = False


_ORDER = {
    "Equals": "eq",
    "LessThan": "lt",
    "LessThanEquals": "le",
    "GreaterThan": "gt",
    "GreaterThanEquals": "ge",
}

OPERATORS: dict[str, Spec] = {
    "StringEquals": Spec(Family.STRING, "eq"),
    "StringNotEquals": Spec(Family.STRING, "eq", negated=True),
    "StringEqualsIgnoreCase": Spec(Family.STRING, "ieq"),
    "StringNotEqualsIgnoreCase": Spec(Family.STRING, "ieq", negated=True),
    "StringLike": Spec(Family.STRING, "like"),
    "StringNotLike": Spec(Family.STRING, "like", negated=True),
    **{f"Numeric{name}": Spec(Family.NUMERIC, code) for name, code in _ORDER.items()},
    "NumericNotEquals": Spec(Family.NUMERIC, "eq", negated=True),
    **{f"Date{name}": Spec(Family.DATE, code) for name, code in _ORDER.items()},
    "DateNotEquals": Spec(Family.DATE, "eq", negated=True),
    "Bool": Spec(Family.BOOL, "eq"),
    "BinaryEquals": Spec(Family.BINARY, "eq"),
    "IpAddress": Spec(Family.IP, "in"),
    "NotIpAddress": Spec(Family.IP, "in", negated=True),
    # "The ArnEquals and ArnLike condition operators behave identically."
    "ArnEquals": Spec(Family.ARN, "like"),
    "ArnLike": Spec(Family.ARN, "like"),
    "ArnNotEquals": Spec(Family.ARN, "like", negated=True),
    "ArnNotLike": Spec(Family.ARN, "like", negated=True),
    "Null": Spec(Family.NULL, "null"),
}

SET_QUALIFIERS = ("ForAllValues:", "ForAnyValue:")


@dataclass(frozen=True, slots=True)
class Operator:
    name: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"
    base: str  # its entry in OPERATORS, e.g. "StringLike"
    spec: Spec
    qualifier: str | None  # "ForAllValues" / "ForAnyValue"
    if_exists: bool


@lru_cache(maxsize=1024)
def parse_operator(name: str) -> Operator:
    rest, qualifier = name, None
    for prefix in SET_QUALIFIERS:
        if name.startswith(prefix):
            rest, qualifier = name.removeprefix(prefix), prefix.rstrip(":")
    base = rest.removesuffix("IfExists")
    spec = OPERATORS.get(base)
    if spec is None:
        raise v.Unreadable(f"unknown condition operator {name!r}")
    if spec.family is Family.NULL and base != rest:
        # "You can add IfExists to the end of any condition operator name except the Null condition"
        raise v.Unreadable(f"{name!r}: IfExists cannot be added to Null")
    return Operator(name, base, spec, qualifier, base != rest)


# Policy variables: "You can use a policy variable with the String condition operator", "...with the Boolean
# condition operator"; the ARN operators are listed beside the string ones on the policy-variables page. The
# other families say "You can not use a policy variable".
_VARIABLES = {Family.STRING, Family.ARN, Family.BOOL}
_WILDCARDS = {(Family.STRING, "like"), (Family.ARN, "like")}
_EMPTY = RequestContext()


def matcher(op: Operator, raw: str, context: RequestContext) -> Matcher:
    """A value without policy variables does not depend on the context: build it once."""
    if op.spec.family in _VARIABLES and "${" in raw:
        return Matcher(op.spec, raw, context)
    return _static(op.base, raw)


@lru_cache(maxsize=16_384)
def _static(base: str, raw: str) -> Matcher:
    return Matcher(OPERATORS[base], raw, _EMPTY)


class Matcher:
    """One policy value, ready to compare with request values (concrete, or only partly known)."""

    __slots__ = ("_typed", "resolved", "spec", "text")

    def __init__(self, spec: Spec, raw: str, context: RequestContext):
        self.spec = spec
        self.resolved = v.resolve(
            raw,
            context,
            wildcards=(spec.family, spec.comparison) in _WILDCARDS,
            variables=spec.family in _VARIABLES,
        )
        self.text = self.resolved.text
        self._typed: Any = None
        literal = self.resolved.literal
        if self.resolved.pending or self.resolved.null:
            return
        if spec.family is Family.ARN:
            self._typed = v.split_arn(self.resolved.segments)
            if self._typed is None:
                raise v.Unreadable(f"{raw!r} is not an ARN (ARN operators compare six colon-separated parts)")
        elif literal is not None and spec.family in _PARSERS:
            self._typed = _PARSERS[spec.family](literal)

    def test(self, request_value: str) -> Truth:
        """Does this policy value match the request value (the positive comparison)?"""
        if self.resolved.null:
            # "When you use a variable with no value ... operators like StringEquals or StringLike do not
            # match"
            return Truth.FALSE
        if self.resolved.pending:
            return Truth.UNKNOWN
        return Truth.TRUE if _COMPARE[self.spec.family](self, request_value) else Truth.FALSE

    def test_unknown(self, excluding: frozenset[str]) -> Truth:
        """The comparison with a request value known only to be none of `excluding` (casefolded)."""
        if self.resolved.null:
            return Truth.FALSE
        if self.resolved.pending or self.spec.family not in (Family.STRING, Family.ARN):
            return Truth.UNKNOWN
        if self.spec.comparison == "like" and self.spec.family is Family.STRING:
            if self.resolved.segments and all(s is v.Wild.STAR for s in self.resolved.segments):
                return Truth.TRUE  # `*` matches every string
        literal = self.resolved.literal
        if literal is not None and literal.casefold() in excluding:
            return Truth.FALSE  # it can only equal (or, ignoring case, be like) an excluded value
        return Truth.UNKNOWN


def _string(matcher: Matcher, value: str) -> bool:
    if matcher.spec.comparison == "eq":
        return matcher.resolved.literal == value
    if matcher.spec.comparison == "ieq":
        return (matcher.resolved.literal or "").casefold() == value.casefold()
    return v.pattern(matcher.resolved.segments, False).fullmatch(value) is not None


def _arn(matcher: Matcher, value: str) -> bool:
    # "Each of the six colon-delimited components of the ARN is checked separately"
    parts = value.split(":", 5)
    if len(parts) < 6:
        return False  # the request value is not an ARN: an ARN operator cannot match it
    return all(
        v.pattern(p, False).fullmatch(part) is not None for p, part in zip(matcher._typed, parts, strict=True)
    )


_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


def _ordered(parse: Callable[[str], Any]) -> Callable[[Matcher, str], bool]:
    def compare(matcher: Matcher, value: str) -> bool:
        return _ORDERING[matcher.spec.comparison](parse(value), matcher._typed)

    return compare


_PARSERS: dict[Family, Callable[[str], Any]] = {
    Family.NUMERIC: v.number,
    Family.DATE: v.date,
    Family.BOOL: v.boolean,
    Family.BINARY: v.binary,
    Family.IP: v.network,
}

_COMPARE: dict[Family, Callable[[Matcher, str], bool]] = {
    Family.STRING: _string,
    Family.ARN: _arn,
    Family.NUMERIC: _ordered(v.number),
    Family.DATE: _ordered(v.date),
    Family.BOOL: lambda matcher, value: matcher._typed == value.strip().lower(),
    Family.BINARY: lambda matcher, value: matcher._typed == v.binary(value),
    Family.IP: lambda matcher, value: v.address(value) in matcher._typed,
}
