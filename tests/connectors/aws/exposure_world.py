"""An exposed estate in moto for the exposure revocation tests: a bucket policy with a public statement, a
partner account and a service, a Deny that must survive every edit; a bucket with a public and a
cross-account ACL and a partial Block Public Access configuration; a DynamoDB table policy; an access
point policy. Built through boto3 as an administrator would; `exposure_snapshot` reads every piece back
with clients of its own; `record_calls` lists each call made through the clients under test as the IAM
action it needs (S3's API names mapped as AWS's API reference gives them)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from botocore.exceptions import ClientError

from connectors.aws.accounts import AwsAccount
from connectors.aws.revoke import (
    AwsKind,
    PlannedRevocation,
    SessionClients,
    plan_ignore_public_acls,
    plan_remove_acl_grant,
    plan_remove_from_statement,
)
from connectors.aws.revoke.base import IAM_ACTION_OF_API

REGION = "eu-west-2"
ACCOUNT = "123456789012"  # moto's
PARTNER = "999988887777"
PARTNER_ROOT = f"arn:aws:iam::{PARTNER}:root"
AUDITOR = f"arn:aws:iam::{ACCOUNT}:user/auditor"
CLAIMS = "benefit-claims"
CLAIMS_ARN = f"arn:aws:s3:::{CLAIMS}"
SITE = "public-site"
SITE_ARN = f"arn:aws:s3:::{SITE}"
TABLE = "claims"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"
ACCESS_POINT = "claims-partner"
ACCESS_POINT_ARN = f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/{ACCESS_POINT}"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
PARTNER_CANONICAL = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
TLS_ONLY = {
    "Sid": "TlsOnly",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": [CLAIMS_ARN, f"{CLAIMS_ARN}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
PUBLIC_READ = {
    "Sid": "PublicRead",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": f"{CLAIMS_ARN}/*",
}
PARTNER_AND_AUDITOR = {
    "Sid": "PartnerAndAuditor",
    "Effect": "Allow",
    "Principal": {"AWS": [PARTNER_ROOT, AUDITOR]},
    "Action": ["s3:GetObject", "s3:ListBucket"],
    "Resource": [CLAIMS_ARN, f"{CLAIMS_ARN}/*"],
}
CLOUDTRAIL = {  # no Sid: found by its content
    "Effect": "Allow",
    "Principal": {"Service": "cloudtrail.amazonaws.com"},
    "Action": "s3:PutObject",
    "Resource": f"{CLAIMS_ARN}/AWSLogs/*",
}
BUCKET_POLICY = {
    "Version": "2012-10-17",
    "Id": "claims-policy",
    "Statement": [TLS_ONLY, PUBLIC_READ, PARTNER_AND_AUDITOR, CLOUDTRAIL],
}
TABLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Anyone",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "dynamodb:GetItem",
            "Resource": TABLE_ARN,
        },
        {
            "Sid": "Partner",
            "Effect": "Allow",
            "Principal": {"AWS": PARTNER},
            "Action": "dynamodb:Query",
            "Resource": TABLE_ARN,
        },
    ],
}
ACCESS_POINT_POLICY = {
    "Version": "2012-10-17",
    "Statement": {  # a single statement, as an object
        "Effect": "Allow",
        "Principal": {"AWS": PARTNER_ROOT},
        "Action": "s3:GetObject",
        "Resource": f"{ACCESS_POINT_ARN}/object/*",
    },
}
SITE_BLOCK = {
    "BlockPublicAcls": False,
    "IgnorePublicAcls": False,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": False,
}


@cache
def admin(service: str) -> Any:
    """The administrator's own client (not the code under test's), built once: building one takes ~0.15 s,
    and it holds no state, so each test's moto sees the same client."""
    return boto3.client(service, region_name=REGION)


@cache
def shared_session() -> boto3.Session:
    """One session for the clients under test: it keeps the service models it has loaded, so each test's
    new clients (fresh AwsAccount, fresh event hooks) are quick to build."""
    return boto3.Session(region_name=REGION)


def session_clients(*more: AwsAccount) -> SessionClients:
    account = AwsAccount(ACCOUNT, shared_session(), REGION)
    return SessionClients(accounts={a.account_id: a for a in (account, *more)})


def record_calls(clients: SessionClients) -> list[str]:
    recorded: list[str] = []

    def record(model: Any, **_: Any) -> None:
        api = f"{model.service_model.signing_name}:{model.name}"
        recorded.append(IAM_ACTION_OF_API.get(api, api))

    for service in ("s3", "s3control", "dynamodb"):
        clients.client(ACCOUNT, service, REGION if service != "s3" else None).meta.events.register(
            "before-call", record
        )
    return recorded


