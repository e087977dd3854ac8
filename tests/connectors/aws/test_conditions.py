"""Condition operators, one documented rule per test (connectors/aws/conditions).

Quotes come from the IAM User Guide page "IAM JSON policy elements: Condition operators",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
(the absent-key sentence checked against the current page; the others from the page's last public
source, github.com/awsdocs/iam-user-guide, doc_source/reference_policies_elements_condition_operators.md,
archived June 2023, as the current English page could not be retrieved here), unless a test names another
page.
"""

from __future__ import annotations

import pytest

from connectors.aws.conditions import ABSENT, UNKNOWN, ContextValue, RequestContext, Truth, evaluate, known

T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN


def truth(condition: object, **values: str | ContextValue) -> Truth:
    """Evaluate with a context given as keyword arguments: `aws_SourceIp` is aws:SourceIp, `s3_max_keys` is
    s3:max-keys (the first underscore a colon, the others hyphens); a string is a known value."""
    context: dict[str, ContextValue] = {}
    for name, value in values.items():
        key = name.replace("_", ":", 1).replace("_", "-")
        context[key] = known(value) if isinstance(value, str) else value
    return evaluate(condition, RequestContext(context)).truth


def test_string_equals_is_exact_and_case_sensitive() -> None:
    """Condition element page: "the following condition includes the StringEquals operator to ensure that only
    requests made by johndoe match. Users named JohnDoe are denied access." Operators table: "StringEquals |
    Exact matching, case sensitive"."""
    condition = {"StringEquals": {"aws:username": "johndoe"}}
    assert truth(condition, aws_username="johndoe") is T
    assert truth(condition, aws_username="JohnDoe") is F
    assert truth({"StringEquals": {"aws:username": "john*"}}, aws_username="johndoe") is F  # no wildcards
    assert truth({"StringEquals": {"aws:username": "john*"}}, aws_username="john*") is T


def test_string_equals_ignore_case() -> None:
    """ "StringEqualsIgnoreCase | Exact matching, ignoring case"; "StringNotEqualsIgnoreCase | Negated
    matching, ignoring case"."""
    assert truth({"StringEqualsIgnoreCase": {"aws:username": "johndoe"}}, aws_username="JohnDoe") is T
    assert truth({"StringNotEqualsIgnoreCase": {"aws:username": "johndoe"}}, aws_username="JOHNDOE") is F
    assert truth({"StringNotEqualsIgnoreCase": {"aws:username": "johndoe"}}, aws_username="jane") is T


def test_string_like_wildcards_and_case() -> None:
    """ "StringLike | Case-sensitive matching. The values can include multi-character match wildcards (*) and
    single-character match wildcards (?) anywhere in the string. You must specify wildcards to achieve partial
    string matches." """
    assert truth({"StringLike": {"s3:prefix": "home/*"}}, s3_prefix="home/ana/cv.pdf") is T
    assert truth({"StringLike": {"s3:prefix": "home/*"}}, s3_prefix="Home/ana") is F
    assert truth({"StringLike": {"s3:prefix": "home"}}, s3_prefix="home/ana") is F
    assert truth({"StringLike": {"s3:prefix": "h?me"}}, s3_prefix="home") is T
    assert truth({"StringLike": {"s3:prefix": "h?me"}}, s3_prefix="hoome") is F
    assert truth({"StringNotLike": {"s3:prefix": "home/*"}}, s3_prefix="public/x") is T


def test_numeric_operators_compare_integers_and_decimals() -> None:
    """ "Numeric condition operators let you construct Condition elements that restrict access based on
    comparing a key to an integer or decimal value." Example: NumericLessThanEquals with s3:max-keys 10."""
    condition = {"NumericLessThanEquals": {"s3:max-keys": "10"}}
    assert truth(condition, s3_max_keys="10") is T
    assert truth(condition, s3_max_keys="11") is F
    assert truth({"NumericEquals": {"s3:max-keys": 10}}, s3_max_keys="10.0") is T  # a JSON number
    assert truth({"NumericNotEquals": {"s3:max-keys": ["5", "7"]}}, s3_max_keys="6") is T
    assert truth({"NumericGreaterThan": {"s3:max-keys": "1.5"}}, s3_max_keys="2") is T
    assert truth({"NumericLessThan": {"s3:max-keys": "1.5"}}, s3_max_keys="2") is F
    assert truth({"NumericGreaterThanEquals": {"s3:max-keys": "2"}}, s3_max_keys="2") is T


