"""AwsConnector.plan_revocation against moto: the grants come from a real snapshot of the connector; each
planned change is dry-run and applied live through the connector, its effect read back in moto, and its
inverse applied to restore it. Refusals name what a person must change, and change nothing.

Identity Center grants are written by hand in the shape access.py gives them: moto cannot serve the
connector's Identity Center read (no GetPermissionsBoundaryForPermissionSet, see test_fetch_identity.py),
but it does hold permission sets and account assignments, which is what planning and revoking touch.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from connectors.aws import revoke
from connectors.aws.connector import AwsConnector
from connectors.aws.settings import AwsSettings
from connectors.aws.steps import StatementRef, statement_step
from reviews.clock import FrozenClock
from reviews.entitlements import AccessLevel, Grant, PathStep, PlannedChange, RevocationResult
from reviews.errors import NotFound, RevocationRefused
from tests.data.aws.world import CALLER, REGION, S3_READ, make_bucket, tags
from tests.helpers import T0

SETTINGS = AwsSettings(identity_center=False, last_accessed=False)
BUCKET = "arn:aws:s3:::payroll"
TARGET = "111122223333"  # the account an Identity Center assignment gives access to
IC_USER = "96671234-5678-4abc-8def-0123456789ab"
IC_ROLE = f"arn:aws:iam::{TARGET}:role/aws-reserved/sso.amazonaws.com/{REGION}/AWSReservedSSO_HrReader_0123"
POLICY = f"arn:aws:iam::{CALLER}:policy/read-data"


def _user(name: str) -> str:
    return f"arn:aws:iam::{CALLER}:user/{name}"


def _build() -> None:
    """One principal per way of holding read access to the payroll bucket:
    gia and hal: group analysts (a managed policy attached to the group); dan: that policy attached to him;
    ivy: an inline policy of her own; rex: may assume role etl, which holds the policy (and glue may assume
    etl too); pat: named by the bucket policy."""
    make_bucket("payroll", tag_set=tags())
    bucket_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": _user("pat")},
                "Action": "s3:GetObject",
                "Resource": f"{BUCKET}/*",
            }
        ],
    }
    boto3.client("s3", region_name=REGION).put_bucket_policy(
        Bucket="payroll", Policy=json.dumps(bucket_policy)
    )
    iam = boto3.client("iam", region_name=REGION)
    assert (
        iam.create_policy(PolicyName="read-data", PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
        == POLICY
    )
    iam.create_group(GroupName="analysts")
    iam.attach_group_policy(GroupName="analysts", PolicyArn=POLICY)
    for name in ("gia", "hal", "dan", "ivy", "rex", "pat"):
        iam.create_user(UserName=name)
    for name in ("gia", "hal"):
        iam.add_user_to_group(GroupName="analysts", UserName=name)
    iam.attach_user_policy(UserName="dan", PolicyArn=POLICY)
    iam.put_user_policy(UserName="ivy", PolicyName="read-payroll", PolicyDocument=json.dumps(S3_READ))
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": _user("rex")}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"},
        ],
    }
    iam.create_role(RoleName="etl", AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName="etl", PolicyArn=POLICY)


def _state() -> dict[str, Any]:
    """Everything a planned change could touch, read with clients of the test's own."""
    iam = boto3.client("iam", region_name=REGION)
    users = ("gia", "hal", "dan", "ivy", "rex", "pat")
    return {
        "groups": {
            u: [g["GroupName"] for g in iam.list_groups_for_user(UserName=u)["Groups"]] for u in users
        },
        "user_policies": {
            u: [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=u)["AttachedPolicies"]]
            for u in users
        },
        "user_inline": {u: iam.list_user_policies(UserName=u)["PolicyNames"] for u in users},
        "group_policies": [
            p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName="analysts")["AttachedPolicies"]
        ],
        "role_policies": [
            p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="etl")["AttachedPolicies"]
        ],
    }


@pytest.fixture
def connector(aws: None) -> AwsConnector:
    return AwsConnector(SETTINGS, clock=FrozenClock(T0))


@pytest.fixture
def grants(connector: AwsConnector) -> dict[str, Grant]:
    """The snapshot's read grant to the bucket, by principal name."""
    _build()
    return {
        g.principal_provider_id.rsplit("/", 1)[-1]: g
        for g in connector.snapshot().grants
        if g.store_provider_id == BUCKET and g.access is AccessLevel.READ
    }


def _apply_and_undo(connector: AwsConnector, planned: PlannedChange, gone: Any, back: Any) -> None:
    """Dry run (nothing changes), live (gone), again (already absent), undo (back)."""
    before = _state()
    assert connector.revoke(planned.action, dry_run=True) is RevocationResult.DRY_RUN
    assert _state() == before
    assert connector.revoke(planned.action, dry_run=False) is RevocationResult.APPLIED
    assert gone(_state()) and connector.verify(planned.action) is True
    assert connector.revoke(planned.action, dry_run=False) is RevocationResult.ALREADY_ABSENT
    assert planned.inverse is not None
    assert connector.revoke(planned.inverse, dry_run=False) is RevocationResult.APPLIED
    assert back(_state()) and _state() == before


