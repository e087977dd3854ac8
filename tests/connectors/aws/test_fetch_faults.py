"""fetch under faults: throttling absorbed by the client's retry configuration, and every botocore error
translated at the one choke point into an error that names the account and the operation."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    ReadTimeoutError,
)

from connectors.aws.accounts import open_sessions
from connectors.aws.errors import AwsApiError, aws_call
from connectors.aws.fetch import fetch_inventory
from connectors.aws.settings import AwsSettings
from reviews.errors import Misconfigured, RecertifyError, SourceUnavailable
from tests.connectors.aws.fetching import NOW
from tests.connectors.aws.throttling import ThrottlingProxy
from tests.data.aws import world
from tests.data.aws.world import REGION

SETTINGS = AwsSettings(regions=[REGION], identity_center=False)


def test_throttled_calls_are_retried_by_the_client_and_change_nothing(
    moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.build_iam()
    world.make_bucket("payroll-data", tag_set=world.tags(), with_policy=True)
    world.make_table("cases", world.tags(), with_policy=True)
    world.make_database("hr", world.tags())
    world.build_organization()
    clean = fetch_inventory(SETTINGS, open_sessions(SETTINGS), now=NOW)
    # One throttle per protocol family and service: query (STS, IAM, RDS) and JSON (Organizations, DynamoDB).
    throttle = {
        "GetCallerIdentity",
        "GetAccountAuthorizationDetails",
        "ListAccessKeys",
        "DescribeOrganization",
    }
    throttle |= {"GetResourcePolicy", "DescribeDBInstances"}

    with ThrottlingProxy(moto_server, throttle) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        throttled = fetch_inventory(SETTINGS, open_sessions(SETTINGS), now=NOW)

    assert sorted(proxy.throttled) == sorted(throttle)  # every one of them was answered "slow down" once
    assert throttled == clean
    assert throttled.accounts[0].users and throttled.accounts[0].stores  # not two equally empty answers


WHERE = "account 111122223333: iam:GetUser ana"


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "X"
    )


@pytest.mark.parametrize(
    ("raised", "expected", "retryable"),
    [
        (_client_error("Throttling", 400), AwsApiError, True),
        (_client_error("InternalError", 500), AwsApiError, True),
        (_client_error("SomethingNew", 503), AwsApiError, True),
        (_client_error("AccessDenied", 403), AwsApiError, False),
        (_client_error("NoSuchEntity", 404), AwsApiError, False),
        (_client_error("InvalidClientTokenId", 403), Misconfigured, None),
        (_client_error("ExpiredToken", 400), Misconfigured, None),
        (EndpointConnectionError(endpoint_url="https://iam.amazonaws.com"), SourceUnavailable, True),
        (ReadTimeoutError(endpoint_url="https://iam.amazonaws.com"), SourceUnavailable, True),
        (ConnectionClosedError(endpoint_url="https://iam.amazonaws.com"), SourceUnavailable, True),
        (NoCredentialsError(), Misconfigured, None),
        (NoRegionError(), Misconfigured, None),
    ],
)
def test_botocore_errors_become_ours_naming_account_and_operation(
    raised: Exception, expected: type[RecertifyError], retryable: bool | None
) -> None:
    with pytest.raises(expected, match=WHERE) as caught:
        with aws_call("111122223333", "iam:GetUser ana"):
            raise raised
    assert type(caught.value) is expected
    if isinstance(caught.value, SourceUnavailable):
        assert (caught.value.source, caught.value.retryable) == ("aws", retryable)
    assert caught.value.__cause__ is raised


def test_an_invalid_request_is_our_bug_and_stays_one() -> None:
    with pytest.raises(ParamValidationError):
        with aws_call("111122223333", "iam:GetUser"):
            raise ParamValidationError(report="UserName is required")


def test_no_credentials_at_all_is_a_configuration_error(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    with pytest.raises(Misconfigured, match="sts:GetCallerIdentity: no usable AWS credentials"):
        open_sessions(SETTINGS)