def build_exposure() -> None:
    s3 = admin("s3")
    where = {"LocationConstraint": REGION}
    for bucket in (CLAIMS, SITE):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=where)
    s3.put_bucket_policy(Bucket=CLAIMS, Policy=json.dumps(BUCKET_POLICY))
    s3.put_bucket_ownership_controls(
        Bucket=SITE, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    )
    owner = s3.get_bucket_acl(Bucket=SITE)["Owner"]
    grants = [
        {"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
        {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ_ACP"},
        {"Grantee": {"Type": "CanonicalUser", "ID": PARTNER_CANONICAL}, "Permission": "READ"},
    ]
    s3.put_bucket_acl(Bucket=SITE, AccessControlPolicy={"Owner": owner, "Grants": grants})
    s3.put_public_access_block(Bucket=SITE, PublicAccessBlockConfiguration=SITE_BLOCK)
    dynamodb = admin("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_resource_policy(ResourceArn=TABLE_ARN, Policy=json.dumps(TABLE_POLICY))
    control = admin("s3control")
    control.create_access_point(AccountId=ACCOUNT, Name=ACCESS_POINT, Bucket=CLAIMS)
    control.put_access_point_policy(
        AccountId=ACCOUNT, Name=ACCESS_POINT, Policy=json.dumps(ACCESS_POINT_POLICY)
    )


def _absent(read: Callable[[], Any], *codes: str) -> Any:
    try:
        return read()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in codes:
            return None
        raise


def exposure_snapshot() -> dict[str, Any]:
    s3, control, dynamodb = admin("s3"), admin("s3control"), admin("dynamodb")

    def text(answer: dict[str, Any] | None) -> Any:
        return None if answer is None else json.loads(answer["Policy"])

    block = _absent(lambda: s3.get_public_access_block(Bucket=SITE), "NoSuchPublicAccessBlockConfiguration")
    return {
        "bucket_policy": text(_absent(lambda: s3.get_bucket_policy(Bucket=CLAIMS), "NoSuchBucketPolicy")),
        "table_policy": text(
            _absent(lambda: dynamodb.get_resource_policy(ResourceArn=TABLE_ARN), "PolicyNotFoundException")
        ),
        "access_point_policy": text(
            _absent(
                lambda: control.get_access_point_policy(AccountId=ACCOUNT, Name=ACCESS_POINT),
                "NoSuchAccessPointPolicy",
            )
        ),
        "acl": sorted(
            (g["Grantee"].get("URI") or g["Grantee"]["ID"], g["Permission"])
            for g in s3.get_bucket_acl(Bucket=SITE)["Grants"]
        ),
        "acl_owner": s3.get_bucket_acl(Bucket=SITE)["Owner"]["ID"],
        "public_access_block": None if block is None else block["PublicAccessBlockConfiguration"],
    }


@dataclass(frozen=True)
class Scenario:
    kind: AwsKind
    plan: Callable[[SessionClients], PlannedRevocation]
    piece: str  # the part of the snapshot this primitive changes
    revoked: Callable[[dict[str, Any]], object]  # that part once revoked, from the part before


def _owner_id() -> str:
    return str(admin("s3").get_bucket_acl(Bucket=SITE)["Owner"]["ID"])


APPROVAL = "an admin approves it"
SCENARIOS = [
    Scenario(
        AwsKind.REMOVE_FROM_BUCKET_POLICY,
        lambda c: plan_remove_from_statement(
            c,
            resource_arn=CLAIMS_ARN,
            index=2,
            sid="PartnerAndAuditor",
            principal_id=PARTNER_ROOT,
            approval=APPROVAL,
        ),
        "bucket_policy",
        lambda before: {
            **BUCKET_POLICY,
            "Statement": [
                TLS_ONLY,
                PUBLIC_READ,
                {**PARTNER_AND_AUDITOR, "Principal": {"AWS": [AUDITOR]}},
                CLOUDTRAIL,
            ],
        },
    ),
    Scenario(
        AwsKind.REMOVE_FROM_DYNAMODB_POLICY,
        lambda c: plan_remove_from_statement(
            c, resource_arn=TABLE_ARN, index=0, sid="Anyone", principal_id="*", approval=APPROVAL
        ),
        "table_policy",
        lambda before: {**TABLE_POLICY, "Statement": TABLE_POLICY["Statement"][1:]},
    ),
    Scenario(
        AwsKind.REMOVE_FROM_ACCESS_POINT_POLICY,
        lambda c: plan_remove_from_statement(
            c, resource_arn=ACCESS_POINT_ARN, index=0, sid="", principal_id=PARTNER_ROOT, approval=APPROVAL
        ),
        "access_point_policy",
        lambda before: None,  # its only statement named only the partner: the policy goes
    ),
    Scenario(
        AwsKind.REMOVE_BUCKET_ACL_GRANT,
        lambda c: plan_remove_acl_grant(c, bucket_arn=SITE_ARN, grantee=ALL_USERS, approval=APPROVAL),
        "acl",
        lambda before: sorted([(_owner_id(), "FULL_CONTROL"), (PARTNER_CANONICAL, "READ")]),
    ),
    Scenario(
        AwsKind.ENABLE_BUCKET_PUBLIC_ACCESS_BLOCK,
        lambda c: plan_ignore_public_acls(c, bucket_arn=SITE_ARN, approval=APPROVAL),
        "public_access_block",
        lambda before: {**SITE_BLOCK, "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
    ),
]
