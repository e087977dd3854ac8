"""The IAM actions Recertify itself needs, declared per operation, as ready-to-paste policy documents.

`read_policy()` goes on the bot's own identity and on `aws.read_role` in every other account: it reads the
inventory, and plans and dry-runs revocations (a dry run only reads). `write_policy()` goes on
`aws.write_role`, which live mode alone assumes (and on the bot's identity, for its own account, in live
mode); its Identity Center statements matter only in the account that holds Identity Center. Each revocation
kind declares the reads that confirm its state and the writes that change it; tests check that every kind in
connectors.aws.revoke is declared and that every action exists in the IAM catalogue. Writing to IAM is
privilege: the write policy denies every IAM change to the bot's own roles (and any other ARN given), so an
undo can never be turned into a grant to Recertify itself.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.aws import iam, identity_center, kms, last_accessed, organization, s3_exposure, scp
from connectors.aws.revoke.base import UNDO, AwsKind
from connectors.aws.stores import SPECS
from connectors.aws.stores.discovery import TAGGING_PERMISSIONS
from reviews.entitlements import StoreKind

VERSION = "2012-10-17"


@dataclass(frozen=True, slots=True)
class KindNeeds:
    reads: tuple[str, ...]  # the confirming read: plan, dry run, verify
    writes: tuple[str, ...]  # the change itself


# Per inventory operation: composed from what each reading module declares next to the calls it makes, so
# the policy cannot drift from the code (a test checks that every action exists in the IAM catalogue).
_STORE_SIDS = {
    StoreKind.S3_BUCKET: "ReadS3Buckets",
    StoreKind.DYNAMODB_TABLE: "ReadDynamoDbTables",
    StoreKind.RDS_DB: "ReadRdsDatabases",
}
READS: Mapping[str, tuple[str, ...]] = {
    "ReadIam": iam.PERMISSIONS,
    # Generating the report is an asynchronous job, not a change to anything: IAM ranks it a Read.
    "ReadServiceLastAccessed": last_accessed.PERMISSIONS,
    "FindTaggedStores": TAGGING_PERMISSIONS,
    **{_STORE_SIDS[spec.kind]: spec.permissions for spec in SPECS},
    # Account Block Public Access, canonical id and access points (S3 Control), in every account.
    "ReadS3AccountSettingsAndAccessPoints": s3_exposure.PERMISSIONS,
    # Which key encrypts a store, and the key policy and grants that decide who may decrypt with it.
    "ReadKmsKeysOfStores": kms.PERMISSIONS,
    "ReadOrganization": (*scp.PERMISSIONS, *organization.PERMISSIONS),
    "ReadIdentityCenter": identity_center.PERMISSIONS,
}
# sts:GetCallerIdentity needs no permission (AWS allows it to every principal), so it is not listed.

_IC_READ = ("sso:ListAccountAssignments",)
KINDS: Mapping[AwsKind, KindNeeds] = {
    AwsKind.REMOVE_USER_FROM_GROUP: KindNeeds(("iam:ListGroupsForUser",), ("iam:RemoveUserFromGroup",)),
    AwsKind.ADD_USER_TO_GROUP: KindNeeds(("iam:ListGroupsForUser",), ("iam:AddUserToGroup",)),
    AwsKind.DETACH_USER_POLICY: KindNeeds(("iam:ListAttachedUserPolicies",), ("iam:DetachUserPolicy",)),
    AwsKind.ATTACH_USER_POLICY: KindNeeds(("iam:ListAttachedUserPolicies",), ("iam:AttachUserPolicy",)),
    AwsKind.DETACH_ROLE_POLICY: KindNeeds(("iam:ListAttachedRolePolicies",), ("iam:DetachRolePolicy",)),
    AwsKind.ATTACH_ROLE_POLICY: KindNeeds(("iam:ListAttachedRolePolicies",), ("iam:AttachRolePolicy",)),
    AwsKind.DELETE_USER_POLICY: KindNeeds(("iam:GetUserPolicy",), ("iam:DeleteUserPolicy",)),
    AwsKind.PUT_USER_POLICY: KindNeeds(("iam:GetUserPolicy",), ("iam:PutUserPolicy",)),
    AwsKind.DELETE_ROLE_POLICY: KindNeeds(("iam:GetRolePolicy",), ("iam:DeleteRolePolicy",)),
    AwsKind.PUT_ROLE_POLICY: KindNeeds(("iam:GetRolePolicy",), ("iam:PutRolePolicy",)),
    AwsKind.DEACTIVATE_ACCESS_KEY: KindNeeds(("iam:ListAccessKeys",), ("iam:UpdateAccessKey",)),
    AwsKind.ACTIVATE_ACCESS_KEY: KindNeeds(("iam:ListAccessKeys",), ("iam:UpdateAccessKey",)),
    AwsKind.DELETE_ACCOUNT_ASSIGNMENT: KindNeeds(  # planning also finds the permission set's instance
        (*_IC_READ, "sso:ListInstances"),
        ("sso:DeleteAccountAssignment", "sso:DescribeAccountAssignmentDeletionStatus"),
    ),
    AwsKind.CREATE_ACCOUNT_ASSIGNMENT: KindNeeds(
        _IC_READ, ("sso:CreateAccountAssignment", "sso:DescribeAccountAssignmentCreationStatus")
    ),
    # Exposure: planning also finds a bucket's owner among the read accounts (s3:ListAllMyBuckets).
    AwsKind.REMOVE_FROM_BUCKET_POLICY: KindNeeds(
        ("s3:GetBucketPolicy", "s3:ListAllMyBuckets"), ("s3:PutBucketPolicy", "s3:DeleteBucketPolicy")
    ),
    AwsKind.RESTORE_TO_BUCKET_POLICY: KindNeeds(("s3:GetBucketPolicy",), ("s3:PutBucketPolicy",)),
    AwsKind.REMOVE_FROM_DYNAMODB_POLICY: KindNeeds(
        ("dynamodb:GetResourcePolicy",), ("dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy")
    ),
    AwsKind.RESTORE_TO_DYNAMODB_POLICY: KindNeeds(
        ("dynamodb:GetResourcePolicy",), ("dynamodb:PutResourcePolicy",)
    ),
    AwsKind.REMOVE_FROM_ACCESS_POINT_POLICY: KindNeeds(
        ("s3:GetAccessPointPolicy",), ("s3:PutAccessPointPolicy", "s3:DeleteAccessPointPolicy")
    ),
    AwsKind.RESTORE_TO_ACCESS_POINT_POLICY: KindNeeds(
        ("s3:GetAccessPointPolicy",), ("s3:PutAccessPointPolicy",)
    ),
    AwsKind.REMOVE_BUCKET_ACL_GRANT: KindNeeds(
        ("s3:GetBucketAcl", "s3:ListAllMyBuckets"), ("s3:PutBucketAcl",)
    ),
    AwsKind.ADD_BUCKET_ACL_GRANT: KindNeeds(("s3:GetBucketAcl",), ("s3:PutBucketAcl",)),
    # DeletePublicAccessBlock, too, needs s3:PutBucketPublicAccessBlock (AWS's API reference).
    AwsKind.ENABLE_BUCKET_PUBLIC_ACCESS_BLOCK: KindNeeds(
        ("s3:GetBucketPublicAccessBlock", "s3:ListAllMyBuckets"), ("s3:PutBucketPublicAccessBlock",)
    ),
    AwsKind.RESTORE_BUCKET_PUBLIC_ACCESS_BLOCK: KindNeeds(
        ("s3:GetBucketPublicAccessBlock",), ("s3:PutBucketPublicAccessBlock",)
    ),
}

# In the account that holds Identity Center, no service-linked role provisions the assignment's role: the
# caller's own IAM permissions do (AWS: assigning the management account needs IAM rights). Scoped to the
# role path and SAML provider names Identity Center uses.
IDENTITY_CENTER_PROVISIONING = (
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:CreateSAMLProvider",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:GetRole",
    "iam:GetSAMLProvider",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:UpdateSAMLProvider",
)
IDENTITY_CENTER_RESOURCES = (
    "arn:*:iam::*:role/aws-reserved/sso.amazonaws.com/*",
    "arn:*:iam::*:saml-provider/AWSSSO_*",
)
# Identity Center encrypted with a customer managed KMS key makes every sso/identitystore call decrypt
# through it; the condition limits that to calls made by those services on our behalf.
KMS_VIA_IDENTITY_CENTER = {
    "StringLike": {"kms:ViaService": ["sso.*.amazonaws.com", "identitystore.*.amazonaws.com"]}
}


def read_policy(read_role: str = "RecertifyRead") -> dict[str, Any]:
    statements = [_allow(sid, actions) for sid, actions in READS.items()]
    statements.append(
        _allow("PlanAndDryRunRevocations", (a for needs in KINDS.values() for a in needs.reads))
    )
    statements.append(_allow("AssumeReadRoleInOtherAccounts", ["sts:AssumeRole"], [_role(read_role)]))
    statements.append(
        _allow("IdentityCenterCustomerManagedKey", ["kms:Decrypt"], condition=KMS_VIA_IDENTITY_CENTER)
    )
    return {"Version": VERSION, "Statement": statements}


def write_policy(
    read_role: str = "RecertifyRead", write_role: str = "RecertifyWrite", protected: Iterable[str] = ()
) -> dict[str, Any]:
    """`protected`: further ARNs no IAM write may touch, e.g. the IAM user whose keys the bot runs with."""
    revocations, undos = set(UNDO), set(UNDO.values())
    ours = [_role(read_role), _role(write_role), *protected]
    statements = [
        _allow("ConfirmStateBeforeAndAfterEachChange", (a for n in KINDS.values() for a in n.reads)),
        _allow("Revoke", (a for kind in revocations for a in KINDS[kind].writes)),
        _allow("UndoRevocations", (a for kind in undos for a in KINDS[kind].writes)),
        _allow(
            "IdentityCenterProvisioningInItsOwnAccount",
            IDENTITY_CENTER_PROVISIONING,
            IDENTITY_CENTER_RESOURCES,
        ),
        _allow("IdentityCenterCustomerManagedKey", ["kms:Decrypt"], condition=KMS_VIA_IDENTITY_CENTER),
        _allow("AssumeWriteRoleInOtherAccounts", ["sts:AssumeRole"], [_role(write_role)]),
        _statement("NeverChangeRecertifysOwnRoles", _all_iam_writes(), ours, effect="Deny"),
    ]
    return {"Version": VERSION, "Statement": statements}


# The audit checkpoints' write-once bucket ([audit] checkpoint_bucket; connectors/aws/checkpoints.py): check
# Object Lock, write each checkpoint with its COMPLIANCE retention, read every version back; never delete
# one or weaken the lock, whatever else the role is granted.
CHECKPOINT_READS = ("s3:GetBucketObjectLockConfiguration", "s3:ListBucketVersions")
CHECKPOINT_WRITES = ("s3:PutObject", "s3:PutObjectRetention")
CHECKPOINT_NEVER = (
    "s3:BypassGovernanceRetention",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutBucketObjectLockConfiguration",
)


def checkpoint_policy(bucket: str = "CHECKPOINT_BUCKET", prefix: str = "CHECKPOINT_PREFIX") -> dict[str, Any]:
    """For the identity `serve` writes checkpoints as; the defaults are the template's placeholders."""
    bucket_arn = f"arn:aws:s3:::{bucket}"
    statements = [
        _allow("CheckObjectLockAndReadEveryCheckpointVersion", CHECKPOINT_READS, [bucket_arn]),
        _allow("WriteCheckpointsWithComplianceRetention", CHECKPOINT_WRITES, [f"{bucket_arn}/{prefix}*"]),
        _statement(
            "NeverDeleteOrWeakenCheckpoints", CHECKPOINT_NEVER, [bucket_arn, f"{bucket_arn}/*"], effect="Deny"
        ),
    ]
    return {"Version": VERSION, "Statement": statements}


