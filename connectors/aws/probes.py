"""One cheap, read-only call per IAM action of the read policy (permissions.py), for `recertify doctor`.

IAM evaluates the caller's permission before it looks the resource up, so a probe of a name that does not
exist still answers the question: AccessDenied means the action is not allowed; NoSuchEntity,
ResourceNotFoundException and the like mean it is. Where a service decides on an existing resource only
(S3 bucket subresources, KMS keys, Identity Center's identity store, an access key's last use) the probe
uses one the account has, found by a listing of the same service, and says so when there is none. Nothing
here writes: even iam:GenerateServiceLastAccessedDetails is called on a role that does not exist, so no
report job starts.

tests/connectors/aws/test_doctor.py checks that every action of the read policy has a probe here (or is
named in `NOT_PROBED` with the reason), so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

PROBE_NAME = "recertify-doctor-probe"  # a name no real resource has
_NO_SUCH_KEY = "00000000-0000-0000-0000-000000000000"

# Actions of the read policy with no probe of their own, and why.
NOT_PROBED = {
    "sts:AssumeRole": "proved by assuming the read role in each account",
    "kms:Decrypt": "only through Identity Center (kms:ViaService), never called by Recertify itself",
}


class Scope(StrEnum):
    GLOBAL = "global"  # once per account (IAM, S3's bucket list, Organizations)
    REGIONAL = "regional"  # once per account and configured region
    BUCKET = "bucket"  # once per account, on a bucket of the account
    ACCESS_KEY = "access_key"  # once per account, on an access key of one of its users
    IDENTITY_CENTER = "identity_center"  # once, in the caller's account and the Identity Center region
    ORGANIZATION = "organization"  # once, in the caller's account


@dataclass(frozen=True, slots=True)
class Target:
    """What a probe may need besides its client: the account, and resources found by earlier probes."""

    account_id: str
    partition: str
    region: str
    bucket: str | None = None
    access_key: str | None = None
    key_id: str | None = None
    identity_store: str | None = None  # Identity Center's identity store id
    instance_arn: str | None = None


Call = Callable[[Any, Target], object]


@dataclass(frozen=True, slots=True)
class Probe:
    action: str
    service: str  # the boto3 client name
    scope: Scope
    call: Call
    needs: str | None = None  # the Target field without which it cannot run: a bucket, a key, a store


def _role_arn(t: Target) -> str:
    return f"arn:{t.partition}:iam::{t.account_id}:role/{PROBE_NAME}"


def _table_arn(t: Target) -> str:
    return f"arn:{t.partition}:dynamodb:{t.region}:{t.account_id}:table/{PROBE_NAME}"


_G, _R, _B = Scope.GLOBAL, Scope.REGIONAL, Scope.BUCKET
_IC, _ORG = Scope.IDENTITY_CENTER, Scope.ORGANIZATION
_MANAGED = "arn:aws:iam::aws:policy/ReadOnlyAccess"

PROBES: tuple[Probe, ...] = (
    # IAM (global)
    Probe(
        "iam:GetAccountAuthorizationDetails",
        "iam",
        _G,
        lambda c, t: c.get_account_authorization_details(MaxItems=1),
    ),
    Probe(
        "iam:GetAccessKeyLastUsed",
        "iam",
        Scope.ACCESS_KEY,
        lambda c, t: c.get_access_key_last_used(AccessKeyId=t.access_key),
        "access_key",
    ),
    Probe(
        "iam:GetPolicy",
        "iam",
        _G,
        lambda c, t: c.get_policy(PolicyArn=_MANAGED.replace("aws:", f"{t.partition}:", 1)),
    ),
    Probe(
        "iam:GetPolicyVersion",
        "iam",
        _G,
        lambda c, t: c.get_policy_version(
            PolicyArn=_MANAGED.replace("aws:", f"{t.partition}:", 1), VersionId="v1"
        ),
    ),
    Probe("iam:GetUser", "iam", _G, lambda c, t: c.get_user(UserName=PROBE_NAME)),
    Probe("iam:ListAccessKeys", "iam", _G, lambda c, t: c.list_access_keys(UserName=PROBE_NAME, MaxItems=1)),
    Probe(
        "iam:GenerateServiceLastAccessedDetails",
        "iam",
        _G,
        lambda c, t: c.generate_service_last_accessed_details(Arn=_role_arn(t)),
    ),
    Probe(
        "iam:GetServiceLastAccessedDetails",
        "iam",
        _G,
        lambda c, t: c.get_service_last_accessed_details(JobId=_NO_SUCH_KEY),
    ),
    Probe(
        "iam:GetRolePolicy",
        "iam",
        _G,
        lambda c, t: c.get_role_policy(RoleName=PROBE_NAME, PolicyName=PROBE_NAME),
    ),
    Probe(
        "iam:GetUserPolicy",
        "iam",
        _G,
        lambda c, t: c.get_user_policy(UserName=PROBE_NAME, PolicyName=PROBE_NAME),
    ),
    Probe(
        "iam:ListAttachedRolePolicies",
        "iam",
        _G,
        lambda c, t: c.list_attached_role_policies(RoleName=PROBE_NAME, MaxItems=1),
    ),
    Probe(
        "iam:ListAttachedUserPolicies",
        "iam",
        _G,
        lambda c, t: c.list_attached_user_policies(UserName=PROBE_NAME, MaxItems=1),
    ),
    Probe(
        "iam:ListGroupsForUser",
        "iam",
        _G,
        lambda c, t: c.list_groups_for_user(UserName=PROBE_NAME, MaxItems=1),
    ),
    # S3: the bucket list, then each bucket read on one bucket of the account
    Probe("s3:ListAllMyBuckets", "s3", _G, lambda c, t: c.list_buckets()),
    Probe("s3:GetBucketAcl", "s3", _B, lambda c, t: c.get_bucket_acl(Bucket=t.bucket), "bucket"),
    Probe(
        "s3:GetBucketOwnershipControls",
        "s3",
        _B,
        lambda c, t: c.get_bucket_ownership_controls(Bucket=t.bucket),
        "bucket",
    ),
    Probe("s3:GetBucketPolicy", "s3", _B, lambda c, t: c.get_bucket_policy(Bucket=t.bucket), "bucket"),
    Probe(
        "s3:GetBucketPublicAccessBlock",
        "s3",
        _B,
        lambda c, t: c.get_public_access_block(Bucket=t.bucket),
        "bucket",
    ),
    Probe("s3:GetBucketTagging", "s3", _B, lambda c, t: c.get_bucket_tagging(Bucket=t.bucket), "bucket"),
    Probe(
        "s3:GetEncryptionConfiguration",
        "s3",
        _B,
        lambda c, t: c.get_bucket_encryption(Bucket=t.bucket),
        "bucket",
    ),
    # S3 Control: account Block Public Access and access points (per region)
    Probe(
        "s3:GetAccountPublicAccessBlock",
        "s3control",
        _G,
        lambda c, t: c.get_public_access_block(AccountId=t.account_id),
    ),
    Probe(
        "s3:ListAccessPoints",
        "s3control",
        _R,
        lambda c, t: c.list_access_points(AccountId=t.account_id, MaxResults=1),
    ),
    Probe(
        "s3:GetAccessPoint",
        "s3control",
        _R,
        lambda c, t: c.get_access_point(AccountId=t.account_id, Name=PROBE_NAME),
    ),
    Probe(
        "s3:GetAccessPointPolicy",
        "s3control",
        _R,
        lambda c, t: c.get_access_point_policy(AccountId=t.account_id, Name=PROBE_NAME),
    ),
    # Tagged stores, DynamoDB, RDS (per region)
    Probe(
        "tag:GetResources", "resourcegroupstaggingapi", _R, lambda c, t: c.get_resources(ResourcesPerPage=1)
    ),
    Probe("dynamodb:ListTables", "dynamodb", _R, lambda c, t: c.list_tables(Limit=1)),
    Probe("dynamodb:DescribeTable", "dynamodb", _R, lambda c, t: c.describe_table(TableName=PROBE_NAME)),
    Probe(
        "dynamodb:ListTagsOfResource",
        "dynamodb",
        _R,
        lambda c, t: c.list_tags_of_resource(ResourceArn=_table_arn(t)),
    ),
    Probe(
        "dynamodb:GetResourcePolicy",
        "dynamodb",
        _R,
        lambda c, t: c.get_resource_policy(ResourceArn=_table_arn(t)),
    ),
    Probe("rds:DescribeDBInstances", "rds", _R, lambda c, t: c.describe_db_instances(MaxRecords=20)),
    Probe("rds:DescribeDBClusters", "rds", _R, lambda c, t: c.describe_db_clusters(MaxRecords=20)),
    # KMS (per region): the listing, then the key reads on a key the listing found
    Probe("kms:ListAliases", "kms", _R, lambda c, t: c.list_aliases(Limit=50)),
    Probe("kms:DescribeKey", "kms", _R, lambda c, t: c.describe_key(KeyId=t.key_id), "key_id"),
    Probe(
        "kms:GetKeyPolicy",
        "kms",
        _R,
        lambda c, t: c.get_key_policy(KeyId=t.key_id, PolicyName="default"),
        "key_id",
    ),
    Probe("kms:ListGrants", "kms", _R, lambda c, t: c.list_grants(KeyId=t.key_id, Limit=1), "key_id"),
    # The organization, from the caller's account
    Probe(
        "organizations:DescribeOrganization", "organizations", _ORG, lambda c, t: c.describe_organization()
    ),
    Probe("organizations:ListAccounts", "organizations", _ORG, lambda c, t: c.list_accounts(MaxResults=1)),
    Probe("organizations:ListRoots", "organizations", _ORG, lambda c, t: c.list_roots(MaxResults=1)),
    Probe(
        "organizations:ListParents",
        "organizations",
        _ORG,
        lambda c, t: c.list_parents(ChildId=t.account_id, MaxResults=1),
    ),
    Probe(
        "organizations:ListPoliciesForTarget",
        "organizations",
        _ORG,
        lambda c, t: c.list_policies_for_target(
            TargetId=t.account_id, Filter="SERVICE_CONTROL_POLICY", MaxResults=1
        ),
    ),
    Probe(
        "organizations:DescribePolicy",
        "organizations",
        _ORG,
        lambda c, t: c.describe_policy(PolicyId="p-FullAWSAccess"),
    ),
    # Identity Center, from the caller's account in its region
    Probe("sso:ListInstances", "sso-admin", _IC, lambda c, t: c.list_instances(MaxResults=1)),
    Probe(
        "sso:ListPermissionSets",
        "sso-admin",
        _IC,
        lambda c, t: c.list_permission_sets(InstanceArn=t.instance_arn, MaxResults=1),
        "instance_arn",
    ),
    Probe(
        "sso:DescribePermissionSet",
        "sso-admin",
        _IC,
        lambda c, t: c.describe_permission_set(
            InstanceArn=t.instance_arn, PermissionSetArn=_permission_set(t)
        ),
        "instance_arn",
    ),
    Probe(
        "sso:ListManagedPoliciesInPermissionSet",
        "sso-admin",
        _IC,
        lambda c, t: c.list_managed_policies_in_permission_set(
            InstanceArn=t.instance_arn, PermissionSetArn=_permission_set(t), MaxResults=1
        ),
        "instance_arn",
    ),
    Probe(
        "sso:ListCustomerManagedPolicyReferencesInPermissionSet",
        "sso-admin",
        _IC,
        lambda c, t: c.list_customer_managed_policy_references_in_permission_set(
            InstanceArn=t.instance_arn, PermissionSetArn=_permission_set(t), MaxResults=1
        ),
        "instance_arn",
    ),
    Probe(
        "sso:GetInlinePolicyForPermissionSet",
        "sso-admin",
        _IC,
        lambda c, t: c.get_inline_policy_for_permission_set(
            InstanceArn=t.instance_arn, PermissionSetArn=_permission_set(t)
        ),
        "instance_arn",
    ),
    Probe(
        "sso:GetPermissionsBoundaryForPermissionSet",
        "sso-admin",
        _IC,
        lambda c, t: c.get_permissions_boundary_for_permission_set(
            InstanceArn=t.instance_arn, PermissionSetArn=_permission_set(t)
        ),
        "instance_arn",
    ),
    Probe(
        "sso:ListAccountAssignments",
        "sso-admin",
        _IC,
        lambda c, t: c.list_account_assignments(
            InstanceArn=t.instance_arn,
            AccountId=t.account_id,
            PermissionSetArn=_permission_set(t),
            MaxResults=1,
        ),
        "instance_arn",
    ),
    Probe(
        "identitystore:ListUsers",
        "identitystore",
        _IC,
        lambda c, t: c.list_users(IdentityStoreId=t.identity_store, MaxResults=1),
        "identity_store",
    ),
    Probe(
        "identitystore:ListGroups",
        "identitystore",
        _IC,
        lambda c, t: c.list_groups(IdentityStoreId=t.identity_store, MaxResults=1),
        "identity_store",
    ),
    Probe(
        "identitystore:ListGroupMemberships",
        "identitystore",
        _IC,
        lambda c, t: c.list_group_memberships(
            IdentityStoreId=t.identity_store, GroupId=_NO_SUCH_KEY, MaxResults=1
        ),
        "identity_store",
    ),
)


def _permission_set(t: Target) -> str:
    """A permission set ARN of the instance that does not exist (ps- and 16 hex digits)."""
    instance = (t.instance_arn or "").rsplit("/", 1)[-1]
    return f"arn:{t.partition}:sso:::permissionSet/{instance}/ps-0000000000000000"


PROBE_OF = {probe.action: probe for probe in PROBES}
