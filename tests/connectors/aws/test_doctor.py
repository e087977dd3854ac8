"""`recertify doctor`'s AWS checks against a moto server, with moto's IAM enforcement on where a test needs a
refusal (moto's docs: "Moto also has the ability to authenticate and authorize actions, just like it's done
by IAM in AWS", enabled here with `moto.core.enable_iam_authentication`).

moto has no service-last-accessed jobs and no GetPermissionsBoundaryForPermissionSet, so the local proxy
(throttling.py) answers those three operations as AWS documents them for a name that does not exist: IAM's
GenerateServiceLastAccessedDetails and GetServiceLastAccessedDetails "NoSuchEntity: The request was rejected
because it referenced a resource entity that does not exist." (HTTP 404, IAM API Reference), and SSO Admin's
"ResourceNotFoundException: Indicates that a requested resource is not found." (HTTP 404). AccessDenied is
IAM's refusal of an action the identity's policies do not allow ("AccessDenied: You do not have sufficient
access to perform this action."); moto sends it as XML even to JSON-protocol services, so the proxy
rewrites those into the JSON AWS documents (`json_denials`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto.core import enable_iam_authentication

from connectors.aws.doctor import aws_checks
from connectors.aws.permissions import read_policy
from connectors.aws.probes import NOT_PROBED, PROBE_OF
from connectors.aws.settings import AwsSettings
from reviews.health import CheckResult
from tests.connectors.aws.throttling import Answer, ThrottlingProxy

ACCOUNT = "123456789012"  # moto's default account
REGIONS = ["eu-west-2", "eu-west-1"]
_XML = "text/xml"
_NO_SUCH_ENTITY = (
    b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
    b"<Code>NoSuchEntity</Code><Message>The request was rejected because it referenced a resource entity "
    b"that does not exist.</Message></Error><RequestId>doctor</RequestId></ErrorResponse>"
)
_NOT_FOUND = json.dumps(
    {"__type": "ResourceNotFoundException", "Message": "Could not find the permission set."}
).encode()
UNIMPLEMENTED_IN_MOTO = {
    "GenerateServiceLastAccessedDetails": Answer(404, _XML, _NO_SUCH_ENTITY),
    "GetServiceLastAccessedDetails": Answer(404, _XML, _NO_SUCH_ENTITY),
    "GetPermissionsBoundaryForPermissionSet": Answer(404, "application/x-amz-json-1.1", _NOT_FOUND),
}


@pytest.fixture
def aws_endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with ThrottlingProxy(moto_server, answers=UNIMPLEMENTED_IN_MOTO, json_denials=True) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        yield proxy.url


def _read_policy_actions() -> set[str]:
    return {action for statement in read_policy()["Statement"] for action in statement["Action"]}


def _by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {result.name: result for result in results}


def _bot_user(policy: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    """An IAM user holding `policy`, whose keys the bot then runs with (no session token)."""
    iam = boto3.client("iam", region_name=REGIONS[0])
    iam.create_user(UserName="recertify-bot")
    iam.put_user_policy(UserName="recertify-bot", PolicyName="read", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="recertify-bot")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    monkeypatch.delenv("AWS_SESSION_TOKEN")


# moto authorizes tag:GetResources under its own name, tagging:GetResources: the bot's test identity is
# granted that name too, so that only the action a test removes is refused.
MOTO_NAMES = {
    "Sid": "MotoNames",
    "Effect": "Allow",
    "Action": ["tagging:GetResources"],
    "Resource": "*",
}


def _without(policy: dict[str, object], action: str) -> dict[str, object]:
    statements = [
        {**s, "Action": [a for a in s["Action"] if a != action]}  # type: ignore[attr-defined]
        for s in policy["Statement"]  # type: ignore[attr-defined]
    ]
    return {**policy, "Statement": [*(s for s in statements if s["Action"]), MOTO_NAMES]}


def _customer_key(region: str) -> None:
    """moto lists the aws/ aliases with keys it does not have (a 500 on use): give the region a real one."""
    kms = boto3.client("kms", region_name=region)
    key = kms.create_key(Description="casework")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/casework", TargetKeyId=key)


def test_every_read_action_of_the_policy_has_a_probe() -> None:
    """The read policy is the source: an action added to it without a probe fails here."""
    declared = _read_policy_actions()
    assert declared - set(NOT_PROBED) == set(PROBE_OF)
    assert set(NOT_PROBED) <= declared


def test_every_read_passes_with_the_read_policy(aws_endpoint: str) -> None:
    s3 = boto3.client("s3", region_name=REGIONS[0])
    s3.create_bucket(Bucket="casework-files", CreateBucketConfiguration={"LocationConstraint": REGIONS[0]})
    for region in REGIONS:
        _customer_key(region)
    iam = boto3.client("iam", region_name=REGIONS[0])
    iam.create_user(UserName="analyst")
    iam.create_access_key(UserName="analyst")
    results = aws_checks(AwsSettings(regions=REGIONS, identity_center=True))
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    lines = _by_name(results)
    assert lines["sts:GetCallerIdentity"].detail == f"account {ACCOUNT}"
    assert lines[f"dynamodb:ListTables in {ACCOUNT}"].detail == "allowed (eu-west-1, eu-west-2)"
    assert lines[f"s3:GetBucketPolicy in {ACCOUNT}"].detail.startswith("allowed")  # on casework-files
    assert lines[f"iam:GetAccessKeyLastUsed in {ACCOUNT}"].detail == "allowed"  # on analyst's key
    assert lines[f"iam:GenerateServiceLastAccessedDetails in {ACCOUNT}"].detail == "allowed"
    assert lines[f"sso:ListAccountAssignments in {ACCOUNT}"].detail == "allowed"  # moto's instance
    assert {r.name.split(" in ")[0] for r in results} >= set(PROBE_OF)


def test_an_action_the_policy_lacks_fails_naming_it(
    aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IAM enforced: the bot's identity holds the read policy less dynamodb:ListTables."""
    _customer_key(REGIONS[0])
    _bot_user(_without(read_policy(), "dynamodb:ListTables"), monkeypatch)
    with enable_iam_authentication():
        results = aws_checks(AwsSettings(regions=REGIONS[:1], identity_center=False))
    lines = _by_name(results)
    denied = lines[f"dynamodb:ListTables in {ACCOUNT}"]
    assert not denied.ok and "AccessDenied" in denied.detail
    assert denied.fix.startswith("allow dynamodb:ListTables to the bot's own identity")
    assert "recertify permissions aws read" in denied.fix
    assert lines[f"dynamodb:DescribeTable in {ACCOUNT}"].ok
    assert lines[f"iam:GetAccountAuthorizationDetails in {ACCOUNT}"].ok
    # moto authorizes S3 and S3 Control calls by its operation names (s3:ListBuckets, not IAM's
    # s3:ListAllMyBuckets) and answers S3 Control with an empty 403: their lines say nothing here.
    others = [r.name for r in results if not r.ok and not r.name.startswith("s3:")]
    assert others == [f"dynamodb:ListTables in {ACCOUNT}"], [(r.name, r.detail) for r in results if not r.ok]


