"""How a Condition block combines, what an absent key means, and which keys AWS puts in a request when.

Pages quoted (IAM User Guide; current English text where the docs index had it, otherwise the page's last
public source, github.com/awsdocs/iam-user-guide, archived June 2023, named as "archived"):
- OPERATORS: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- MULTIPLE: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
- SETS: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
  (ForAllValues / ForAnyValue sentences from the archived reference_policies_multi-value-conditions.md)
- GLOBAL: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html (archived)
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from connectors.aws.conditions import (
    ABSENT,
    OPERATORS,
    UNKNOWN,
    ContextValue,
    RequestContext,
    Truth,
    Unknown,
    evaluate,
    known,
    not_any_of,
)
from connectors.aws.policy import _OPERATORS as PARSER_OPERATORS

T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN
ORG = "o-abc"


def run(condition: object, context: Mapping[str, ContextValue]) -> Truth:
    return evaluate(condition, RequestContext(context)).truth


@pytest.mark.parametrize(
    ("operator", "expected"),
    [("StringEquals", F), ("StringLike", F), ("ArnLike", F), ("StringNotLike", T), ("ArnNotLike", T),
     ("StringNotEquals", T), ("NotIpAddress", T), ("IpAddress", F)],
)  # fmt: skip
def test_an_absent_key_fails_a_match_and_satisfies_a_negated_match(operator: str, expected: Truth) -> None:
    """OPERATORS (current page): "If the key that you specify in a policy condition is not present in the
    request context, the values do not match and the condition is false. If the policy condition requires that
    the key is not matched, such as StringNotLike or ArnNotLike, and the right key is not present, the
    condition is true." """
    value = "10.0.0.0/8" if "Ip" in operator else "arn:aws:sns:us-east-1:111122223333:topic"
    assert run({operator: {"aws:SourceArn": value, "aws:SourceIp": value}}, {
        "aws:SourceArn": ABSENT, "aws:SourceIp": ABSENT
    }) is expected  # fmt: skip


def test_operators_and_keys_are_anded_values_ored_negated_values_nored() -> None:
    """MULTIPLE (current page): "If your policy statement has multiple condition operators, the condition
    operators are evaluated using a logical AND." "If your policy statement has multiple context keys
    attached to a single condition operator, the context keys are evaluated using a logical AND." "If a
    single condition operator includes multiple values for a context key, those values are evaluated using a
    logical OR." "If a single negated matching condition operator includes multiple values for a context key,
    those values are evaluated using a logical NOR." """
    context = {"aws:PrincipalAccount": known("111122223333"), "aws:SourceVpce": known("vpce-1")}
    assert run({"StringEquals": {"aws:PrincipalAccount": ["444455556666", "111122223333"]}}, context) is T
    assert run({"StringNotEquals": {"aws:PrincipalAccount": ["444455556666", "111122223333"]}}, context) is F
    assert run({"StringNotEquals": {"aws:PrincipalAccount": ["444455556666", "777788889999"]}}, context) is T
    both_keys = {"StringEquals": {"aws:PrincipalAccount": "111122223333", "aws:SourceVpce": "vpce-2"}}
    assert run(both_keys, context) is F
    both_operators = {
        "StringEquals": {"aws:PrincipalAccount": "111122223333"},
        "StringLike": {"aws:SourceVpce": "vpce-*"},
    }
    assert run(both_operators, context) is T


def test_an_unknown_part_and_a_false_part_make_false() -> None:
    """Kleene AND: one clause known false decides the block, whatever Recertify does not know."""
    condition = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "StringEquals": {"aws:PrincipalAccount": "1"}}
    outcome = evaluate(condition, RequestContext({"aws:PrincipalAccount": known("2")}))
    assert outcome.truth is F and outcome.parts == ()


def test_if_exists_is_true_when_the_key_is_absent_and_compares_when_present() -> None:
    """OPERATORS: "If the policy key is present in the context of the request, process the key as specified in
    the policy. If the key is not present, evaluate the condition element as true." """
    condition = {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}
    assert run(condition, {"ec2:InstanceType": ABSENT}) is T
    assert run(condition, {"ec2:InstanceType": known("t2.micro")}) is T
    assert run(condition, {"ec2:InstanceType": known("p4d.24xlarge")}) is F
    assert run(condition, {}) is U