def declared_actions() -> set[str]:
    """Every action named anywhere in the two policies."""
    return {a for policy in (read_policy(), write_policy()) for s in policy["Statement"] for a in s["Action"]}


def _all_iam_writes() -> set[str]:
    writes = {a for needs in KINDS.values() for a in needs.writes if a.startswith("iam:")}
    return writes | {a for a in IDENTITY_CENTER_PROVISIONING if not a.startswith(("iam:Get", "iam:List"))}


def _allow(
    sid: str,
    actions: Iterable[str],
    resources: Iterable[str] = ("*",),
    condition: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return _statement(sid, actions, resources, condition)


def _statement(
    sid: str,
    actions: Iterable[str],
    resources: Iterable[str] = ("*",),
    condition: Mapping[str, Any] | None = None,
    *,
    effect: str = "Allow",
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": effect,
        "Action": sorted(set(actions)),
        "Resource": list(resources),
    }
    if condition is not None:
        statement["Condition"] = copy.deepcopy(dict(condition))  # callers may edit what they get
    return statement


def _role(name: str) -> str:
    return f"arn:*:iam::*:role/{name}"


_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:(root|role/.+|user/.+|assumed-role/.+)$")


def trust_policy(principal_arn: str) -> dict[str, Any]:
    """The trust policy of the read and write roles: the one identity Recertify runs as may assume them.
    IAM User Guide, "AWS JSON policy elements: Principal": "In IAM roles, use the Principal element in the
    role trust policy to specify who can assume the role." A session (assumed-role ARN): name its role."""
    if not _PRINCIPAL_ARN.match(principal_arn) or ":assumed-role/" in principal_arn:
        raise ValueError(
            f"{principal_arn!r} is not the ARN of an IAM role, user or account root (e.g. "
            "arn:aws:iam::111122223333:role/recertify): for a session, name its role"
        )
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "RecertifyAssumesThisRole",
                "Effect": "Allow",
                "Principal": {"AWS": principal_arn},
                "Action": "sts:AssumeRole",
            }
        ],
    }
