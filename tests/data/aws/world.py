"""Builders that put a small AWS estate into moto (in-process `mock_aws` or a moto server), through boto3
exactly as an administrator would, for the fetch tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

REGION = "eu-west-2"
OWNER = "olu@dept.example.gov"
CALLER = "123456789012"  # moto's default account

S3_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}],
}
TRUST_ACCOUNT = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CALLER}:root"}, "Action": "sts:AssumeRole"}
    ],
}
DENY_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}


def tags(classification: str | None = "personal", owner: str = OWNER, **more: str) -> list[dict[str, str]]:
    pairs = {"data-owner": owner, **more}
    if classification is not None:
        pairs["data-classification"] = classification
    return [{"Key": key, "Value": value} for key, value in pairs.items()]


def bucket_policy(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{CALLER}:role/analyst"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


@dataclass(frozen=True)
class Iam:
    policy_arn: str
    user_arn: str
    role_arn: str


def build_iam(session: boto3.Session | None = None) -> Iam:
    """A group with an inline policy, a user in it with a managed policy and a key, a role with a
    boundary and an inline policy."""
    iam = (session or boto3.Session()).client("iam", region_name=REGION)
    policy = iam.create_policy(PolicyName="read-data", Path="/data/", PolicyDocument=json.dumps(S3_READ))
    arn = policy["Policy"]["Arn"]
    iam.create_group(GroupName="analysts")
    iam.put_group_policy(GroupName="analysts", PolicyName="group-read", PolicyDocument=json.dumps(S3_READ))
    user = iam.create_user(UserName="ana", Tags=[{"Key": "team", "Value": "payroll"}])["User"]
    iam.add_user_to_group(GroupName="analysts", UserName="ana")
    iam.attach_user_policy(UserName="ana", PolicyArn=arn)
    iam.create_access_key(UserName="ana")
    role = iam.create_role(
        RoleName="analyst", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT), PermissionsBoundary=arn
    )["Role"]
    iam.attach_role_policy(RoleName="analyst", PolicyArn=arn)
    iam.put_role_policy(RoleName="analyst", PolicyName="role-read", PolicyDocument=json.dumps(S3_READ))
    return Iam(policy_arn=arn, user_arn=user["Arn"], role_arn=role["Arn"])


def make_bucket(
    name: str, region: str = REGION, tag_set: list[dict[str, str]] | None = None, *, with_policy: bool = False
) -> None:
    s3 = boto3.client("s3", region_name=region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if tag_set:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_set})
    if with_policy:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(bucket_policy(name)))


def make_table(
    name: str,
    tag_set: list[dict[str, str]] | None = None,
    *,
    with_policy: bool = False,
    kms_key: str | None = None,
    stream: bool = False,
) -> str:
    """A table; `kms_key`: encrypted with that KMS key (SSEType KMS); `stream`: with a stream enabled."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    extra: dict[str, Any] = {"Tags": tag_set} if tag_set else {}
    if kms_key:
        extra["SSESpecification"] = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": kms_key}
    if stream:
        extra["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    table = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    arn: str = table["TableDescription"]["TableArn"]
    if with_policy:
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{CALLER}:role/analyst"},
                    "Action": "dynamodb:GetItem",
                    "Resource": arn,
                }
            ],
        }
        dynamodb.put_resource_policy(ResourceArn=arn, Policy=json.dumps(document))
    return arn


def make_database(name: str, tag_set: list[dict[str, str]] | None = None) -> dict[str, Any]:
    rds = boto3.client("rds", region_name=REGION)
    return rds.create_db_instance(
        DBInstanceIdentifier=name,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="admin_user",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
        Tags=tag_set or [],
    )["DBInstance"]


def make_cluster(name: str, tag_set: list[dict[str, str]] | None = None) -> dict[str, Any]:
    rds = boto3.client("rds", region_name=REGION)
    return rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-postgresql",
        MasterUsername="admin_user",
        MasterUserPassword="not-a-secret-1",
        Tags=tag_set or [],
    )["DBCluster"]


@dataclass(frozen=True)
class Organization:
    root: str
    production: str  # OU under the root
    data: str  # OU under production
    member: str  # account in data
    deny_s3: str  # SCP attached to production
    deny_outside: str | None = None  # RCP attached to data, when RCPs are enabled


# An RCP as AWS's examples write them: no one outside the organization reaches the data.
DENY_OUTSIDE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-example"}},
        }
    ],
}


def build_organization(*, rcps: bool = False) -> Organization:
    """root → production (deny-s3) → data → member account; SCPs enabled; the caller is the management.
    `rcps`: resource control policies enabled too, with DENY_OUTSIDE attached to data."""
    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    if rcps:
        org.enable_policy_type(RootId=root, PolicyType="RESOURCE_CONTROL_POLICY")
    production = org.create_organizational_unit(ParentId=root, Name="production")["OrganizationalUnit"]["Id"]
    data = org.create_organizational_unit(ParentId=production, Name="data")["OrganizationalUnit"]["Id"]
    member = org.create_account(Email="data@dept.example.gov", AccountName="data")["CreateAccountStatus"][
        "AccountId"
    ]
    org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=data)
    deny = org.create_policy(
        Content=json.dumps(DENY_S3), Description="no S3", Name="deny-s3", Type="SERVICE_CONTROL_POLICY"
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=deny, TargetId=production)
    outside = None
    if rcps:
        outside = org.create_policy(
            Content=json.dumps(DENY_OUTSIDE),
            Description="data stays inside",
            Name="deny-outside",
            Type="RESOURCE_CONTROL_POLICY",
        )["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=outside, TargetId=data)
    return Organization(root, production, data, member, deny_s3=deny, deny_outside=outside)


def account_session(account_id: str) -> boto3.Session:
    """An administrator's session in a member account (moto keeps each account's resources apart)."""
    sts = boto3.client("sts", region_name=REGION)
    role = f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"
    creds = sts.assume_role(RoleArn=role, RoleSessionName="admin")["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


@dataclass(frozen=True)
class People:
    ana: str  # one primary address; member of the group
    ben: str  # two addresses, none primary
    group: str


def build_identity_store(store: str) -> People:
    ids = boto3.client("identitystore", region_name=REGION)

    def user(name: str, emails: list[dict[str, Any]]) -> str:
        names = {"GivenName": name.title(), "FamilyName": "Example"}
        created = ids.create_user(
            IdentityStoreId=store, UserName=name, DisplayName=name, Name=names, Emails=emails
        )
        return str(created["UserId"])

    ana = user("ana", [{"Value": "ana@dept.example.gov", "Type": "work", "Primary": True}])
    ben = user("ben", [{"Value": "ben@dept.example.gov"}, {"Value": "ben@home.example"}])
    group = ids.create_group(IdentityStoreId=store, DisplayName="analysts")["GroupId"]
    ids.create_group_membership(IdentityStoreId=store, GroupId=group, MemberId={"UserId": ana})
    return People(ana=ana, ben=ben, group=group)
