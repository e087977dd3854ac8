"""fetch: what decides who reaches an S3 bucket besides its policy (Object Ownership, the ACL, Block Public
Access, the default-encryption key) and the account-level settings (Block Public Access, canonical id).

moto plays S3, S3 Control and KMS. Where moto is unfaithful, a `botocore.stub.Stubber` sits on the one real
client concerned, and the test says why: moto answers KeyManager "CUSTOMER" even for an AWS managed key
(alias/aws/s3), and never denies. Access points: test_fetch_access_points.py.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from connectors.aws.accounts import AwsSessions, connect, open_sessions
from connectors.aws.inventory import AclGrant, PublicAccessBlock, StoreResource
from reviews.errors import SourceUnavailable
from tests.connectors.aws.fetching import fetch, only, settings
from tests.data.aws import controls, world
from tests.data.aws.world import CALLER, REGION

BUCKET = "payroll-data"
ARN = f"arn:aws:s3:::{BUCKET}"


def payroll(**overrides: Any) -> StoreResource:
    (store,) = (s for s in only(fetch(open_sessions(settings(**overrides)))).stores if s.arn == ARN)
    return store


def test_ownership_acl_block_public_access_and_key_are_read_as_configured(aws: None) -> None:
    """GetBucketAcl (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAcl.html) returns the
    bucket's ACL: "Owner" and "Grants", each grantee a CanonicalUser (ID), a Group (URI) or an
    AmazonCustomerByEmail. S3 default encryption "You can specify the key ID, key alias, or the Amazon
    Resource Name (ARN) of the KMS key" (ServerSideEncryptionByDefault,
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionByDefault.html); DescribeKey
    accepts "its key ID, key ARN, alias name, or alias ARN" and answers the key ARN
    (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html). The inventory keeps the
    ARN."""
    world.make_bucket(BUCKET, tag_set=world.tags())
    controls.set_ownership(BUCKET, "BucketOwnerPreferred")
    controls.set_canned_acl(BUCKET, "public-read")
    controls.block_bucket(BUCKET, BlockPublicAcls=True, IgnorePublicAcls=False, BlockPublicPolicy=True)
    key = controls.make_key(alias="alias/payroll")
    controls.encrypt_bucket(BUCKET, "aws:kms", "alias/payroll")  # an alias: resolved to the key's ARN

    store = payroll()

    assert store.object_ownership == "BucketOwnerPreferred"
    assert store.acl is not None
    owner = boto3.client("s3", region_name=REGION).get_bucket_acl(Bucket=BUCKET)["Owner"]["ID"]
    assert store.acl.owner_id == owner
    assert set(store.acl.grants) == {
        AclGrant("CanonicalUser", owner, "FULL_CONTROL"),
        AclGrant("Group", controls.ALL_USERS, "READ"),
    }
    # RestrictPublicBuckets was left out: S3 applies a setting only when it is TRUE.
    assert store.public_access_block == PublicAccessBlock(True, False, True, False)
    assert store.kms_key_arn == key


def test_with_bucket_owner_enforced_no_acl_is_read(aws: None) -> None:
    """OwnershipControlsRule (https://docs.aws.amazon.com/AmazonS3/latest/API/API_OwnershipControlsRule.html):
    "BucketOwnerEnforced - Access control lists (ACLs) are disabled and no longer affect permissions." The
    public-read ACL set before the change is still stored, and must not be reported."""
    world.make_bucket(BUCKET, tag_set=world.tags())
    controls.set_canned_acl(BUCKET, "public-read")
    controls.set_ownership(BUCKET, "BucketOwnerEnforced")

    store = payroll()

    assert (store.object_ownership, store.acl) == ("BucketOwnerEnforced", None)


def test_what_is_not_configured_is_absent_and_the_acl_still_counts(aws: None) -> None:
    """Three documented "not configured" answers, each read as absent, never as a failure:
    GetBucketOwnershipControls (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketOwnershipControls.html):
    "A bucket doesn't have OwnershipControls settings in the following cases: The bucket was created before
    the BucketOwnerEnforced ownership setting was introduced [...]" (error OwnershipControlsNotFoundError),
    and ACLs then apply; GetPublicAccessBlock answers NoSuchPublicAccessBlockConfiguration when none is set;
    GetBucketEncryption answers ServerSideEncryptionConfigurationNotFoundError."""
    world.make_bucket(BUCKET, tag_set=world.tags())

    store = payroll()

    assert store.object_ownership is None
    assert store.acl is not None and [g.permission for g in store.acl.grants] == ["FULL_CONTROL"]
    assert (store.public_access_block, store.kms_key_arn) == (None, None)


@pytest.mark.parametrize(
    ("algorithm", "key_id"),
    [("AES256", None), ("aws:kms", None)],
    ids=["SSE-S3", "SSE-KMS with the AWS managed aws/s3 key"],
)
def test_no_customer_key_means_no_key(aws: None, algorithm: str, key_id: str | None) -> None:
    """ServerSideEncryptionByDefault: KMSMasterKeyID "is allowed if and only if SSEAlgorithm is set to
    aws:kms or aws:kms:dsse", and "If you don't specify a customer managed key at configuration, Amazon S3
    automatically creates an AWS KMS key in your AWS account [...] By default, Amazon S3 uses this KMS key
    for SSE-KMS." (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionByDefault.html)"""
    world.make_bucket(BUCKET, tag_set=world.tags())
    controls.encrypt_bucket(BUCKET, algorithm, key_id)

    assert payroll().kms_key_arn is None


def test_an_aws_managed_key_named_explicitly_is_not_kept(aws: None) -> None:
    """Stubber on the KMS client: moto describes alias/aws/s3 with KeyManager "CUSTOMER". KeyMetadata
    (https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html): KeyManager "The manager of the
    KMS key. KMS keys in your AWS account are either customer managed or AWS managed." Valid values:
    AWS | CUSTOMER."""
    world.make_bucket(BUCKET, tag_set=world.tags())
    managed = f"arn:aws:kms:{REGION}:{CALLER}:key/0a1b2c3d-0000-4000-8000-000000000001"
    controls.encrypt_bucket(BUCKET, "aws:kms", "alias/aws/s3")
    caller = connect(REGION)
    metadata = {"KeyId": managed.rsplit("/", 1)[1], "Arn": managed, "KeyManager": "AWS"}
    with Stubber(caller.client("kms", REGION)) as kms:
        kms.add_response("describe_key", {"KeyMetadata": metadata}, {"KeyId": "alias/aws/s3"})
        inventory = fetch(AwsSessions(caller, (caller,)))
        kms.assert_no_pending_responses()

    (store,) = only(inventory).stores
    assert store.kms_key_arn is None
    assert only(inventory).kms_keys == ()


@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("get_bucket_ownership_controls", "s3:GetBucketOwnershipControls"),
        ("get_bucket_acl", "s3:GetBucketAcl"),
        ("get_public_access_block", "s3:GetPublicAccessBlock"),
        ("get_bucket_encryption", "s3:GetBucketEncryption"),
    ],
)
def test_a_control_that_cannot_be_read_fails_the_sync(aws: None, method: str, call: str) -> None:
    """Stubber on the bucket's S3 client: moto never denies. A denial is a failed read, never "not
    configured": a missing Block Public Access would otherwise read as "none", a missing ACL as "no grant"."""
    world.make_bucket(BUCKET, tag_set=world.tags())
    caller = connect(REGION)
    absent = {
        "get_bucket_ownership_controls": "OwnershipControlsNotFoundError",
        "get_public_access_block": "NoSuchPublicAccessBlockConfiguration",
        "get_bucket_encryption": "ServerSideEncryptionConfigurationNotFoundError",
    }
    with Stubber(caller.client("s3", REGION)) as s3:
        s3.add_client_error("get_bucket_policy", "NoSuchBucketPolicy", "none", 404)
        for step in ("get_bucket_ownership_controls", "get_bucket_acl", "get_public_access_block"):
            if step == method:
                break
            if step == "get_bucket_acl":
                s3.add_response(step, {"Owner": {"ID": "c" * 64}, "Grants": []})
            else:
                s3.add_client_error(step, absent[step], "not configured", 404)
        s3.add_client_error(method, "AccessDenied", f"not authorized to perform: {call}", 403)
        with pytest.raises(
            SourceUnavailable, match=f"account {CALLER}: {call} on {BUCKET} in {REGION}: access"
        ):
            fetch(AwsSessions(caller, (caller,)))


