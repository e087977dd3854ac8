"""S3's definition of a public bucket / access point policy (connectors/aws/public_policy.py).

Quotes: Amazon S3 User Guide, "Blocking public access to your Amazon S3 storage", section "The meaning of
"public"", https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
(text of the guide's last public source, github.com/awsdocs/amazon-s3-userguide,
doc_source/access-control-block-public-access.md, 2023-04-28; the current page's opening paragraphs, which the
docs index does hold, match it, but its "meaning of public" section could not be retrieved here).
"""

from __future__ import annotations

from typing import Any

import pytest

from connectors.aws.public_policy import is_public, statement_is_public, statement_verdicts

ANYONE = {"Principal": "*", "Resource": "*", "Action": "s3:PutObject", "Effect": "Allow"}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def limited(operator: str, key: str, value: object) -> dict[str, Any]:
    return {**ANYONE, "Condition": {operator: {key: value}}}


def test_the_documented_public_examples() -> None:
    """ "Under these rules, the following example policies are considered public." The three examples: a
    Federated graph.facebook.com principal; Principal "*"; Principal "*" with StringLike aws:SourceVpc
    "vpc-*"."""
    facebook = {"Principal": {"Federated": "graph.facebook.com"}, "Resource": "*", "Action": "s3:PutObject",
                "Effect": "Allow"}  # fmt: skip
    assert is_public(policy(facebook))
    assert is_public(policy(ANYONE))
    assert is_public(policy(limited("StringLike", "aws:SourceVpc", "vpc-*")))


def test_the_documented_non_public_example() -> None:
    """ "You can make these policies non-public by including any of the condition keys listed previously,
    using a fixed value. For example, you can make the last policy preceding non-public by setting
    aws:SourceVpc to a fixed value": {"StringEquals": {"aws:SourceVpc": "vpc-91237329"}}."""
    assert not is_public(policy(limited("StringEquals", "aws:SourceVpc", "vpc-91237329")))


def test_one_public_statement_makes_the_policy_public() -> None:
    """ "suppose that a bucket owned by "Account-1" has a policy that contains ... A statement that grants
    access to AWS CloudTrail ... A statement that grants access to account "Account-2" ... A statement that
    grants access to the public, for example by specifying "Principal": "*" with no limiting Condition. This
    policy qualifies as public because of the third statement." ... "if you remove statement 3 from the
    policy, then the policy doesn't qualify as public"."""
    cloudtrail = {**ANYONE, "Principal": {"Service": "cloudtrail.amazonaws.com"}}
    account_2 = {**ANYONE, "Principal": {"AWS": "arn:aws:iam::222233334444:root"}}
    assert is_public(policy(cloudtrail, account_2, ANYONE))
    assert not is_public(policy(cloudtrail, account_2))
    assert [v.public for v in statement_verdicts(policy(cloudtrail, account_2, ANYONE))] == [
        False,
        False,
        True,
    ]


@pytest.mark.parametrize(
    "principal",
    [
        {"AWS": "arn:aws:iam::222233334444:root"},
        {"AWS": "222233334444"},
        {"AWS": ["arn:aws:iam::222233334444:user/ana", "arn:aws:iam::222233334444:role/reader"]},
        {"AWS": "arn:aws:sts::222233334444:assumed-role/reader/ana"},
        {"Service": "cloudtrail.amazonaws.com"},
    ],
)
def test_a_fixed_principal_is_not_public(principal: dict[str, object]) -> None:
    """ "To be considered non-public, a bucket policy must grant access only to fixed values ... for one or
    more of the following: An AWS principal, user, role, or service principal"."""
    assert not is_public(policy({**ANYONE, "Principal": principal}))


@pytest.mark.parametrize(
    "principal",
    [{"AWS": "*"}, {"AWS": "arn:aws:iam::*:root"}, {"AWS": ["arn:aws:iam::222233334444:root", "*"]},
     {"AWS": "arn:aws:iam::222233334444:user/${aws:username}"}, {"Service": "*"}],
)  # fmt: skip
def test_a_principal_with_a_wildcard_or_a_variable_is_public(principal: dict[str, object]) -> None:
    """ "fixed values (values that don't contain a wildcard or an AWS Identity and Access Management Policy
    Variable)"."""
    assert is_public(policy({**ANYONE, "Principal": principal}))