def test_date_operators_accept_iso_8601_and_epoch() -> None:
    """ "You must specify date/time values with one of the W3C implementations of the ISO 8601 date formats or
    in epoch (UNIX) time." Example: DateGreaterThan aws:TokenIssueTime "2020-01-01T00:00:01Z"."""
    condition = {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}
    assert truth(condition, aws_TokenIssueTime="2020-06-30T12:00:00Z") is T
    assert truth(condition, aws_TokenIssueTime="2019-12-31T23:59:59Z") is F
    assert truth(condition, aws_TokenIssueTime="1593518400") is T  # epoch seconds for 2020-06-30T12:00:00Z
    assert (
        truth({"DateLessThan": {"aws:CurrentTime": "2020-01-01"}}, aws_CurrentTime="2019-12-31T23:00Z") is T
    )
    assert truth({"DateEquals": {"aws:EpochTime": "1577836800"}}, aws_EpochTime="2020-01-01T00:00:00Z") is T
    assert (
        truth({"DateNotEquals": {"aws:EpochTime": "1577836800"}}, aws_EpochTime="2020-01-01T01:00:00+01:00")
        is F
    )
    assert truth({"DateLessThanEquals": {"aws:CurrentTime": "2020-01"}}, aws_CurrentTime="2020-01-01") is T
    assert (
        truth({"DateGreaterThanEquals": {"aws:CurrentTime": "2020-01-02"}}, aws_CurrentTime="2020-01-01") is F
    )


def test_date_wildcards_are_unreadable() -> None:
    """ "Wildcards are not permitted for date condition operators." Such a value cannot be compared: unknown,
    flagged as unreadable rather than guessed."""
    outcome = evaluate(
        {"DateGreaterThan": {"aws:CurrentTime": "2020-*"}},
        RequestContext({"aws:CurrentTime": known("2021-01-01T00:00:00Z")}),
    )
    assert outcome.truth is U and outcome.unreadable and "not an ISO 8601 date" in outcome.text


def test_bool_compares_true_and_false_including_json_booleans() -> None:
    """ "Boolean conditions let you construct Condition elements that restrict access based on comparing a key
    to "true" or "false." " Example: Bool aws:SecureTransport "false" to deny requests not over SSL."""
    assert truth({"Bool": {"aws:SecureTransport": "false"}}, aws_SecureTransport="false") is T
    assert truth({"Bool": {"aws:SecureTransport": False}}, aws_SecureTransport="true") is F
    assert truth({"Bool": {"aws:SecureTransport": "True"}}, aws_SecureTransport="true") is T
    outcome = evaluate({"Bool": {"aws:SecureTransport": "yes"}}, RequestContext())
    assert outcome.truth is U and outcome.unreadable