def test_deny_with_a_negated_if_exists_still_applies_when_the_key_is_missing() -> None:
    """OPERATORS: "If you are using an "Effect": "Deny" element with a negated condition operator like
    StringNotEqualsIfExists, the request is still denied even if the tag is missing." """
    condition = {"StringNotEqualsIfExists": {"aws:PrincipalTag/team": "payroll"}}
    assert run(condition, {"aws:PrincipalTag/team": ABSENT}) is T
    assert run(condition, {"aws:PrincipalTag/team": known("payroll")}) is F


def test_null_checks_presence() -> None:
    """OPERATORS: "Use a Null condition operator to check if a condition key is absent at the time of
    authorization. In the policy statement, use either true (the key doesn't exist — it is null) or false (the
    key exists and its value is not null)." """
    assert run({"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": ABSENT}) is T
    assert (
        run({"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": known("2020-01-01T00:00:00Z")})
        is F
    )
    assert (
        run({"Null": {"aws:TokenIssueTime": False}}, {"aws:TokenIssueTime": known("2020-01-01T00:00:00Z")})
        is T
    )
    assert run({"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": ABSENT}) is F
    assert run({"Null": {"aws:TokenIssueTime": "true"}}, {}) is U
    assert (
        run({"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": Unknown(may_be_absent=False)})
        is T
    )
    assert run({"Null": {"aws:TokenIssueTime": ["true", "false"]}}, {}) is T


def test_if_exists_cannot_qualify_null() -> None:
    """OPERATORS: "You can add IfExists to the end of any condition operator name except the Null
    condition"."""
    outcome = evaluate({"NullIfExists": {"aws:TokenIssueTime": "true"}}, RequestContext())
    assert outcome.truth is U and outcome.unreadable


def test_for_all_values_requires_every_request_value_to_match_and_is_true_without_the_key() -> None:
    """Archived multi-value page: "ForAllValues – ... The condition returns true if every key value in the
    request matches at least one value in the policy. It also returns true if there are no keys in the
    request, or if the key values resolve to a null data set, such as an empty string." Example: only ID,
    Message, Tags may be requested; "if the user's request includes the UserName attribute, the request
    fails"."""
    condition = {"ForAllValues:StringEquals": {"dynamodb:Attributes": ["ID", "Message", "Tags"]}}
    assert run(condition, {"dynamodb:Attributes": known("ID", "Message", "Tags")}) is T
    assert run(condition, {"dynamodb:Attributes": known("Message", "UserName")}) is F
    assert run(condition, {"dynamodb:Attributes": ABSENT}) is T


def test_for_any_value_needs_one_match_and_is_false_without_the_key() -> None:
    """Archived multi-value page: "ForAnyValue – ... The condition returns true if any one of the key values
    in the request matches any one of the condition values in the policy. For no matching key or a null
    dataset, the condition returns false." Example: Deny when PostDateTime is among the updated attributes."""
    condition = {"ForAnyValue:StringEquals": {"dynamodb:Attributes": ["ID", "PostDateTime"]}}
    assert run(condition, {"dynamodb:Attributes": known("PostDateTime", "Message")}) is T
    assert run(condition, {"dynamodb:Attributes": known("Message")}) is F
    assert run(condition, {"dynamodb:Attributes": ABSENT}) is F
    assert (
        run(
            {"ForAnyValue:StringEqualsIfExists": {"dynamodb:Attributes": "ID"}},
            {"dynamodb:Attributes": ABSENT},
        )
        is T
    )


def test_negated_operator_under_a_set_qualifier_applies_nor_to_each_request_value() -> None:
    """Each request value is tested with the operator that follows the qualifier, and a negated operator's
    values are a NOR (MULTIPLE): every tag key must start with none of the listed prefixes."""
    condition = {"ForAllValues:StringNotLike": {"aws:TagKeys": ["key1*", "key2*"]}}
    assert run(condition, {"aws:TagKeys": known("key3", "other")}) is T
    assert run(condition, {"aws:TagKeys": known("key3", "key1:legal")}) is F
    assert run(condition, {"aws:TagKeys": ABSENT}) is T


def test_several_request_values_without_a_set_operator_are_not_guessed() -> None:
    """SETS (current page): "Multivalued context keys require a condition set operator." What AWS does without
    one is not documented, so the answer is unknown and flagged."""
    outcome = evaluate(
        {"StringEquals": {"aws:TagKeys": "a"}}, RequestContext({"aws:TagKeys": known("a", "b")})
    )
    assert outcome.truth is U and outcome.unreadable and "no set operator" in outcome.text


