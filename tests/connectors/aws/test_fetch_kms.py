"""fetch: the customer managed KMS keys that encrypt stores, with their key policy, grants and aliases; and a
key that cannot be read is recorded as such, never skipped.

moto plays KMS and S3. A `botocore.stub.Stubber` on the one KMS client stands in where moto cannot: it never
denies, has no KMS outage, and answers ListGrants in one page.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from connectors.aws.accounts import AwsSessions, connect, open_sessions
from connectors.aws.inventory import KmsGrant, KmsKey
from reviews.errors import SourceUnavailable
from tests.connectors.aws.fetching import fetch, only, settings
from tests.data.aws import controls, world
from tests.data.aws.world import CALLER, REGION

BUCKET = "payroll-data"
ANALYST = f"arn:aws:iam::{CALLER}:role/analyst"
OUTSIDE = "999988887777"  # an account Recertify does not read
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY = f"arn:aws:kms:{REGION}:{CALLER}:key/{KEY_ID}"


def test_a_customer_key_is_read_with_its_policy_grants_and_aliases_once(aws: None) -> None:
    """GetKeyPolicy PolicyName: "If no policy name is specified, the default value is default"
    (https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html); ListGrants "Gets a list of
    all grants for the specified KMS key" (…/API_ListGrants.html), each with GranteePrincipal, Operations and
    Constraints: "The constraints on the grant, such as encryption context pairs or a SourceArn, that
    restrict the subsequent operations the grant allows" (…/API_GrantListEntry.html); ListAliases KeyId
    "Lists only aliases that are associated with the specified KMS key" (…/API_ListAliases.html).
    A bucket and a table sharing the key: one KmsKey."""
    key = controls.make_key(alias="alias/payroll")
    controls.grant(key, ANALYST, ["Decrypt"], context={"department": "payroll"})
    controls.grant(key, f"arn:aws:iam::{CALLER}:role/loader", ["GenerateDataKey", "Encrypt"])
    world.make_bucket(BUCKET, tag_set=world.tags())
    controls.encrypt_bucket(BUCKET, "aws:kms", key)
    world.make_table("cases", world.tags(), kms_key=key)

    account = only(fetch(open_sessions(settings())))

    assert {store.name: store.kms_key_arn for store in account.stores} == {BUCKET: key, "cases": key}
    policy = json.loads(
        boto3.client("kms", region_name=REGION).get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    )
    assert account.kms_keys == (
        KmsKey(
            arn=key,
            account_id=CALLER,
            region=REGION,
            policy=policy,
            grants=(
                KmsGrant(ANALYST, ("Decrypt",), constrained=True),
                KmsGrant(
                    f"arn:aws:iam::{CALLER}:role/loader", ("Encrypt", "GenerateDataKey"), constrained=False
                ),
            ),
            aliases=("alias/payroll",),
        ),
    )


def test_a_key_of_another_read_account_is_read_there(aws: None) -> None:
    """GetKeyPolicy: "Cross-account use: No. You cannot perform this operation on a KMS key in a different
    AWS account." (https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html) So the key is
    read with its own account's credentials and lands in that account's kms_keys. (moto cannot describe
    another account's key; AWS can when the key policy allows it. Either way the bucket names the full ARN,
    which the store keeps.)"""
    organization = world.build_organization()
    member = world.account_session(organization.member)
    key = controls.make_key(alias="alias/shared", session=member)
    world.make_bucket(BUCKET, tag_set=world.tags())
    controls.encrypt_bucket(BUCKET, "aws:kms", key)

    inventory = fetch(open_sessions(settings(accounts=[CALLER, organization.member])))

    (store,) = only(inventory).stores
    assert store.kms_key_arn == key
    assert only(inventory).kms_keys == ()
    (read,) = only(inventory, organization.member).kms_keys
    assert (read.arn, read.account_id, read.aliases, read.unreadable) == (
        key,
        organization.member,
        ("alias/shared",),
        None,
    )
    assert isinstance(read.policy, dict) and read.policy["Statement"]


def test_a_key_of_an_account_not_read_is_recorded_as_unreadable(aws: None) -> None:
    """A key of another account is named by its ARN ("If you are using encryption with cross-account [...]
    operations, you must use a fully qualified KMS key ARN", ServerSideEncryptionByDefault); its policy
    cannot be read from here (GetKeyPolicy: "Cross-account use: No"). It is kept, unreadable, with the
    reason, in the account of the store it encrypts."""
    key = f"arn:aws:kms:{REGION}:{OUTSIDE}:key/{KEY_ID}"
    world.make_bucket(BUCKET, tag_set=world.tags())
    controls.encrypt_bucket(BUCKET, "aws:kms", key)

    account = only(fetch(open_sessions(settings())))

    assert account.stores[0].kms_key_arn == key
    assert account.kms_keys == (
        KmsKey(
            key, OUTSIDE, REGION, None, (), unreadable=f"its account {OUTSIDE} is not one Recertify reads"
        ),
    )


def _describe(stub: Stubber) -> None:
    stub.add_response(
        "describe_key", {"KeyMetadata": {"KeyId": KEY_ID, "Arn": KEY, "KeyManager": "CUSTOMER"}}
    )


def _encrypted_bucket() -> None:
    world.make_bucket(BUCKET, tag_set=world.tags())
    controls.encrypt_bucket(BUCKET, "aws:kms", KEY)


@pytest.mark.parametrize("denied", ["get_key_policy", "list_grants", "list_aliases"])
def test_a_key_the_read_role_may_not_read_is_recorded_as_unreadable(aws: None, denied: str) -> None:
    """Stubber on the KMS client: moto never denies. "No AWS principal, including the account root user or
    key creator, has any permissions to a KMS key unless they are explicitly allowed, and never denied, in a
    key policy, IAM policy, or grant." (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html)
    A key policy that does not let the read role in leaves the key unreadable, with the reason; a key read in
    part (policy but no grants) would look like a key without grants."""
    _encrypted_bucket()
    caller = connect(REGION)
    answers: dict[str, dict[str, Any]] = {
        "get_key_policy": {"Policy": json.dumps({"Version": "2012-10-17", "Statement": []})},
        "list_grants": {"Grants": [], "Truncated": False},
        "list_aliases": {"Aliases": [], "Truncated": False},
    }
    with Stubber(caller.client("kms", REGION)) as kms:
        _describe(kms)
        for method, answer in answers.items():
            if method == denied:
                kms.add_client_error(method, "AccessDeniedException", "not authorized", 400)
                break
            kms.add_response(method, answer)
        account = only(fetch(AwsSessions(caller, (caller,))))

    call = {"get_key_policy": "GetKeyPolicy", "list_grants": "ListGrants", "list_aliases": "ListAliases"}[
        denied
    ]
    why = f"account {CALLER} answered AccessDeniedException to kms:{call}"
    assert account.kms_keys == (KmsKey(KEY, CALLER, REGION, None, (), unreadable=why),)


def test_grants_are_read_across_pages(aws: None) -> None:
    """Stubber: moto answers in one page. ListGrants: "When Truncated is true, this element [NextMarker] is
    present and contains the value to use for the Marker parameter in a subsequent request."
    (https://docs.aws.amazon.com/kms/latest/APIReference/API_ListGrants.html)"""
    _encrypted_bucket()
    caller = connect(REGION)

    def entry(grantee: str) -> dict[str, Any]:
        return {"KeyId": KEY, "GrantId": "g" * 8, "GranteePrincipal": grantee, "Operations": ["Decrypt"]}

    with Stubber(caller.client("kms", REGION)) as kms:
        _describe(kms)
        kms.add_response("get_key_policy", {"Policy": "{}"}, {"KeyId": KEY, "PolicyName": "default"})
        page_1 = {"Grants": [entry(ANALYST)], "Truncated": True, "NextMarker": "m1"}
        kms.add_response("list_grants", page_1, {"KeyId": KEY})
        page_2 = {"Grants": [entry("dynamodb.eu-west-2.amazonaws.com")], "Truncated": False}
        kms.add_response("list_grants", page_2, {"KeyId": KEY, "Marker": "m1"})
        kms.add_response("list_aliases", {"Aliases": [], "Truncated": False}, {"KeyId": KEY})
        (key,) = only(fetch(AwsSessions(caller, (caller,)))).kms_keys

    assert [grant.grantee for grant in key.grants] == [ANALYST, "dynamodb.eu-west-2.amazonaws.com"]


@pytest.mark.parametrize(
    ("second", "problem"),
    [
        ({"Grants": [], "Truncated": True}, "Truncated but gives no NextMarker"),
        ({"Grants": [], "Truncated": True, "NextMarker": "m1"}, "same NextMarker came back twice"),
    ],
)
def test_a_broken_grant_listing_fails_the_sync(aws: None, second: dict[str, Any], problem: str) -> None:
    """Stubber: only a fake sends a broken page; botocore's paginator would stop quietly on it."""
    _encrypted_bucket()
    caller = connect(REGION)
    with Stubber(caller.client("kms", REGION)) as kms:
        _describe(kms)
        kms.add_response("get_key_policy", {"Policy": "{}"})
        kms.add_response("list_grants", {"Grants": [], "Truncated": True, "NextMarker": "m1"})
        kms.add_response("list_grants", second)
        with pytest.raises(SourceUnavailable, match=f"kms:ListGrants {KEY} in {REGION}: .*{problem}"):
            fetch(AwsSessions(caller, (caller,)))


def test_a_kms_outage_fails_the_sync_instead_of_marking_the_key_unreadable(aws: None) -> None:
    """Stubber: a KMSInternalException (500) as it arrives after the client's retries. Unreadable is for a
    key Recertify may not read; a service that did not answer is a failed sync, retried later."""
    _encrypted_bucket()
    caller = connect(REGION)
    with Stubber(caller.client("kms", REGION)) as kms:
        _describe(kms)
        kms.add_client_error("get_key_policy", "KMSInternalException", "internal", 500)
        with pytest.raises(SourceUnavailable, match=f"kms:GetKeyPolicy {KEY} in {REGION}") as raised:
            fetch(AwsSessions(caller, (caller,)))
    assert raised.value.retryable