def test_binary_equals_compares_bytes_of_base64() -> None:
    """ "It compares the value of the specified key byte for byte against a base-64 encoded representation of
    the binary value in the policy." """
    assert (
        truth({"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, key="QmluYXJ5VmFsdWVJbkJhc2U2NA==")
        is T
    )
    assert truth({"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, key="QmluYXJ5") is F
    assert evaluate({"BinaryEquals": {"key": "not base64!"}}, RequestContext()).unreadable


@pytest.mark.parametrize(
    ("operator", "cidr", "address", "expected"),
    [
        ("IpAddress", "203.0.113.0/24", "203.0.113.7", T),
        ("IpAddress", "203.0.113.0/24", "203.0.114.7", F),
        ("IpAddress", "2001:DB8:1234:5678::/64", "2001:db8:1234:5678::1", T),
        ("IpAddress", "2001:DB8:1234:5678::/64", "2001:db8:1234:5679::1", F),
        ("IpAddress", "203.0.113.7", "203.0.113.7", T),  # no prefix: /32
        ("IpAddress", "203.0.113.7", "203.0.113.8", F),
        ("IpAddress", "203.0.113.0/24", "2001:db8::1", F),  # an IPv6 request against an IPv4 range
        ("NotIpAddress", "203.0.113.0/24", "198.51.100.1", T),
        ("NotIpAddress", "203.0.113.0/24", "203.0.113.1", F),
    ],
)
def test_ip_address_operators(operator: str, cidr: str, address: str, expected: Truth) -> None:
    """ "The value must be in the standard CIDR format (for example, 203.0.113.0/24 or
    2001:DB8:1234:5678::/64). If you specify an IP address without the associated routing prefix, IAM uses
    the default prefix value of /32." NotIpAddress: "All IP addresses except the specified IP address or
    range"."""
    assert truth({operator: {"aws:SourceIp": cidr}}, aws_SourceIp=address) is expected


def test_arn_operators_match_each_of_the_six_parts_separately() -> None:
    """ArnEquals, ArnLike: "Case-sensitive matching of the ARN. Each of the six colon-delimited components of
    the ARN is checked separately and each can include multi-character match wildcards (*) or single-character
    match wildcards (?). The ArnEquals and ArnLike condition operators behave identically." And: "With a
    StringLike condition, the match succeeds. ... With an ArnLike condition, which matches elements between
    colons, the match fails." """
    pattern = "arn:aws:someservice:*:111122223333:finance/*"
    request = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    assert truth({"StringLike": {"aws:SourceArn": pattern}}, aws_SourceArn=request) is T
    assert truth({"ArnLike": {"aws:SourceArn": pattern}}, aws_SourceArn=request) is F
    assert truth({"ArnEquals": {"aws:SourceArn": pattern}}, aws_SourceArn=request) is F
    good = "arn:aws:someservice:us-east-2:111122223333:finance/report.txt"
    assert truth({"ArnEquals": {"aws:SourceArn": pattern}}, aws_SourceArn=good) is T
    assert (
        truth(
            {"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-?:1:t"}},
            aws_SourceArn="arn:aws:sns:us-east-2:1:t",
        )
        is T
    )
    assert (
        truth({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:1:T"}}, aws_SourceArn="arn:aws:sns:eu-west-1:1:t")
        is F
    )
    assert truth({"ArnNotLike": {"aws:SourceArn": pattern}}, aws_SourceArn=request) is T
    assert truth({"ArnNotEquals": {"aws:SourceArn": pattern}}, aws_SourceArn=good) is F
    assert (
        truth(
            {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket/a:b"}}, aws_SourceArn="arn:aws:s3:::bucket/a:b"
        )
        is T
    )
    assert truth({"ArnLike": {"aws:SourceArn": pattern}}, aws_SourceArn="not-an-arn") is F


def test_arn_operator_with_a_value_that_is_not_an_arn_is_unreadable() -> None:
    outcome = evaluate(
        {"ArnLike": {"aws:SourceArn": "*"}}, RequestContext({"aws:SourceArn": known("arn:aws:sns:r:1:t")})
    )
    assert outcome.truth is U and outcome.unreadable and "not an ARN" in outcome.text


def test_policy_variables_are_substituted_when_known() -> None:
    """ "You can use a policy variable with the String condition operator." and "...with the ARN condition
    operator"; a variable whose value Recertify does not know leaves the comparison unknown."""
    condition = {"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}}
    assert truth(condition, s3_prefix="home/ana/cv.pdf", aws_username="ana") is T
    assert truth(condition, s3_prefix="home/bob/cv.pdf", aws_username="ana") is F
    outcome = evaluate(condition, RequestContext({"s3:prefix": known("home/bob/cv.pdf")}))
    assert outcome.truth is U and outcome.text == "s3:prefix matches home/${aws:username}/*"
    arn = {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/${aws:username}"}}
    assert truth(arn, aws_PrincipalArn="arn:aws:iam::111122223333:user/ana", aws_username="ana") is T


def test_policy_variable_with_no_value() -> None:
    """Policy variables page: "When you use a variable with no value in the condition element of an IAM
    policy, IAM JSON policy elements: Condition operators like StringEquals or StringLike do not match" and
    "Inverted condition operators like StringNotEquals or StringNotLike do match against a null value"; a
    default: "surround the default value with single quotes (' '), and separate the variable text and the
    default value with a comma and space (, )". (github.com/awsdocs/iam-user-guide,
    reference_policies_variables.md.)"""
    equal = {"StringEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}
    not_equal = {"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}
    context: dict[str, ContextValue] = {
        "s3:ExistingObjectTag/Team": known("red"),
        "aws:PrincipalTag/Team": ABSENT,
    }
    assert evaluate(equal, RequestContext(context)).truth is F
    assert evaluate(not_equal, RequestContext(context)).truth is T
    defaulted = {"StringEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team, 'red'}"}}
    assert evaluate(defaulted, RequestContext(context)).truth is T


def test_a_multivalued_key_is_no_variable() -> None:
    """Policy variables page: "You can use any single-valued condition key as a variable. You can't use a
    multivalued condition key as a variable." (github.com/awsdocs/iam-user-guide,
    reference_policies_variables.md.) A request with several values for the variable's key is therefore not
    compared: unknown, flagged."""
    context = RequestContext({"s3:prefix": known("home/a"), "aws:TagKeys": known("a", "b")})
    outcome = evaluate({"StringLike": {"s3:prefix": "home/${aws:TagKeys}"}}, context)
    assert outcome.truth is U and outcome.unreadable and "has 2 values" in outcome.text


def test_special_variables_stand_for_literal_characters() -> None:
    """ "${*} - use where you need an * (asterisk) character." "${?} - use where you need a ? (question mark)
    character." (Policy variables page, github.com/awsdocs/iam-user-guide.)"""
    condition = {"StringLike": {"s3:prefix": "a${*}b${?}"}}
    assert truth(condition, s3_prefix="a*b?") is T
    assert truth(condition, s3_prefix="axxb!") is F


def test_variables_are_not_read_in_numeric_operators() -> None:
    """ "You can not use a policy variable with the Numeric condition operator." The text is then no
    number."""
    outcome = evaluate(
        {"NumericEquals": {"s3:max-keys": "${aws:username}"}}, RequestContext({"s3:max-keys": known("1")})
    )
    assert outcome.truth is U and outcome.unreadable


def test_a_key_name_is_case_insensitive_tag_key_too() -> None:
    """Condition element page: "Condition key names are not case-sensitive. For example, including the
    aws:SourceIP condition key is equivalent to testing for AWS:SourceIp." and "if you specify
    "aws:ResourceTag/TagKey1": "Value1" in the condition element of your policy, then the condition matches a
    resource tag key named either TagKey1 or tagkey1"."""
    context = RequestContext(
        {"AWS:SourceIp": known("203.0.113.7"), "aws:principaltag/tagkey1": known("Value1")}
    )
    assert evaluate({"IpAddress": {"aws:SourceIP": "203.0.113.0/24"}}, context).truth is T
    assert evaluate({"StringEquals": {"aws:PrincipalTag/TagKey1": "Value1"}}, context).truth is T
    assert (
        evaluate({"StringEquals": {"aws:PrincipalTag/TagKey1": "value1"}}, context).truth is F
    )  # values: by operator


def test_unknown_request_value_leaves_the_comparison_unknown() -> None:
    assert truth({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, aws_SourceIp=UNKNOWN) is U
    assert (
        truth({"StringLike": {"aws:PrincipalOrgID": "*"}}, aws_PrincipalOrgID=UNKNOWN) is U
    )  # may be absent
