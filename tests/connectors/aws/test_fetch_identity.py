"""fetch: Identity Center and service-last-accessed, where moto falls short.

identitystore is moto. sso-admin and IAM's service-last-accessed jobs are `botocore.stub.Stubber`s on the
real clients fetch uses: moto 5.2 has no GetPermissionsBoundaryForPermissionSet (so no permission set can be
read through it), always has an instance and never denies; it has no service-last-accessed jobs at all.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import Stubber

from connectors.aws.accounts import AwsSessions, connect
from connectors.aws.fetch import fetch_last_accessed
from reviews.errors import SourceUnavailable
from tests.connectors.aws.fetching import NOW, READ_DATA, fetch, only
from tests.data.aws import world
from tests.data.aws.world import CALLER, REGION, S3_READ

# --- Identity Center ---------------------------------------------------------------------------------------

INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111"
PERMISSION_SET = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222"
S3_READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def test_identity_center_users_groups_permission_sets_and_assignments(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """identitystore is moto; sso-admin a Stubber: moto lacks GetPermissionsBoundaryForPermissionSet."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # so that AmazonS3ReadOnlyAccess exists
    world.build_iam()
    store = "d-9067000000"
    people = world.build_identity_store(store)
    caller = connect(REGION)
    keys = {"InstanceArn": INSTANCE, "PermissionSetArn": PERMISSION_SET}
    reference = {"Name": "read-data", "Path": "/data/"}
    assignments = [
        {"AccountId": CALLER, "PermissionSetArn": PERMISSION_SET, "PrincipalType": kind, "PrincipalId": who}
        for kind, who in (("GROUP", people.group), ("USER", people.ben))
    ]
    with Stubber(caller.client("sso-admin")) as sso:
        sso.add_response(
            "list_instances", {"Instances": [{"InstanceArn": INSTANCE, "IdentityStoreId": store}]}
        )
        sso.add_response(
            "list_permission_sets", {"PermissionSets": [PERMISSION_SET]}, {"InstanceArn": INSTANCE}
        )
        sso.add_response("describe_permission_set", {"PermissionSet": {"Name": "DataRead"}}, keys)
        sso.add_response("get_inline_policy_for_permission_set", {"InlinePolicy": json.dumps(S3_READ)}, keys)
        managed = [{"Name": "AmazonS3ReadOnlyAccess", "Arn": S3_READ_ONLY}]
        sso.add_response(
            "list_managed_policies_in_permission_set", {"AttachedManagedPolicies": managed}, keys
        )
        customer = {"CustomerManagedPolicyReferences": [reference]}
        sso.add_response("list_customer_managed_policy_references_in_permission_set", customer, keys)
        boundary = {"PermissionsBoundary": {"CustomerManagedPolicyReference": reference}}
        sso.add_response("get_permissions_boundary_for_permission_set", boundary, keys)
        sso.add_response(
            "list_account_assignments", {"AccountAssignments": assignments}, {**keys, "AccountId": CALLER}
        )
        inventory = fetch(AwsSessions(caller, (caller,)), identity_center=True)

    center = inventory.identity_center
    assert center is not None and (center.instance_arn, center.identity_store_id) == (INSTANCE, store)
    users = {user.user_name: user for user in center.users}
    assert users["ana"].email == "ana@dept.example.gov"  # the primary address
    assert users["ben"].email is None  # two addresses, none primary: unknown, not guessed
    (group,) = center.groups
    assert (group.name, group.member_user_ids) == ("analysts", (people.ana,))
    (permission_set,) = center.permission_sets
    assert (permission_set.name, permission_set.managed) == ("DataRead", (S3_READ_ONLY,))
    assert (permission_set.customer_managed, permission_set.boundary) == (
        ("/data/read-data",),
        "/data/read-data",
    )
    assert permission_set.inline == S3_READ
    assert {(a.principal_type, a.principal_id) for a in center.assignments} == {
        ("GROUP", people.group),
        ("USER", people.ben),
    }
    # The permission set's AWS managed policy is in the account's policies, so the evaluator can use it;
    # AWS managed policies nobody uses are not (moto lists all of them).
    assert {p.arn for p in only(inventory).policies} == {READ_DATA, S3_READ_ONLY}


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ({"Instances": []}, "sees no instance in eu-west-2"),
        (("AccessDeniedException", 400), "may not call sso:ListInstances (AccessDeniedException)"),
    ],
)
def test_identity_center_that_cannot_be_found_is_none_with_a_note(aws: None, answer: Any, why: str) -> None:
    """Stubber: moto always has an instance, and never denies."""
    caller = connect(REGION)
    with Stubber(caller.client("sso-admin")) as sso:
        if isinstance(answer, dict):
            sso.add_response("list_instances", answer)
        else:
            sso.add_client_error("list_instances", answer[0], "denied", answer[1])
        inventory = fetch(AwsSessions(caller, (caller,)), identity_center=True)
    assert inventory.identity_center is None
    assert any(why in note for note in inventory.notes)