def test_resource_control_policy_org_guard_is_exact_for_members_and_outsiders() -> None:
    """GLOBAL, aws:PrincipalOrgID: "This key is included in the request context only if the principal is a
    member of an organization. Anonymous requests do not include this key." So a Deny with
    StringNotEqualsIfExists aws:PrincipalOrgID o-abc never applies to a member and always applies to anyone
    else: another organisation's principal (a different id) or an account in no organisation (no key)."""
    deny_when = {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}}
    assert run(deny_when, {"aws:PrincipalOrgID": known(ORG)}) is F
    assert run(deny_when, {"aws:PrincipalOrgID": not_any_of(ORG)}) is T
    assert run(deny_when, {"aws:PrincipalOrgID": ABSENT}) is T


def test_public_grant_narrowed_to_the_organisation_is_conditional_and_says_so() -> None:
    """A bucket policy allowing Principal "*" with StringEquals aws:PrincipalOrgID: for "anyone" the request
    context is unknown, so the grant holds under a condition, shown in words; for an outsider or an anonymous
    caller (GLOBAL: "Anonymous requests do not include this key") it does not hold."""
    condition = {"StringEquals": {"aws:PrincipalOrgID": ORG}}
    outcome = evaluate(condition, RequestContext())
    assert outcome.truth is U and outcome.text == "aws:PrincipalOrgID is o-abc"
    assert run(condition, {"aws:PrincipalOrgID": not_any_of(ORG)}) is F
    assert run(condition, {"aws:PrincipalOrgID": ABSENT}) is F


