"""Properties of the three-valued condition evaluator (hypothesis).

1. Order never matters: reordering values, keys or operators gives the same outcome, parts included (IAM
   combines them with AND / OR / NOR, which do not depend on order).
2. Monotonicity: refining what Recertify does not know into any concrete request (an UNKNOWN becomes ABSENT
   or one value; an "unknown but none of these" becomes ABSENT or one value outside the list) never turns TRUE
   into FALSE or FALSE into TRUE.
3. A fully known request decides every readable condition: UNKNOWN then only comes with an unreadable part.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.aws.conditions import ABSENT, Known, RequestContext, Truth, Unknown, evaluate

# Each key has a domain of request values and a family of operators that make sense for it.
DOMAINS: dict[str, list[str]] = {
    "aws:PrincipalOrgID": ["o-abc", "O-ABC", "o-def", "o-a", ""],
    "aws:username": ["ana", "bob", "Ana", "a*b"],
    "aws:SourceIp": ["10.1.2.3", "192.168.0.9", "203.0.113.7", "2001:db8::1"],
    "s3:max-keys": ["1", "2", "10", "2.5"],
    "aws:SecureTransport": ["true", "false"],
    "aws:SourceArn": ["arn:aws:sns:us-east-1:111122223333:t", "arn:aws:s3:::bucket/a:b", "not-an-arn"],
    "aws:CurrentTime": ["2020-01-01T00:00:00Z", "2021-06-01", "1600000000"],
    "aws:TagKeys": ["team", "cost", "Team"],
}
STRING_VALUES = [
    "o-abc",
    "o-def",
    "ana",
    "ANA",
    "a*",
    "?na",
    "*",
    "${aws:username}",
    "o-${aws:username}",
    "team*",
]
STRINGS = ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"]
FAMILIES: dict[str, tuple[list[str], list[str], list[Any]]] = {
    "string": (
        [*STRINGS, "StringLike", "StringNotLike"],
        ["aws:PrincipalOrgID", "aws:username", "aws:TagKeys"],
        STRING_VALUES,
    ),
    "ip": (
        ["IpAddress", "NotIpAddress"],
        ["aws:SourceIp"],
        ["10.0.0.0/8", "203.0.113.7", "2001:db8::/32", "0.0.0.0/0"],
    ),
    "number": (
        ["NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericGreaterThanEquals"],
        ["s3:max-keys"],
        ["1", 2, "2.5", 10],
    ),
    "bool": (["Bool"], ["aws:SecureTransport"], ["true", False, "TRUE"]),
    "arn": (
        ["ArnLike", "ArnNotLike", "ArnEquals"],
        ["aws:SourceArn"],
        ["arn:aws:sns:*:111122223333:*", "arn:aws:s3:::bucket/*", "arn:aws:sns:us-east-1:111122223333:t"],
    ),
    "date": (
        ["DateLessThan", "DateGreaterThanEquals", "DateEquals"],
        ["aws:CurrentTime"],
        ["2020-06-01", "1600000000"],
    ),
    "null": (["Null"], list(DOMAINS), ["true", "false"]),
}


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    block: dict[str, dict[str, Any]] = {}
    for _ in range(draw(st.integers(1, 3))):
        operators, keys, values = FAMILIES[draw(st.sampled_from(sorted(FAMILIES)))]
        name = draw(st.sampled_from(operators))
        if name != "Null":
            name = draw(st.sampled_from(["", "ForAnyValue:", "ForAllValues:"])) + name
            name += draw(st.sampled_from(["", "IfExists"]))
        body = block.setdefault(name, {})
        for key in draw(st.lists(st.sampled_from(keys), min_size=1, max_size=2, unique=True)):
            picked = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))
            body[key] = picked if len(picked) > 1 or draw(st.booleans()) else picked[0]
    return block


@st.composite
def abstract_contexts(draw: st.DrawFn) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for key, domain in DOMAINS.items():
        kind = draw(st.sampled_from(["known", "known2", "absent", "unknown", "excluding", "present"]))
        if kind == "known":
            context[key] = Known((draw(st.sampled_from(domain)),))
        elif kind == "known2":
            context[key] = Known(
                tuple(draw(st.lists(st.sampled_from(domain), min_size=2, max_size=2, unique=True)))
            )
        elif kind == "absent":
            context[key] = ABSENT
        else:
            excluded = draw(st.lists(st.sampled_from(domain), max_size=2)) if kind == "excluding" else []
            context[key] = Unknown(frozenset(e.casefold() for e in excluded), may_be_absent=kind != "present")
    return context


@st.composite
def concretised(draw: st.DrawFn, context: dict[str, Any]) -> dict[str, Any]:
    """One concrete request among those the abstract context allows."""
    concrete: dict[str, Any] = {}
    for key, value in context.items():
        if not isinstance(value, Unknown):
            concrete[key] = value
            continue
        choices = [v for v in DOMAINS[key] + ["zz-other"] if v.casefold() not in value.excluding]
        options: list[Any] = [Known((choice,)) for choice in choices]
        concrete[key] = draw(st.sampled_from(options + ([ABSENT] if value.may_be_absent else [])))
    return concrete


@st.composite
def shuffled(draw: st.DrawFn, block: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for name in draw(st.permutations(list(block))):
        body = block[name]
        result[name] = {}
        for key in draw(st.permutations(list(body))):
            values = body[key]
            result[name][key] = draw(st.permutations(values)) if isinstance(values, list) else values
    return result


@settings(max_examples=250, deadline=None)
@given(conditions(), abstract_contexts(), st.data())
def test_order_of_values_keys_and_operators_never_changes_the_outcome(
    block: dict[str, dict[str, Any]], context: dict[str, Any], data: st.DataObject
) -> None:
    request = RequestContext(context)
    assert evaluate(data.draw(shuffled(block)), request) == evaluate(block, request)


@settings(max_examples=400, deadline=None)
@given(conditions(), abstract_contexts(), st.data())
def test_refining_the_unknown_never_flips_a_decided_answer(
    block: dict[str, dict[str, Any]], context: dict[str, Any], data: st.DataObject
) -> None:
    abstract = evaluate(block, RequestContext(context))
    concrete = evaluate(block, RequestContext(data.draw(concretised(context))))
    if abstract.truth is not Truth.UNKNOWN:
        assert concrete.truth is abstract.truth, (abstract, concrete)
    if concrete.truth is Truth.UNKNOWN:
        assert concrete.unreadable, concrete  # a fully known request leaves nothing else open
