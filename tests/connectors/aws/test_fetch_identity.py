"""fetch: Identity Center, where moto falls short (service-last-accessed: test_last_accessed.py).

identitystore is moto. sso-admin is a `botocore.stub.Stubber` on the real client fetch uses: moto 5.2 has no
GetPermissionsBoundaryForPermissionSet (so no permission set can be read through it), always has an instance
and never denies.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import Stubber

from connectors.aws.accounts import AwsSessions, connect
from tests.connectors.aws.fetching import READ_DATA, fetch, only
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