# --- planned changes -----------------------------------------------------------------------------------


def test_a_group_member_leaves_the_group_and_only_that_member(
    connector: AwsConnector, grants: dict[str, Grant]
) -> None:
    assert [s.kind for s in grants["gia"].path] == ["group", "policy"]
    before = _state()
    planned = connector.plan_revocation(grants["gia"])
    assert _state() == before  # planning never writes
    assert planned.action.kind == "remove_user_from_group"
    assert dict(planned.action.params) == {"account_id": CALLER, "user_name": "gia", "group_name": "analysts"}

    def gone(state: dict[str, Any]) -> bool:
        return state["groups"]["gia"] == [] and state["groups"]["hal"] == ["analysts"]

    _apply_and_undo(connector, planned, gone, lambda state: state["groups"]["gia"] == ["analysts"])


def test_a_policy_attached_to_a_group_is_never_detached(
    connector: AwsConnector, grants: dict[str, Grant]
) -> None:
    for name in ("gia", "hal"):
        planned = connector.plan_revocation(grants[name])
        assert planned.action.kind == "remove_user_from_group"
        assert connector.revoke(planned.action, dry_run=False) is RevocationResult.APPLIED
    state = _state()
    assert state["group_policies"] == [POLICY]  # the group keeps its policy: its next member keeps access
    assert state["groups"]["gia"] == state["groups"]["hal"] == []


def test_a_managed_policy_attached_to_the_user_is_detached(
    connector: AwsConnector, grants: dict[str, Grant]
) -> None:
    planned = connector.plan_revocation(grants["dan"])
    assert planned.action.kind == "detach_user_policy"
    assert dict(planned.action.params) == {"account_id": CALLER, "user_name": "dan", "policy_arn": POLICY}

    def gone(state: dict[str, Any]) -> bool:  # the attachment only: the policy still serves the group
        return state["user_policies"]["dan"] == [] and state["group_policies"] == [POLICY]

    _apply_and_undo(connector, planned, gone, lambda state: state["user_policies"]["dan"] == [POLICY])


def test_an_inline_policy_is_deleted_and_undo_puts_the_same_document_back(
    connector: AwsConnector, grants: dict[str, Grant]
) -> None:
    iam = boto3.client("iam", region_name=REGION)
    original = iam.get_user_policy(UserName="ivy", PolicyName="read-payroll")["PolicyDocument"]
    planned = connector.plan_revocation(grants["ivy"])
    assert planned.action.kind == "delete_user_policy"
    assert planned.inverse is not None and json.loads(planned.inverse.param("policy_document")) == S3_READ

    _apply_and_undo(
        connector,
        planned,
        lambda state: state["user_inline"]["ivy"] == [],
        lambda state: state["user_inline"]["ivy"] == ["read-payroll"],
    )
    assert iam.get_user_policy(UserName="ivy", PolicyName="read-payroll")["PolicyDocument"] == original


def test_a_roles_own_policy_is_detached_from_the_role(
    connector: AwsConnector, grants: dict[str, Grant]
) -> None:
    """Who may assume the role (glue, here) heads its path; the hop from the role is its policy."""
    assert [s.kind for s in grants["etl"].path] == ["service", "policy"]
    planned = connector.plan_revocation(grants["etl"])
    assert planned.action.kind == "detach_role_policy"
    assert dict(planned.action.params) == {"account_id": CALLER, "role_name": "etl", "policy_arn": POLICY}
    _apply_and_undo(
        connector,
        planned,
        lambda state: state["role_policies"] == [],
        lambda state: state["role_policies"] == [POLICY],
    )


def test_access_already_gone_is_not_found_after_a_read(
    connector: AwsConnector, grants: dict[str, Grant]
) -> None:
    boto3.client("iam", region_name=REGION).remove_user_from_group(GroupName="analysts", UserName="gia")
    with pytest.raises(NotFound, match="already absent"):
        connector.plan_revocation(grants["gia"])


# --- refusals: each says what a person must change, and nothing changes ----------------------------------


def test_access_through_assuming_a_role_is_refused(connector: AwsConnector, grants: dict[str, Grant]) -> None:
    assert grants["rex"].path[0].kind == "role"
    before = _state()
    with pytest.raises(RevocationRefused, match="by assuming role etl.*trust policy"):
        connector.plan_revocation(grants["rex"])
    assert _state() == before