def test_a_read_role_that_cannot_be_assumed_fails_with_the_fix(
    aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot's identity may not call sts:AssumeRole: the other account cannot be read at all."""
    _bot_user(_without(read_policy(), "sts:AssumeRole"), monkeypatch)
    other = "210987654321"
    with enable_iam_authentication():
        results = aws_checks(
            AwsSettings(regions=REGIONS[:1], accounts=[ACCOUNT, other], identity_center=False)
        )
    role = f"arn:aws:iam::{other}:role/RecertifyRead"
    assume = _by_name(results)[f"assume {role}"]
    assert not assume.ok and "AccessDenied" in assume.detail
    assert f"letting account {ACCOUNT} assume it" in assume.fix and "aws.accounts" in assume.fix
    assert not any(r.name.endswith(f"in {other}") for r in results)  # nothing probed in it


def test_a_read_that_needs_a_resource_the_account_lacks_says_so(aws_endpoint: str) -> None:
    results = _by_name(aws_checks(AwsSettings(regions=REGIONS[:1], identity_center=False)))
    assert results[f"s3:GetBucketPolicy in {ACCOUNT}"].detail == "not probed: the account has no bucket"
    no_user = "not probed: the account has no IAM user with an access key"
    assert results[f"iam:GetAccessKeyLastUsed in {ACCOUNT}"].detail == no_user
    assert not any(name.startswith("sso:") for name in results)  # aws.identity_center = false


def test_credentials_aws_refuses_fail_the_first_line(
    aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANOTAREALKEY00000")
    with enable_iam_authentication():
        results = aws_checks(AwsSettings(regions=REGIONS[:1]))
    assert len(results) == 1 and results[0].name == "sts:GetCallerIdentity" and not results[0].ok
    assert "InvalidClientTokenId" in results[0].detail and "AWS_PROFILE" in results[0].fix
