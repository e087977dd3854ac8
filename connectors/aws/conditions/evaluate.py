"""Evaluate an IAM `Condition` block against a partial request context: TRUE, FALSE or UNKNOWN.

The block is the AND of its operators, each operator the AND of its keys, each key the OR of its values
(the NOR for a negated operator), in Kleene's three-valued logic. When the answer is UNKNOWN, `parts` lists
every clause that stayed open, in words: the condition holds exactly when all of them hold.

Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connectors.aws.conditions import render
from connectors.aws.conditions.context import (
    ABSENT,
    Known,
    RequestContext,
    Truth,
    Unknown,
    all_of,
    any_of,
    join,
)
from connectors.aws.conditions.operators import Family, Matcher, Operator, matcher, parse_operator
from connectors.aws.conditions.values import Unreadable, boolean, policy_values


@dataclass(frozen=True, slots=True)
class Part:
    """One clause that stayed open. `unreadable`: the policy (or the request value) could not be compared,
    as opposed to a request fact Recertify does not know."""

    text: str
    key: str | None  # the condition key as written; None when the operator itself is unreadable
    operator: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"; "Condition" for the block itself
    unreadable: bool = False

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Outcome:
    truth: Truth
    parts: tuple[Part, ...] = ()  # empty unless truth is UNKNOWN

    @property
    def text(self) -> str:
        """ "aws:PrincipalOrgID is o-abc and aws:SourceIp is in 10.0.0.0/8"; empty when decided."""
        return " and ".join(part.text for part in self.parts)

    @property
    def unreadable(self) -> bool:
        return any(part.unreadable for part in self.parts)


def evaluate(condition: object, context: RequestContext) -> Outcome:
    """`condition` is a statement's `Condition` element as parsed from JSON (None when it has none)."""
    if condition is None:
        return Outcome(Truth.TRUE)
    if not isinstance(condition, dict):
        return _unreadable(Part("the Condition element is not an object", None, "Condition", True))
    results: list[tuple[Truth, Part | None]] = []
    for name, body in condition.items():
        results.extend(_operator(str(name), body, context))
    truth = all_of(truth for truth, _ in results)
    if truth is not Truth.UNKNOWN:
        return Outcome(truth)
    parts = {part for result, part in results if result is Truth.UNKNOWN and part is not None}
    return Outcome(truth, tuple(sorted(parts, key=lambda p: (p.text, p.operator, p.key or ""))))


def _unreadable(part: Part) -> Outcome:
    return Outcome(Truth.UNKNOWN, (part,))


def _operator(name: str, body: object, context: RequestContext) -> list[tuple[Truth, Part | None]]:
    try:
        op = parse_operator(name)
    except Unreadable as error:
        return [(Truth.UNKNOWN, Part(str(error), None, name, True))]
    if not isinstance(body, dict) or not body:
        return [
            (Truth.UNKNOWN, Part(f"{name} must map one or more condition keys to values", None, name, True))
        ]
    return [_key(op, str(key), raw, context) for key, raw in body.items()]


def _key(op: Operator, key: str, raw: object, context: RequestContext) -> tuple[Truth, Part | None]:
    try:
        texts = policy_values(raw)
        if op.spec.family is Family.NULL:
            truth, text = _null(op, key, texts, context)
        else:
            truth, text = _compare(op, key, [matcher(op, t, context) for t in texts], context)
    except Unreadable as error:
        return Truth.UNKNOWN, Part(f"{key} under {op.name}: {error}", key, op.name, True)
    return (truth, None) if truth is not Truth.UNKNOWN else (truth, Part(text, key, op.name))