def test_principal_is_aws_service_is_missing_for_anonymous_callers() -> None:
    """GLOBAL, aws:PrincipalIsAWSService: "This key is present in the request context for all signed API
    requests that use AWS credentials. Anonymous requests do not include this key." A data-perimeter Deny
    with BoolIfExists "false" applies to an IAM principal ("false") and to an anonymous caller (no key), never
    to a service principal ("The request context key is set to true when a service uses a service principal
    to perform a direct action on your resources")."""
    deny_when = {"BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}
    assert run(deny_when, {"aws:PrincipalIsAWSService": known("false")}) is T
    assert run(deny_when, {"aws:PrincipalIsAWSService": known("true")}) is F
    assert run(deny_when, {"aws:PrincipalIsAWSService": ABSENT}) is T
    assert run({"Bool": {"aws:PrincipalIsAWSService": "false"}}, {"aws:PrincipalIsAWSService": ABSENT}) is F


def test_source_account_is_absent_when_a_principal_calls_directly() -> None:
    """GLOBAL, aws:SourceAccount: "This key is included in the request context only if accessing a resource
    triggers an AWS service to call another service on behalf of the resource owner." A person calling S3
    directly has none: a confused-deputy Allow on it does not hold for them, a Deny on its mismatch does."""
    assert run({"StringEquals": {"aws:SourceAccount": "111122223333"}}, {"aws:SourceAccount": ABSENT}) is F
    assert run({"StringNotEquals": {"aws:SourceAccount": "111122223333"}}, {"aws:SourceAccount": ABSENT}) is T


def test_username_is_absent_for_roles_and_tags_absent_once_all_are_known() -> None:
    """GLOBAL, aws:username: "Anonymous requests and requests that are made using the AWS account root user or
    IAM roles do not include this key." aws:PrincipalTag: "This key is included in the request context if the
    principal is using an IAM user with attached tags"; OPERATORS: "If a user without the tag attempts to view
    or edit an access key, the condition returns false"."""
    role = RequestContext(
        {"aws:username": ABSENT, "aws:PrincipalTag/team": known("hr")}, closed=["aws:PrincipalTag/"]
    )
    assert evaluate({"StringEquals": {"aws:username": "ana"}}, role).truth is F
    assert evaluate({"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}, role).truth is F
    assert evaluate({"StringEquals": {"aws:PrincipalTag/Team": "hr"}}, role).truth is T
    assert evaluate({"StringEquals": {"aws:SourceIp": "x"}}, role).truth is U  # not under the closed prefix


def test_unknown_parts_are_rendered_for_a_reader() -> None:
    condition = {
        "IpAddress": {"aws:SourceIp": ["192.168.0.0/16", "10.0.0.0/8"]},
        "StringNotEquals": {"aws:PrincipalOrgID": ORG},
        "StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"},
        "ForAnyValue:StringLike": {"aws:TagKeys": "team*"},
        "Null": {"aws:TokenIssueTime": "true"},
    }
    outcome = evaluate(condition, RequestContext())
    assert outcome.truth is U and not outcome.unreadable
    assert [part.text for part in outcome.parts] == [
        "aws:PrincipalOrgID is not o-abc",
        "aws:SourceIp is in one of 10.0.0.0/8, 192.168.0.0/16",
        "aws:SourceVpce is vpce-1 (if present)",
        "aws:TokenIssueTime is absent",
        "some value of aws:TagKeys matches team*",
    ]
    assert [part.key for part in outcome.parts][0] == "aws:PrincipalOrgID"


def test_what_is_known_narrows_the_rendered_part() -> None:
    """An outsider's org id is none of ours: only the other value can still hold; with IfExists and every
    value ruled out, the clause holds exactly when the key is absent."""
    outsider = RequestContext({"aws:PrincipalOrgID": not_any_of(ORG)})
    narrowed = evaluate({"StringEquals": {"aws:PrincipalOrgID": [ORG, "o-partner"]}}, outsider)
    assert narrowed.truth is U and narrowed.text == "aws:PrincipalOrgID is o-partner"
    absent_only = evaluate({"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}, outsider)
    assert absent_only.truth is U and absent_only.text == "aws:PrincipalOrgID is absent"


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ("StringEquals", "not an object"),
        ({"StringEquals": "aws:SourceVpce"}, "must map one or more condition keys"),
        ({"StringEquals": {}}, "must map one or more condition keys"),
        ({"StringEqualz": {"aws:SourceVpce": "v"}}, "unknown condition operator 'StringEqualz'"),
        ({"ForEveryValue:StringEquals": {"aws:SourceVpce": "v"}}, "unknown condition operator"),
        ({"ForAnyValue:ForAllValues:StringEquals": {"aws:SourceVpce": "v"}}, "unknown condition operator"),
        ({"StringEquals": {"aws:SourceVpce": []}}, "an empty list of values"),
        ({"StringEquals": {"aws:SourceVpce": {"a": 1}}}, "not a string, number or boolean"),
        ({"StringEquals": {"aws:SourceVpce": None}}, "not a string, number or boolean"),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}}, "not an IP address or CIDR block"),
        ({"NumericLessThan": {"s3:max-keys": "ten"}}, "is not a number"),
        ({"ForAnyValue:Null": {"aws:TagKeys": "true"}}, "not documented for Null"),
    ],
)
def test_a_malformed_block_is_unknown_with_the_reason(condition: object, reason: str) -> None:
    """Nothing is guessed and nothing raises: UNKNOWN, flagged unreadable, with a one-line reason."""
    outcome = evaluate(
        condition, RequestContext({"aws:SourceVpce": known("v"), "aws:SourceIp": known("10.1.1.1")})
    )
    assert outcome.truth is U and outcome.unreadable
    assert reason in outcome.text


def test_a_request_value_the_operator_cannot_read_is_unknown() -> None:
    outcome = evaluate(
        {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, RequestContext({"aws:SourceIp": known("vpce")})
    )
    assert outcome.truth is U and outcome.unreadable and "not an IP address" in outcome.text


def test_no_condition_holds_and_the_operator_list_matches_the_parser() -> None:
    assert evaluate(None, RequestContext()).truth is T
    assert evaluate({}, RequestContext()).truth is T
    assert set(OPERATORS) == set(PARSER_OPERATORS)


def test_a_context_rejects_contradictions() -> None:
    with pytest.raises(ValueError, match="given twice"):
        RequestContext({"aws:SourceIp": known("1.1.1.1"), "AWS:SourceIp": known("2.2.2.2")})
    principal = RequestContext({"aws:PrincipalAccount": known("1")})
    with pytest.raises(ValueError, match="given twice"):
        principal.merged(RequestContext({"aws:principalaccount": known("2")}))
    merged = principal.merged(RequestContext({"aws:ResourceAccount": known("1")}))
    assert merged.value("AWS:RESOURCEACCOUNT") == known("1") and merged.value("aws:SourceIp") is UNKNOWN
    with pytest.raises(ValueError, match="one or more strings"):
        known()
