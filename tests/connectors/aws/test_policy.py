"""The policy parser corpus (TESTING.md "Parsers"): nothing escapes as an exception; every statement is
Allow, Deny or unknown; unknown is flagged (and so reviewed, never auto-revoked); order never matters."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.aws.access import effective_access
from connectors.aws.policy import Effect, parse_policy
from tests.connectors.aws.differential_cases import ACTIONS, IDENTITY_RESOURCES, documents
from tests.data.aws.inventory import ANA_ARN, PAYROLL, account, bucket, inventory, policy, user

S3 = f"{PAYROLL}/*"
document = documents(ACTIONS, IDENTITY_RESOURCES)  # the differential test's identity policies


@pytest.mark.parametrize(
    ("doc", "effects", "problem"),
    [
        ({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": S3}]}, ["Allow"], None),
        (
            {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:List*"], "Resource": S3}]},
            ["Allow"],
            None,
        ),
        ({"Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}}, ["Deny"], None),  # an object
        ({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}, ["Allow"], None),
        ({"Statement": [{"Effect": "Deny", "NotAction": "s3:Get*", "NotResource": S3}]}, ["Deny"], None),
        ({"Statement": [{"Action": "s3:*", "Resource": "*"}]}, ["unknown"], "neither Allow nor Deny"),
        (
            {"Statement": [{"Effect": "allow", "Action": "s3:*", "Resource": "*"}]},
            ["unknown"],
            "neither Allow",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "payroll"}]},
            ["Allow"],
            "not an ARN",
        ),
        ({"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}, ["Allow"], "no Resource or NotResource"),
        ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, ["Allow"], "no Action or NotAction"),
        ({"Statement": [{"Effect": "Allow", "Action": 7, "Resource": "*"}]}, ["Allow"], "string or a list"),
        ({"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}, ["Allow"], "string or a list"),
        (
            {"Statement": [{"Effect": "Allow", "Action": "s3:*", "NotAction": "iam:*", "Resource": "*"}]},
            ["Allow"],
            "both Action and NotAction",
        ),
        (
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "s3:*",
                        "Resource": "*",
                        "Condition": {"StringLikeish": {"a": "b"}},
                    }
                ]
            },
            ["Allow"],
            "unknown condition operator",
        ),
        (
            {
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Action": "s3:*",
                        "Resource": "*",
                        "Condition": {"ForAnyValue:StringLikeIfExists": {"a": "b"}},
                    }
                ]
            },
            ["Deny"],
            None,
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": "yes"}]},
            ["Allow"],
            "Condition must map",
        ),
        ({"Statement": ["not a statement"]}, ["unknown"], "not an object"),
        ({"Version": "2012-10-17"}, ["unknown"], "no Statement"),
        ("{not json", ["unknown"], "not valid JSON"),
        ([1, 2, 3], ["unknown"], "no Statement"),
    ],
)
def test_corpus(doc: Any, effects: list[str], problem: str | None) -> None:
    parsed = parse_policy(doc)
    assert [str(s.effect) for s in parsed.statements] == effects
    if problem is None:
        assert parsed.problems == []
    else:
        assert len(parsed.problems) == 1 and problem in parsed.problems[0]


def test_a_conditional_deny_is_conditional_not_unknown() -> None:
    [statement] = parse_policy(
        {
            "Statement": {
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        }
    ).statements
    assert statement.effect is Effect.DENY and statement.conditional and statement.problem is None


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | st.sampled_from(["Allow", "Deny", "*", S3]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Statement",
                    "Effect",
                    "Action",
                    "NotAction",
                    "Resource",
                    "NotResource",
                    "Condition",
                    "Principal",
                    "Sid",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_nothing_escapes_as_an_exception(raw: Any) -> None:
    parsed = parse_policy(raw)
    empty = isinstance(raw, dict) and raw.get("Statement") == []  # a policy of no statements grants nothing
    assert parsed.statements or empty
    assert all(s.effect in (Effect.ALLOW, Effect.DENY, Effect.UNKNOWN) for s in parsed.statements)
    assert all(
        s.problem or s.effect is not Effect.UNKNOWN for s in parsed.statements
    )  # unknown always says why


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_an_unreadable_policy_never_makes_a_certain_grant(raw: Any) -> None:
    broken = policy("Broken")
    broken = type(broken)(broken.arn, broken.name, raw if isinstance(raw, dict) else json.dumps(raw), False)
    inv = inventory(account(users=(user("ana", policies=(broken,)),), policies=(broken,), stores=(bucket(),)))
    for grant in effective_access(inv).grants:
        problems = parse_policy(broken.document).problems
        if problems:
            assert grant.needs_human_review, f"{grant} came from a policy with problems {problems}"


def _shuffled(doc: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    statements = data.draw(st.permutations(doc["Statement"]))
    return {
        **doc,
        "Statement": [
            {k: data.draw(st.permutations(v)) if isinstance(v, list) else v for k, v in s.items()}
            for s in statements
        ],
    }


@settings(max_examples=100, deadline=None)
@given(st.lists(document, min_size=1, max_size=3), st.data())
def test_results_do_not_depend_on_order(docs: list[dict[str, Any]], data: st.DataObject) -> None:
    def grants(documents: list[dict[str, Any]]) -> set[tuple[str, str, bool]]:
        managed = tuple(policy(f"p{i}", *d["Statement"]) for i, d in enumerate(documents))
        inv = inventory(account(users=(user("ana", policies=managed),), policies=managed, stores=(bucket(),)))
        return {
            (str(g.access), str(g.path[-1]) if len(documents) == 1 else "", g.conditional)
            for g in effective_access(inv).grants
            if g.principal_provider_id == ANA_ARN
        }

    reordered = [_shuffled(d, data) for d in data.draw(st.permutations(docs))]
    assert grants(docs) == grants(reordered)