# --- service last accessed ---------------------------------------------------------------------------------

ANA = f"arn:aws:iam::{CALLER}:user/ana"
JOB_1 = "00000000-0000-4000-8000-000000000001"
JOB_2 = "00000000-0000-4000-8000-000000000002"


def _job(status: str, services: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    # The model marks JobCompletionDate required, even while the job runs.
    base = {
        "JobStatus": status,
        "JobCreationDate": NOW,
        "JobCompletionDate": NOW,
        "ServicesLastAccessed": services or [],
    }
    return {**base, **extra}


def test_last_accessed_polls_the_job_and_reads_every_page(aws: None) -> None:
    """Stubber: moto has no service-last-accessed jobs."""
    account = connect(REGION)
    s3 = {"ServiceName": "Amazon S3", "ServiceNamespace": "s3", "LastAuthenticated": NOW}
    dynamodb = {"ServiceName": "Amazon DynamoDB", "ServiceNamespace": "dynamodb"}  # never used
    ec2 = {"ServiceName": "Amazon EC2", "ServiceNamespace": "ec2", "LastAuthenticated": NOW}
    with Stubber(account.client("iam")) as iam:
        iam.add_response(
            "generate_service_last_accessed_details",
            {"JobId": JOB_1},
            {"Arn": ANA, "Granularity": "SERVICE_LEVEL"},
        )
        iam.add_response("get_service_last_accessed_details", _job("IN_PROGRESS"), {"JobId": JOB_1})
        first = _job("COMPLETED", [s3, ec2], IsTruncated=True, Marker="next")
        iam.add_response("get_service_last_accessed_details", first, {"JobId": JOB_1})
        last = _job("COMPLETED", [dynamodb], IsTruncated=False)
        iam.add_response("get_service_last_accessed_details", last, {"JobId": JOB_1, "Marker": "next"})
        found = fetch_last_accessed(account, [ANA], {"s3", "dynamodb"}, poll_interval=0, timeout=5)
    assert {(f.principal_arn, f.service, f.last_authenticated, f.tracking_start) for f in found} == {
        (ANA, "s3", NOW, None),
        (ANA, "dynamodb", None, None),
    }


def test_a_failed_or_unfinished_last_accessed_job_raises(aws: None) -> None:
    """Stubber: moto has no service-last-accessed jobs."""
    account = connect(REGION)
    failed = _job("FAILED", Error={"Message": "internal", "Code": "InternalError"})
    with Stubber(account.client("iam")) as iam:
        iam.add_response("generate_service_last_accessed_details", {"JobId": JOB_1})
        iam.add_response("get_service_last_accessed_details", failed)
        with pytest.raises(SourceUnavailable, match="the job failed: internal"):
            fetch_last_accessed(account, [ANA], {"s3"}, poll_interval=0, timeout=5)
        iam.add_response("generate_service_last_accessed_details", {"JobId": JOB_2})
        iam.add_response("get_service_last_accessed_details", _job("IN_PROGRESS"))
        with pytest.raises(SourceUnavailable, match="1 service-last-accessed jobs unfinished") as raised:
            fetch_last_accessed(account, [ANA], {"s3"}, poll_interval=0, timeout=0)
    assert raised.value.retryable