def test_not_principal_in_an_allow_is_public() -> None:
    """An Allow with NotPrincipal grants to every principal but the named ones: not "only to fixed values"."""
    statement = {**ANYONE, "NotPrincipal": {"AWS": "arn:aws:iam::222233334444:root"}}
    del statement["Principal"]
    assert is_public(policy(statement))


LISTED = [
    ("StringEquals", "aws:PrincipalOrgID", "o-abc123"),
    ("ArnEquals", "aws:SourceArn", "arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE"),
    ("StringEquals", "aws:SourceVpc", "vpc-91237329"),
    ("StringEquals", "aws:SourceVpce", "vpce-1a2b3c4d"),
    ("StringEquals", "aws:SourceOwner", "111122223333"),
    ("StringEquals", "aws:SourceAccount", "111122223333"),
    ("StringEquals", "s3:x-amz-server-side-encryption-aws-kms-key-id",
     "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    ("StringEquals", "aws:userid", "AIDAJQABLZS4A3QDU576Q"),
    ("ArnEquals", "s3:DataAccessPointArn", "arn:aws:s3:us-west-2:123456789012:accesspoint/reports"),
    ("StringEquals", "s3:DataAccessPointAccount", "123456789012"),
]  # fmt: skip


@pytest.mark.parametrize(("operator", "key", "value"), LISTED)
def test_each_listed_condition_key_with_a_fixed_value_makes_a_statement_non_public(
    operator: str, key: str, value: str
) -> None:
    """The list: "An AWS principal, user, role, or service principal (e.g. aws:PrincipalOrgID)",
    "aws:SourceArn", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceOwner", "aws:SourceAccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id", "aws:userid, outside the pattern "AROLEID:*"",
    "s3:DataAccessPointArn", "s3:DataAccessPointAccount"; a wildcard or a policy variable in the value keeps
    the statement public (for s3:DataAccessPointArn, a wildcard in the account: see below)."""
    assert not statement_is_public(limited(operator, key, value))
    assert not statement_is_public(limited(operator, key.upper(), [value]))  # key names are case-insensitive
    star, one = (
        (value.replace("123456789012", "*"), value.replace("123456789012", "12345678901?"))
        if key == "s3:DataAccessPointArn"
        else (value[:-1] + "*", value[:-1] + "?")
    )
    assert statement_is_public(limited(operator, key, star))
    assert statement_is_public(limited(operator, key, [value, one]))
    assert statement_is_public(limited(operator, key, value + "${aws:username}"))


def test_a_key_outside_the_list_does_not_limit_a_public_grant() -> None:
    assert is_public(policy(limited("StringEquals", "aws:PrincipalTag/team", "payroll")))
    assert is_public(policy(limited("Bool", "aws:SecureTransport", "true")))


@pytest.mark.parametrize("operator", ["StringNotEquals", "StringEqualsIfExists", "ForAllValues:StringEquals"])
def test_conditions_that_let_other_requests_in_do_not_limit(operator: str) -> None:
    """A negated operator admits every other value; IAM User Guide, condition operators: with ...IfExists,
    "If the key is not present, evaluate the condition element as true"; ForAllValues "also returns true if
    there are no keys in the request" (IAM User Guide, multivalued context keys). None of them grants access
    "only to fixed values"."""
    assert is_public(policy(limited(operator, "aws:SourceVpce", "vpce-1a2b3c4d")))


@pytest.mark.parametrize(
    ("cidrs", "public"),
    [
        ("0.0.0.0/1", True),  # the guide's own example of a very broad range
        ("198.51.0.0/8", False),
        ("198.0.0.0/7", True),
        (["203.0.113.0/24", "198.51.100.7"], False),
        (["203.0.113.0/24", "0.0.0.0/0"], True),
        ("2001:db8::/32", False),
        ("2001:db8::/31", True),
        ("10.0.0.0/7", False),  # our reading of "(excluding RFC1918 private ranges)": 10/8 is private
        ("8.0.0.0/6", True),  # 10/8 private, but 8/8, 9/8 and 11/8 remain: broader than a /8
        ("not-a-cidr", True),
        ("${aws:SourceIp}", True),
    ],
)
def test_source_ip_limits(cidrs: object, public: bool) -> None:
    """ "A set of Classless Inter-Domain Routings (CIDRs), using aws:SourceIp." "Bucket policies that grant
    access conditioned on the aws:SourceIp condition key with very broad IP ranges (for example, 0.0.0.0/1)
    are evaluated as "public." This includes values broader than /8 for IPv4 and /32 for IPv6 (excluding
    RFC1918 private ranges)." """
    assert is_public(policy(limited("IpAddress", "aws:SourceIp", cidrs))) is public
    assert is_public(policy(limited("NotIpAddress", "aws:SourceIp", cidrs)))  # everything but: public


def test_user_id_of_any_role_session_is_public() -> None:
    """ "aws:userid, outside the pattern "AROLEID:*"" — even written with StringEquals, where * is literal."""
    assert is_public(policy(limited("StringEquals", "aws:userid", "AROAEXAMPLEID:*")))
    assert not is_public(policy(limited("StringEquals", "aws:userid", "AROAEXAMPLEID:ana")))


def test_access_point_arn_wildcards_in_bucket_and_access_point_policies() -> None:
    """s3:DataAccessPointArn: "When used in a bucket policy, this value can contain a wildcard for the access
    point name without rendering the policy public, as long as the account id is fixed." Access points: "An
    access point policy that grants access to a set of access points using s3:DataAccessPointArn is considered
    public." """
    all_points = policy(
        limited("ArnLike", "s3:DataAccessPointArn", "arn:aws:s3:us-west-2:123456789012:accesspoint/*")
    )
    any_account = policy(limited("ArnLike", "s3:DataAccessPointArn", "arn:aws:s3:us-west-2:*:accesspoint/*"))
    assert not is_public(all_points)
    assert is_public(any_account)
    assert is_public(all_points, access_point=True)


def test_an_access_point_with_a_vpc_network_origin_is_never_public() -> None:
    """ "An access point that has a VPC network origin is always considered non-public, regardless of the
    contents of its access point policy." """
    assert not is_public(policy(ANYONE), access_point=True, network_origin="VPC")
    assert is_public(policy(ANYONE), access_point=True, network_origin="Internet")


def test_a_deny_never_makes_a_policy_public() -> None:
    """Only grants count: "a bucket policy must grant access only to fixed values"; a Deny grants nothing."""
    deny = {**ANYONE, "Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert not is_public(policy(deny))
    assert not is_public(policy(deny, {**ANYONE, "Principal": {"AWS": "222233334444"}}))


@pytest.mark.parametrize(
    "document",
    ['{"Statement": [', {"Version": "2012-10-17"}, policy({**ANYONE, "Effect": "allow"}), policy("text")],  # type: ignore[arg-type]
)
def test_what_cannot_be_read_stays_public(document: Any) -> None:
    """ "When evaluating a bucket policy, Amazon S3 begins by assuming that the policy is public. It then
    evaluates the policy to determine whether it qualifies as non-public." What we cannot read never
    qualifies."""
    assert is_public(document)


def test_verdicts_name_the_reason() -> None:
    verdicts = statement_verdicts(
        policy({**ANYONE, "Sid": "Vpce"} | limited("StringEquals", "aws:SourceVpce", "vpce-1"))
    )
    assert (
        verdicts[0].sid == "Vpce"
        and not verdicts[0].public
        and "aws:SourceVpce is fixed" in verdicts[0].reason
    )
    assert "no fixed principal" in statement_verdicts(policy(ANYONE))[0].reason