def test_the_account_block_public_access_and_canonical_id_are_read(aws: None) -> None:
    """S3 Control GetPublicAccessBlock "Retrieves the PublicAccessBlock configuration for an Amazon Web
    Services account" and NoSuchPublicAccessBlockConfiguration is what it throws "if you make a
    GetPublicAccessBlock request against an account that doesn't have a PublicAccessBlockConfiguration set"
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_GetPublicAccessBlock.html). ListBuckets
    answers "Owner: The owner of the buckets listed", whose ID is the account's canonical user id
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html)."""
    organization = world.build_organization()
    member = world.account_session(organization.member)
    controls.block_account(IgnorePublicAcls=True, RestrictPublicBuckets=True)

    inventory = fetch(open_sessions(settings(accounts=[CALLER, organization.member])))

    assert only(inventory).public_access_block == PublicAccessBlock(False, True, False, True)
    assert only(inventory, organization.member).public_access_block is None  # none configured there
    for account_id, session in ((CALLER, boto3.Session()), (organization.member, member)):
        owner = session.client("s3", region_name=REGION).list_buckets()["Owner"]["ID"]
        assert only(inventory, account_id).canonical_id == owner


def test_an_account_block_public_access_that_cannot_be_read_fails_the_sync(aws: None) -> None:
    """Stubber on S3 Control: moto never denies. Denied is not "none configured"."""
    caller = connect(REGION)
    with Stubber(caller.client("s3control")) as s3control:
        s3control.add_client_error("get_public_access_block", "AccessDenied", "denied", 403)
        with pytest.raises(SourceUnavailable, match=f"s3:GetAccountPublicAccessBlock in {REGION}: access"):
            fetch(AwsSessions(caller, (caller,)))
