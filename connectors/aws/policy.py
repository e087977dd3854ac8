"""Parse IAM policy documents into statements that are Allow, Deny, or *unknown*. Never raises.

Whatever this parser cannot fully understand (a missing Effect, an unknown condition operator, an element
of the wrong type, text that is not JSON) becomes an UNKNOWN statement that matches as widely as the parts
we could read allow. The evaluator turns that into "needs human review", so an unreadable policy can make a
person look at a grant but can never make Recertify revoke one automatically.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from connectors.aws.inventory import PolicyDocument


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"
    UNKNOWN = "unknown"


_OPERATORS = {
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
}
_ARN = re.compile(r"^arn:[^:]*:[^:]*:[^:]*:[^:]*:.+$")
EVERYTHING = ("*",)


@dataclass(frozen=True, slots=True)
class Statement:
    """`problem` set means partly unknown: the evaluator treats its effect as possible, never certain."""

    effect: Effect
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    principals: (
        frozenset[tuple[str, str]] | None
    )  # ("AWS"|"Service"|"Federated"|"*", value); None: no element
    not_principal: bool
    conditional: bool
    problem: str | None = None  # why the statement is (partly) unknown
    sid: str = ""
    condition: str = ""  # the Condition element as canonical JSON ("" when there is none)


@dataclass(frozen=True, slots=True)
class ParsedPolicy:
    statements: tuple[Statement, ...]

    @property
    def problems(self) -> list[str]:
        return [s.problem for s in self.statements if s.problem]


def parse_policy(document: PolicyDocument, *, resource_required: bool = True) -> ParsedPolicy:
    """`resource_required=False` for trust policies, whose statements have no Resource element."""
    if isinstance(document, str):
        return ParsedPolicy((_unknown("the policy is not valid JSON"),))
    if not isinstance(document, dict) or "Statement" not in document:
        return ParsedPolicy((_unknown("the policy has no Statement"),))
    raw = document["Statement"]
    statements = raw if isinstance(raw, list) else [raw]  # a single statement may be an object
    return ParsedPolicy(tuple(_statement(s, resource_required) for s in statements))


def _unknown(problem: str) -> Statement:
    return Statement(
        Effect.UNKNOWN, EVERYTHING, False, EVERYTHING, False, frozenset({("*", "*")}), False, True, problem
    )


def _statement(raw: Any, resource_required: bool) -> Statement:
    if not isinstance(raw, dict):
        return _unknown(f"a statement is not an object: {raw!r:.80}")
    problems: list[str] = []
    sid = raw.get("Sid", "") if isinstance(raw.get("Sid", ""), str) else ""
    raw_effect = raw.get("Effect")
    effect = (
        {"Allow": Effect.ALLOW, "Deny": Effect.DENY}.get(raw_effect, Effect.UNKNOWN)
        if isinstance(raw_effect, str)
        else Effect.UNKNOWN
    )
    if effect is Effect.UNKNOWN:
        problems.append(f"Effect {raw.get('Effect')!r} is neither Allow nor Deny")
    actions, not_action = _pair(raw, "Action", "NotAction", problems, required=True)
    resources, not_resource = _pair(raw, "Resource", "NotResource", problems, required=resource_required)
    for resource in resources:
        if resource != "*" and not _ARN.match(resource):
            problems.append(f"resource {resource!r} is not an ARN")
    principals, not_principal = _principals(raw, problems)
    conditional = _conditional(raw.get("Condition"), problems)
    return Statement(
        effect=effect,
        actions=actions,
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        principals=principals,
        not_principal=not_principal,
        conditional=conditional or bool(problems),
        problem="; ".join(problems) or None,
        sid=sid,
        condition=json.dumps(raw["Condition"], sort_keys=True) if conditional and "Condition" in raw else "",
    )


def _pair(
    raw: dict[str, Any], name: str, negated: str, problems: list[str], *, required: bool
) -> tuple[tuple[str, ...], bool]:
    """`Action`/`NotAction` (and the Resource pair): exactly one, a string or a list of strings."""
    if name in raw and negated in raw:
        problems.append(f"both {name} and {negated}")
        return EVERYTHING, False
    key = name if name in raw else negated if negated in raw else None
    if key is None:
        if required:
            problems.append(f"no {name} or {negated}")
        return EVERYTHING, False
    values = _strings(raw[key])
    if values is None:
        problems.append(f"{key} must be a string or a list of strings")
        return EVERYTHING, False
    return values, key == negated


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _principals(raw: dict[str, Any], problems: list[str]) -> tuple[frozenset[tuple[str, str]] | None, bool]:
    key = "Principal" if "Principal" in raw else "NotPrincipal" if "NotPrincipal" in raw else None
    if key is None:
        return None, False
    value = raw[key]
    if value == "*":
        return frozenset({("*", "*")}), key == "NotPrincipal"
    if not isinstance(value, dict) or not value:
        problems.append(f'{key} must be "*" or an object')
        return frozenset({("*", "*")}), False
    found: set[tuple[str, str]] = set()
    for kind, names in value.items():
        strings = _strings(names)
        if strings is None:
            problems.append(f"{key}.{kind} must be a string or a list of strings")
            return frozenset({("*", "*")}), False
        found.update((str(kind), name) for name in strings)
    return frozenset(found), key == "NotPrincipal"


def _conditional(condition: Any, problems: list[str]) -> bool:
    if condition is None:
        return False
    if not isinstance(condition, dict) or not all(isinstance(v, dict) for v in condition.values()):
        problems.append("Condition must map operators to objects")
        return True
    for operator in condition:
        base = operator.removeprefix("ForAllValues:").removeprefix("ForAnyValue:").removesuffix("IfExists")
        if base not in _OPERATORS:
            problems.append(f"unknown condition operator {operator!r}")
    return bool(condition)