def test_a_user_named_directly_by_a_bucket_policy_is_removed_with_an_admins_approval(
    connector: AwsConnector, grants: dict[str, Grant]
) -> None:
    """The statement names pat alone, so it goes, and with it the policy (its only statement); the undo puts
    the policy back. The step is written in the evaluator's statement format (connectors/aws/steps.py)."""
    assert [s.kind for s in grants["pat"].path] == ["resource_policy"]
    step = statement_step(StatementRef(BUCKET, 0, ""), "bucket policy")
    s3 = boto3.client("s3", region_name=REGION)
    original = s3.get_bucket_policy(Bucket="payroll")["Policy"]

    planned = connector.plan_revocation(replace(grants["pat"], path=(step,)))

    assert planned.approval == "a shared bucket policy is changed only with an admin's approval"
    assert planned.action.kind == "remove_from_bucket_policy"
    assert connector.revoke(planned.action, dry_run=False) is RevocationResult.APPLIED
    with pytest.raises(ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket="payroll")
    assert planned.inverse is not None
    assert connector.revoke(planned.inverse, dry_run=False) is RevocationResult.APPLIED
    assert json.loads(s3.get_bucket_policy(Bucket="payroll")["Policy"]) == json.loads(original)


def test_iam_changes_carry_no_approval(connector: AwsConnector, grants: dict[str, Grant]) -> None:
    assert connector.plan_revocation(grants["dan"]).approval is None


@pytest.mark.parametrize(
    ("role", "why"),
    [
        (
            f"arn:aws:iam::{CALLER}:role/aws-service-role/glue.amazonaws.com/AWSServiceRoleForGlue",
            "service-linked role",
        ),
        (IC_ROLE, "Identity Center provisions it"),
    ],
)
def test_roles_owned_by_aws_or_identity_center_are_refused(role: str, why: str) -> None:
    grant = Grant(BUCKET, role, AccessLevel.READ, (PathStep("policy", POLICY, "read-data"),))
    with pytest.raises(RevocationRefused, match=why):
        revoke.plan_for_grant(grant)  # decided from the grant alone: no AWS call


def test_a_grant_from_a_policy_not_fully_read_is_refused(grants: dict[str, Grant]) -> None:
    with pytest.raises(RevocationRefused, match="could not fully read"):
        revoke.plan_for_grant(replace(grants["dan"], needs_human_review=True))


def test_an_inline_policy_of_someone_else_is_refused() -> None:
    step = PathStep("inline_policy", f"{_user('other')}#inline:read-payroll", "read-payroll")
    with pytest.raises(RevocationRefused, match="is not its own"):
        revoke.plan_for_grant(Grant(BUCKET, _user("ivy"), AccessLevel.READ, (step,)))


# --- Identity Center -------------------------------------------------------------------------------------


def _assignments(instance: str, permission_set: str) -> set[tuple[str, str]]:
    sso = boto3.client("sso-admin", region_name=REGION)
    found = sso.list_account_assignments(
        InstanceArn=instance, AccountId=TARGET, PermissionSetArn=permission_set
    )
    return {(a["PrincipalType"], a["PrincipalId"]) for a in found["AccountAssignments"]}


def _ic_grant(permission_set: str, *prefix: PathStep) -> Grant:
    path = (
        *prefix,
        PathStep("permission_set", permission_set, "HrReader"),
        PathStep("role", IC_ROLE, IC_ROLE.rsplit("/", 1)[-1]),
        PathStep("policy", POLICY, "read-data"),
    )
    return Grant(BUCKET, IC_USER, AccessLevel.READ, path)


def test_a_direct_identity_center_assignment_is_deleted_for_that_user(connector: AwsConnector) -> None:
    sso = boto3.client("sso-admin", region_name=REGION)
    instance = sso.list_instances()["Instances"][0]["InstanceArn"]
    permission_set = sso.create_permission_set(InstanceArn=instance, Name="HrReader")["PermissionSet"][
        "PermissionSetArn"
    ]
    other = "96671234-5678-4abc-8def-ba9876543210"
    for principal in (IC_USER, other):
        sso.create_account_assignment(
            InstanceArn=instance,
            TargetId=TARGET,
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=permission_set,
            PrincipalType="USER",
            PrincipalId=principal,
        )
    everyone = {("USER", IC_USER), ("USER", other)}

    planned = connector.plan_revocation(_ic_grant(permission_set))
    assert planned.action.kind == "delete_account_assignment"
    assert dict(planned.action.params) == {
        "instance_arn": instance,
        "account_id": TARGET,
        "permission_set_arn": permission_set,
        "principal_type": "USER",
        "principal_id": IC_USER,
    }
    assert connector.revoke(planned.action, dry_run=True) is RevocationResult.DRY_RUN
    assert _assignments(instance, permission_set) == everyone
    assert connector.revoke(planned.action, dry_run=False) is RevocationResult.APPLIED
    assert _assignments(instance, permission_set) == {("USER", other)}
    with pytest.raises(NotFound):
        connector.plan_revocation(_ic_grant(permission_set))
    assert planned.inverse is not None
    assert connector.revoke(planned.inverse, dry_run=False) is RevocationResult.APPLIED
    assert _assignments(instance, permission_set) == everyone


def test_identity_center_access_through_a_group_is_refused_naming_the_group() -> None:
    group = PathStep("group", "90676e5c-0000-4000-8000-000000000001", "analysts")
    grant = _ic_grant("arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222", group)
    with pytest.raises(RevocationRefused, match="member of group analysts: remove them from analysts"):
        revoke.plan_for_grant(grant)
