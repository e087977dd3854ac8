"""What decides who reaches an S3 bucket's data besides its bucket policy: Object Ownership (whether ACLs
count at all), the ACL, the bucket's own Block Public Access, and the customer managed KMS key of its
default encryption. Each "not configured" is the error code the API reference documents for it; every other
error is a failed read and raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from connectors.aws.accounts import AwsAccount
from connectors.aws.errors import aws_call, malformed, parsing
from connectors.aws.inventory import AclGrant, BucketAcl, PublicAccessBlock
from connectors.aws.kms import customer_managed_key
from connectors.aws.stores.base import optional_answer

PERMISSIONS = (
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketAcl",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetEncryptionConfiguration",
)
BUCKET_OWNER_ENFORCED = "BucketOwnerEnforced"  # ACLs disabled: they no longer affect permissions
_NO_OWNERSHIP = "OwnershipControlsNotFoundError"
NO_PUBLIC_ACCESS_BLOCK = "NoSuchPublicAccessBlockConfiguration"
_NO_ENCRYPTION = "ServerSideEncryptionConfigurationNotFoundError"
_KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})
# Grantee.Type → the field that names the grantee.
_GRANTEE_FIELDS = {"CanonicalUser": "ID", "Group": "URI", "AmazonCustomerByEmail": "EmailAddress"}


@dataclass(frozen=True, slots=True)
class BucketControls:
    object_ownership: str | None
    acl: BucketAcl | None  # None: ACLs are disabled (BucketOwnerEnforced)
    public_access_block: PublicAccessBlock | None
    kms_key_arn: str | None


def read_controls(account: AwsAccount, region: str, client: Any, name: str) -> BucketControls:
    """The controls of bucket `name` in `region`, read with the bucket account's client for that region."""
    ownership = _ownership(account, region, client, name)
    return BucketControls(
        object_ownership=ownership,
        acl=None if ownership == BUCKET_OWNER_ENFORCED else _acl(account, region, client, name),
        public_access_block=_bucket_block(account, region, client, name),
        kms_key_arn=_default_key(account, region, client, name),
    )


def public_access_block(account_id: str, operation: str, answer: dict[str, Any]) -> PublicAccessBlock:
    """A PublicAccessBlockConfiguration as S3 and S3 Control return it. A setting the answer leaves out is
    not on: S3 applies a setting only when it is TRUE, so reading it as off can overstate exposure, never
    hide it."""
    with parsing(account_id, operation):
        config = answer["PublicAccessBlockConfiguration"]
        return PublicAccessBlock(
            block_public_acls=config.get("BlockPublicAcls") is True,
            ignore_public_acls=config.get("IgnorePublicAcls") is True,
            block_public_policy=config.get("BlockPublicPolicy") is True,
            restrict_public_buckets=config.get("RestrictPublicBuckets") is True,
        )


def _ownership(account: AwsAccount, region: str, client: Any, name: str) -> str | None:
    operation = f"s3:GetBucketOwnershipControls on {name} in {region}"
    read = partial(client.get_bucket_ownership_controls, Bucket=name)
    answer = optional_answer(account, operation, read, _NO_OWNERSHIP)
    if answer is None:
        return None  # a bucket from before Object Ownership, or whose setting was deleted: ACLs apply
    with parsing(account.account_id, operation):
        rules = answer["OwnershipControls"]["Rules"]
        if len(rules) != 1:
            raise malformed(account.account_id, operation, f"expected one ownership rule, got {len(rules)}")
        return str(rules[0]["ObjectOwnership"])


def _acl(account: AwsAccount, region: str, client: Any, name: str) -> BucketAcl:
    operation = f"s3:GetBucketAcl on {name} in {region}"
    with aws_call(account.account_id, operation):  # every bucket has an ACL: no "absent" answer
        answer = client.get_bucket_acl(Bucket=name)
    with parsing(account.account_id, operation):
        grants = []
        for grant in answer["Grants"]:
            grantee = grant["Grantee"]
            field = _GRANTEE_FIELDS.get(grantee["Type"])
            if field is None:
                raise malformed(account.account_id, operation, f"unknown grantee type {grantee['Type']!r}")
            grants.append(AclGrant(grantee["Type"], grantee[field], grant["Permission"]))
        return BucketAcl(owner_id=answer["Owner"]["ID"], grants=tuple(grants))


def _bucket_block(account: AwsAccount, region: str, client: Any, name: str) -> PublicAccessBlock | None:
    operation = f"s3:GetPublicAccessBlock on {name} in {region}"
    read = partial(client.get_public_access_block, Bucket=name)
    answer = optional_answer(account, operation, read, NO_PUBLIC_ACCESS_BLOCK)
    return None if answer is None else public_access_block(account.account_id, operation, answer)


def _default_key(account: AwsAccount, region: str, client: Any, name: str) -> str | None:
    """The customer managed key that encrypts new objects by default; None for SSE-S3, the AWS managed
    aws/s3 key (SSE-KMS without a key id) or an AWS managed key named explicitly."""
    operation = f"s3:GetBucketEncryption on {name} in {region}"
    read = partial(client.get_bucket_encryption, Bucket=name)
    answer = optional_answer(account, operation, read, _NO_ENCRYPTION)
    if answer is None:
        return None
    with parsing(account.account_id, operation):
        defaults = [
            rule["ApplyServerSideEncryptionByDefault"]
            for rule in answer["ServerSideEncryptionConfiguration"]["Rules"]
            if rule.get("ApplyServerSideEncryptionByDefault")
        ]
        keys = [
            d["KMSMasterKeyID"]
            for d in defaults
            if d["SSEAlgorithm"] in _KMS_ALGORITHMS and d.get("KMSMasterKeyID")
        ]
    if len(keys) > 1:
        raise malformed(account.account_id, operation, f"{len(keys)} default encryption keys")
    return customer_managed_key(account, region, keys[0], f"bucket {name}") if keys else None
