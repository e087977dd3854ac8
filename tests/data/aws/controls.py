"""Builders for what surrounds a store's own policy: S3 Object Ownership, ACLs, Block Public Access, default
encryption, access points, and KMS keys with grants and aliases. Written through boto3 as an administrator
would, into moto (in-process `mock_aws`); `session` selects the account (world.account_session)."""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.data.aws.world import CALLER, REGION

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
ALL_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def _client(service: str, session: boto3.Session | None, region: str = REGION) -> Any:
    return (session or boto3.Session()).client(service, region_name=region)


def set_ownership(bucket: str, ownership: str) -> None:
    rules = {"Rules": [{"ObjectOwnership": ownership}]}
    _client("s3", None).put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=rules)


def set_canned_acl(bucket: str, acl: str) -> None:
    _client("s3", None).put_bucket_acl(Bucket=bucket, ACL=acl)


def block_bucket(bucket: str, **settings: bool) -> None:
    _client("s3", None).put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=settings)


def block_account(account_id: str = CALLER, session: boto3.Session | None = None, **settings: bool) -> None:
    _client("s3control", session).put_public_access_block(
        AccountId=account_id, PublicAccessBlockConfiguration=settings
    )


def encrypt_bucket(bucket: str, algorithm: str, key_id: str | None = None) -> None:
    default: dict[str, str] = {"SSEAlgorithm": algorithm}
    if key_id is not None:
        default["KMSMasterKeyID"] = key_id
    _client("s3", None).put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": default}]},
    )


def make_key(alias: str | None = None, session: boto3.Session | None = None) -> str:
    """A customer managed key (moto's default key policy: the account may delegate to IAM); its ARN."""
    kms = _client("kms", session)
    metadata = kms.create_key(Description="store key")["KeyMetadata"]
    if alias:
        kms.create_alias(AliasName=alias, TargetKeyId=metadata["KeyId"])
    return str(metadata["Arn"])


def grant(
    key_arn: str, grantee: str, operations: list[str], *, context: dict[str, str] | None = None
) -> None:
    extra = {"Constraints": {"EncryptionContextSubset": context}} if context else {}
    _client("kms", None).create_grant(KeyId=key_arn, GranteePrincipal=grantee, Operations=operations, **extra)


def make_access_point(
    name: str,
    bucket: str,
    *,
    account_id: str = CALLER,
    session: boto3.Session | None = None,
    vpc: str | None = None,
    policy: dict[str, Any] | None = None,
    block: dict[str, bool] | None = None,
) -> str:
    """An access point of `account_id` on `bucket` (which may belong to another account); its ARN."""
    s3control = _client("s3control", session)
    extra: dict[str, Any] = {}
    if vpc:
        extra["VpcConfiguration"] = {"VpcId": vpc}
    if block is not None:
        extra["PublicAccessBlockConfiguration"] = block
    arn = s3control.create_access_point(AccountId=account_id, Name=name, Bucket=bucket, **extra)[
        "AccessPointArn"
    ]
    if policy is not None:
        s3control.put_access_point_policy(AccountId=account_id, Name=name, Policy=json.dumps(policy))
    return str(arn)


def access_point_policy(arn: str, principal: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": "s3:GetObject",
                "Resource": f"{arn}/object/*",
            }
        ],
    }
