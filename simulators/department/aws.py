"""The department's AWS account in moto: tagged stores, IAM users, groups, policies, a role; and read-backs.

Seeding uses boto3 against whatever endpoint the environment names (the demo's in-process moto server, or
moto's in-process mock in a test): it never chooses credentials or an endpoint itself.
"""

from __future__ import annotations

import json
from typing import Any

import boto3

from simulators.department.people import PEOPLE, person
from simulators.department.stores import (
    ACCOUNT,
    BREAK_GLASS,
    EXPORT_ROLE,
    PARTNER_ACCOUNT,
    PARTNER_TABLE,
    REGION,
    STORES,
    StoreSpec,
)

_ACTIONS = {
    ("s3", "read"): ["s3:GetObject", "s3:ListBucket"],
    ("s3", "write"): ["s3:PutObject"],
    ("dynamodb", "read"): ["dynamodb:GetItem", "dynamodb:Query"],
    ("dynamodb", "write"): ["dynamodb:PutItem", "dynamodb:UpdateItem"],
}
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def store_arn(spec: StoreSpec) -> str:
    if spec.kind == "s3":
        return f"arn:aws:s3:::{spec.name}"
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{spec.name}"


def principal_arn(holder: str) -> str:
    kind = "role" if holder == EXPORT_ROLE else "user"
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{holder}"


def policy_document(spec: StoreSpec, access: tuple[str, ...]) -> str:
    resources = [store_arn(spec)] + ([f"{store_arn(spec)}/*"] if spec.kind == "s3" else [])
    actions = [action for level in access for action in _ACTIONS[(spec.kind, level)]]
    statement = {"Effect": "Allow", "Action": actions, "Resource": resources}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def seed_aws() -> None:
    """Every AWS store with its tags, the IAM users of the people who hold or own AWS access (tagged with
    their email, as Recertify matches people), the groups and policies that grant it."""
    iam = boto3.client("iam", region_name=REGION)
    aws_people = {h.holder for s in STORES if s.system == "aws" for h in s.holdings}
    aws_people |= {s.owner for s in STORES if s.system == "aws"}
    for someone in PEOPLE:
        if someone.key in aws_people:
            iam.create_user(UserName=someone.key, Tags=[{"Key": "email", "Value": someone.email}])
    iam.create_user(UserName=BREAK_GLASS, Tags=[{"Key": "purpose", "Value": "break-glass"}])
    iam.create_role(RoleName=EXPORT_ROLE, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    for spec in STORES:
        if spec.system == "aws":
            _create_store(spec)
            _grant(iam, spec)
    # A department's own KMS key, as real accounts have (unused by the stores here). moto's `aws/…` aliases
    # name keys it does not hold, so without one `recertify doctor` would have no real key to probe.
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key(Description="department records")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/department-records", TargetKeyId=key)


def _create_store(spec: StoreSpec) -> None:
    tags = {"data-classification": spec.classification, "data-owner": person(spec.owner).email}
    if spec.kind == "s3":
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=spec.name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(
            Bucket=spec.name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
        )
        # What AWS gives a new bucket since April 2023 (S3 User Guide: "By default, Object Ownership is set to
        # the Bucket owner enforced setting and all ACLs are disabled", and Block Public Access is on); moto
        # still creates buckets the old way, with ACLs enabled and nothing blocked.
        s3.put_bucket_ownership_controls(
            Bucket=spec.name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )
        s3.put_public_access_block(
            Bucket=spec.name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        return
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table = dynamodb.create_table(
        TableName=spec.name,
        KeySchema=[{"AttributeName": "claim_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "claim_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )["TableDescription"]["TableArn"]
    if spec.name == PARTNER_TABLE:
        statement = {
            "Sid": "ClaimsAuditBureau",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{PARTNER_ACCOUNT}:root"},
            "Action": ["dynamodb:GetItem", "dynamodb:Query"],
            "Resource": table,
        }
        policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        dynamodb.put_resource_policy(ResourceArn=table, Policy=policy)


def _grant(iam: Any, spec: StoreSpec) -> None:
    groups = sorted({h.via.removeprefix("group:") for h in spec.holdings if h.via.startswith("group:")})
    for group in groups:
        name = _policy_name(spec)
        arn = iam.create_policy(PolicyName=name, PolicyDocument=policy_document(spec, spec.access))
        iam.create_group(GroupName=group)
        iam.attach_group_policy(GroupName=group, PolicyArn=arn["Policy"]["Arn"])
    for held in spec.holdings:
        if held.via.startswith("group:"):
            iam.add_user_to_group(GroupName=held.via.removeprefix("group:"), UserName=held.holder)
        elif held.via.startswith("user-policy:"):  # the break-glass account: full read and write
            name = held.via.removeprefix("user-policy:")
            arn = iam.create_policy(PolicyName=name, PolicyDocument=policy_document(spec, ("read", "write")))
            iam.attach_user_policy(UserName=held.holder, PolicyArn=arn["Policy"]["Arn"])
        elif held.via == "role":
            arn = f"arn:aws:iam::{ACCOUNT}:policy/{_policy_name(spec)}"
            iam.attach_role_policy(RoleName=held.holder, PolicyArn=arn)


def _policy_name(spec: StoreSpec) -> str:
    level = "ReadWrite" if "write" in spec.access else "Read"
    return "".join(part.title() for part in spec.name.split("-")) + level


# ---- read-backs: what AWS (moto) says now -------------------------------------------------------------
def has_access(spec: StoreSpec, holder: str) -> bool:
    """Whether the path that granted `holder` access to `spec` is still there, read from IAM."""
    if spec.name == PARTNER_TABLE and holder == PARTNER_ACCOUNT:
        return _partner_still_named(spec)
    iam = boto3.client("iam", region_name=REGION)
    (held,) = [h for h in spec.holdings if h.holder == holder]
    if held.via.startswith("group:"):
        groups = iam.list_groups_for_user(UserName=holder)["Groups"]
        return held.via.removeprefix("group:") in {g["GroupName"] for g in groups}
    if held.via == "role":
        attached = iam.list_attached_role_policies(RoleName=holder)["AttachedPolicies"]
    else:
        attached = iam.list_attached_user_policies(UserName=holder)["AttachedPolicies"]
    return bool(attached)


def _partner_still_named(spec: StoreSpec) -> bool:
    """Whether the table's policy still names the outside bureau (its access is the policy's, not IAM's)."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    try:
        policy = dynamodb.get_resource_policy(ResourceArn=store_arn(spec))["Policy"]
    except dynamodb.exceptions.PolicyNotFoundException:
        return False
    return f"arn:aws:iam::{PARTNER_ACCOUNT}:root" in policy


def group_members(group: str) -> set[str]:
    iam = boto3.client("iam", region_name=REGION)
    return {user["UserName"] for user in iam.get_group(GroupName=group)["Users"]}