def _absent(op: Operator) -> Truth:
    """A key that is not in the request.

    "If the key that you specify in a policy condition is not present in the request context, the values do
    not match and the condition is false. If the policy condition requires that the key is not matched, such
    as StringNotLike or ArnNotLike, and the right key is not present, the condition is true." ...IfExists:
    "If the key is not present, evaluate the condition element as true." ForAllValues "also returns true if
    there are no keys in the request"; ForAnyValue: "For no matching key or a null dataset, the condition
    returns false."
    """
    if op.if_exists or op.qualifier == "ForAllValues":
        return Truth.TRUE
    if op.qualifier == "ForAnyValue":
        return Truth.FALSE
    return Truth.TRUE if op.spec.negated else Truth.FALSE


def _per_value(op: Operator, matches: Sequence[Truth]) -> Truth:
    """One request value against all policy values: OR, or NOR for a negated operator."""
    matched = any_of(matches)
    return matched.negate() if op.spec.negated else matched


def _compare(op: Operator, key: str, matchers: list[Matcher], context: RequestContext) -> tuple[Truth, str]:
    value = context.value(key)
    if value is ABSENT:
        return _absent(op), ""
    if isinstance(value, Known):
        if op.qualifier is None and len(value.values) > 1:
            # "Multivalued context keys require a condition set operator": AWS documents nothing else.
            raise Unreadable(
                f"has {len(value.values)} values in the request and {op.name} has no set operator"
            )
        tests = [[m.test(item) for m in matchers] for item in value.values]
        per_item = [_per_value(op, row) for row in tests]
        truth = (
            per_item[0]
            if op.qualifier is None
            else any_of(per_item)
            if op.qualifier == "ForAnyValue"
            else all_of(per_item)
        )
        if truth is not Truth.UNKNOWN:
            return truth, ""
        open_matchers = [m for m, t in zip(matchers, tests[0], strict=True) if t is Truth.UNKNOWN]
        return truth, _text(op, key, matchers, open_matchers, absent_holds=None)
    assert isinstance(value, Unknown)  # noqa: S101 - the three kinds of context value are exhaustive
    tests_unknown = [m.test_unknown(value.excluding) for m in matchers]
    # Every admissible request value behaves alike, and a present key has at least one value, so ForAnyValue
    # and ForAllValues agree with the plain operator whenever that one is decided.
    present = _per_value(op, tests_unknown)
    truth = join(present, _absent(op)) if value.may_be_absent else present
    if truth is not Truth.UNKNOWN:
        return truth, ""
    open_matchers = [m for m, t in zip(matchers, tests_unknown, strict=True) if t is Truth.UNKNOWN]
    absent_holds = _absent(op) is Truth.TRUE if value.may_be_absent else None
    return truth, _text(op, key, matchers, open_matchers, absent_holds)


def _text(
    op: Operator, key: str, matchers: list[Matcher], open_matchers: list[Matcher], absent_holds: bool | None
) -> str:
    if op.qualifier is not None:
        return render.clause(op, key, [m.text for m in matchers])
    if open_matchers:
        return render.clause(op, key, [m.text for m in open_matchers])
    # Every comparison is decided, so only presence is open: the clause holds when the key is absent (if
    # absence satisfies it) or present.
    return render.presence(key, present=not absent_holds)


def _null(op: Operator, key: str, texts: tuple[str, ...], context: RequestContext) -> tuple[Truth, str]:
    """Null: "use either true (the key doesn't exist — it is null) or false (the key exists and its value is
    not null)"."""
    if op.qualifier is not None:
        raise Unreadable(f"{op.qualifier}: is not documented for Null")
    wanted = {boolean(text) for text in texts}
    value = context.value(key)
    present: bool | None
    if value is ABSENT:
        present = False
    elif isinstance(value, Known) or (isinstance(value, Unknown) and not value.may_be_absent):
        present = True
    else:
        present = None
    if present is None:
        truth = Truth.TRUE if wanted == {"true", "false"} else Truth.UNKNOWN
    else:
        truth = Truth.TRUE if ("false" if present else "true") in wanted else Truth.FALSE
    return truth, render.clause(op, key, sorted(wanted))
