"""fetch: what AWS holds becomes an AwsInventory, complete or an exception.

moto (`mock_aws`) plays AWS wherever it is faithful. Where it is not, a `botocore.stub.Stubber` sits on the
real boto3 client that fetch itself uses, and each such test says why:
- moto answers GetAccountAuthorizationDetails in one page, without PolicyName, and drops user boundaries;
- moto's STS lets anyone assume any role, so a refused AssumeRole has to be stubbed;
- moto never records an access key as used.
Identity Center and service-last-accessed: test_fetch_identity.py; stores: test_fetch_stores.py, and their
controls in test_fetch_s3.py, test_fetch_access_points.py, test_fetch_dynamodb.py, test_fetch_kms.py; SCPs,
RCPs and the organization: test_fetch_organization.py; throttling and error translation: test_fetch_faults.py
and test_fetch_unexpected_answers.py.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore.stub import Stubber

from connectors.aws.accounts import AwsSessions, connect, open_accounts, open_sessions
from connectors.aws.fetch import fetch_inventory
from connectors.aws.inventory import InlinePolicy
from reviews.errors import Misconfigured, SourceUnavailable
from tests.connectors.aws.fetching import NOW, READ_DATA, fetch, only, settings
from tests.data.aws import world
from tests.data.aws.world import CALLER, REGION, S3_READ

OTHER = "210987654321"
AWS_BOUNDARY = "arn:aws:iam::aws:policy/PowerUserAccess"


# --- IAM ---------------------------------------------------------------------------------------------------


def test_iam_users_groups_roles_and_policies_are_read(aws: None) -> None:
    built = world.build_iam()
    account = only(fetch(open_sessions(settings())))

    (ana,) = account.users
    assert (ana.arn, ana.name, ana.groups, ana.attached) == (
        built.user_arn,
        "ana",
        ("analysts",),
        (READ_DATA,),
    )
    assert ana.tags == (("team", "payroll"),)
    assert ana.created is not None and ana.created.tzinfo == UTC
    (key,) = ana.access_keys
    assert (key.status, key.last_used, key.last_used_service) == ("Active", None, None)  # never used
    assert ana.password_last_used is None  # unknown, never "inactive"
    (group,) = account.groups
    assert group.inline == (InlinePolicy("group-read", S3_READ),)
    (role,) = account.roles
    assert (role.arn, role.boundary, role.attached) == (built.role_arn, READ_DATA, (READ_DATA,))
    # RoleDetail.RoleId: "The stable and unique string identifying the role." aws:userid of its sessions is
    # "{RoleId}:{session name}" (https://docs.aws.amazon.com/IAM/latest/APIReference/API_RoleDetail.html).
    assert role.role_id == boto3.client("iam").get_role(RoleName="analyst")["Role"]["RoleId"]
    assert role.role_id.startswith("AROA")
    assert role.trust == world.TRUST_ACCOUNT
    assert role.inline == (InlinePolicy("role-read", S3_READ),)
    (policy,) = account.policies
    # moto sends no PolicyName in the authorization details: the name comes from the ARN.
    assert (policy.arn, policy.name, policy.document, policy.aws_managed) == (
        READ_DATA,
        "read-data",
        S3_READ,
        False,
    )


def _user(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "UserName": name,
        "UserId": f"AIDA{name.upper():0<16}",
        "Arn": f"arn:aws:iam::{CALLER}:user/{name}",
        **extra,
    }


def _page(users: list[dict[str, Any]], marker: str | None = None, **lists: Any) -> dict[str, Any]:
    return {
        "UserDetailList": users,
        "GroupDetailList": lists.get("groups", []),
        "RoleDetailList": [],
        "Policies": lists.get("policies", []),
        "IsTruncated": marker is not None,
        **({"Marker": marker} if marker else {}),
    }


def _get_user(name: str, **extra: Any) -> dict[str, Any]:
    return {"User": {**_user(name), "Path": "/", "CreateDate": NOW, **extra}}


def test_authorization_details_are_read_to_the_end_across_short_pages(aws: None) -> None:
    """Stubber: moto answers in one page, omits PolicyName and drops user boundaries; real IAM does not."""
    account = connect(REGION)
    encoded = quote(json.dumps(S3_READ))  # IAM sends documents URL-encoded
    policy = {  # no PolicyName, two versions: the default one is the document
        "Arn": READ_DATA,
        "DefaultVersionId": "v2",
        "PolicyVersionList": [
            {"Document": quote(json.dumps(world.DENY_S3)), "VersionId": "v1", "IsDefaultVersion": False},
            {"Document": encoded, "VersionId": "v2", "IsDefaultVersion": True},
        ],
    }
    legacy = {
        "GroupName": "legacy",
        "GroupId": "AGPALEGACY0000000",
        "Arn": f"arn:aws:iam::{CALLER}:group/legacy",
        "GroupPolicyList": [{"PolicyName": "broken", "PolicyDocument": quote("{not json")}],
    }
    alice = _user("alice", PermissionsBoundary={"PermissionsBoundaryArn": AWS_BOUNDARY})
    with Stubber(account.client("iam")) as iam:
        iam.add_response("get_account_authorization_details", _page([alice], "m1"), {})
        # A repeated item (alice again) is harmless; it must not count twice.
        page_2 = _page([_user("bob"), _user("carol"), alice], "m2")
        iam.add_response("get_account_authorization_details", page_2, {"Marker": "m1"})
        page_3 = _page(
            [_user("dave", AttachedManagedPolicies=[{"PolicyArn": READ_DATA}])], None, groups=[legacy]
        )
        iam.add_response(
            "get_account_authorization_details", {**page_3, "Policies": [policy]}, {"Marker": "m2"}
        )
        for name in ("alice", "bob", "carol", "dave"):
            extra = {"PasswordLastUsed": NOW} if name == "bob" else {}
            iam.add_response("get_user", _get_user(name, **extra), {"UserName": name})
            iam.add_response("list_access_keys", {"AccessKeyMetadata": []}, {"UserName": name})
        # The AWS managed boundary is not in the answer: it is read on its own.
        iam.add_response(
            "get_policy", {"Policy": {"PolicyName": "PowerUserAccess", "DefaultVersionId": "v9"}}
        )
        iam.add_response(
            "get_policy_version",
            {"PolicyVersion": {"Document": encoded}},
            {"PolicyArn": AWS_BOUNDARY, "VersionId": "v9"},
        )
        account_inventory = only(fetch(AwsSessions(account, (account,))))
        iam.assert_no_pending_responses()

    assert [user.name for user in account_inventory.users] == ["alice", "bob", "carol", "dave"]
    users = {user.name: user for user in account_inventory.users}
    assert users["alice"].boundary == AWS_BOUNDARY
    assert users["bob"].password_last_used == NOW
    policies = {p.arn: p for p in account_inventory.policies}
    assert (policies[READ_DATA].name, policies[READ_DATA].document) == ("read-data", S3_READ)
    assert (policies[AWS_BOUNDARY].aws_managed, policies[AWS_BOUNDARY].document) == (True, S3_READ)
    (group,) = account_inventory.groups
    assert group.inline == (InlinePolicy("broken", "{not json"),)  # kept as text, for human review


@pytest.mark.parametrize(
    ("second_page", "problem"),
    [
        ({"IsTruncated": True}, "IsTruncated but gives no Marker"),
        ({"IsTruncated": True, "Marker": "m1"}, "same Marker came back twice"),
        ({"UserDetailList": [_user("alice", Path="/changed/")], "IsTruncated": False}, "different content"),
    ],
)
def test_a_malformed_page_fails_the_read(aws: None, second_page: dict[str, Any], problem: str) -> None:
    """Stubber: only a fake can send a broken page. botocore's paginator would stop quietly on the first."""
    account = connect(REGION)
    with Stubber(account.client("iam")) as iam:
        iam.add_response("get_account_authorization_details", _page([_user("alice")], "m1"))
        iam.add_response("get_account_authorization_details", {"UserDetailList": [], **second_page})
        with pytest.raises(
            SourceUnavailable, match=f"account {CALLER}.*GetAccountAuthorizationDetails.*{problem}"
        ):
            fetch(AwsSessions(account, (account,)))


def test_access_key_use_is_read_per_key(aws: None) -> None:
    """Stubber: moto never records a key as used."""
    account = connect(REGION)
    key = {"UserName": "ana", "AccessKeyId": "AKIAEXAMPLEKEY000001", "Status": "Inactive", "CreateDate": NOW}
    used = {
        "UserName": "ana",
        "AccessKeyLastUsed": {"LastUsedDate": NOW, "ServiceName": "s3", "Region": REGION},
    }
    with Stubber(account.client("iam")) as iam:
        iam.add_response("get_account_authorization_details", _page([_user("ana")]))
        iam.add_response("get_user", _get_user("ana"))
        iam.add_response("list_access_keys", {"AccessKeyMetadata": [key]})
        iam.add_response("get_access_key_last_used", used, {"AccessKeyId": key["AccessKeyId"]})
        (ana,) = only(fetch(AwsSessions(account, (account,)))).users
    (read,) = ana.access_keys
    assert (read.key_id, read.status, read.last_used, read.last_used_service) == (
        "AKIAEXAMPLEKEY000001",
        "Inactive",
        NOW,
        "s3",
    )


# --- accounts ----------------------------------------------------------------------------------------------


def test_an_account_whose_role_cannot_be_assumed_fails_the_whole_sync_naming_it(aws: None) -> None:
    """Stubber: moto's STS lets anyone assume any role."""
    caller = connect(REGION)
    role = f"arn:aws:iam::{OTHER}:role/RecertifyRead"
    with Stubber(caller.client("sts")) as sts:
        sts.add_client_error("assume_role", "AccessDenied", "not authorized to perform: sts:AssumeRole", 403)
        with pytest.raises(Misconfigured, match=f"account {OTHER}: cannot assume {role}"):
            open_accounts(settings(accounts=[CALLER, OTHER]), caller)


def test_an_unreachable_sts_fails_the_sync_as_retryable_naming_the_account(aws: None) -> None:
    """Stubber: a 503 after the client's own retries (which the Stubber bypasses) reaches us as an error."""
    caller = connect(REGION)
    with Stubber(caller.client("sts")) as sts:
        sts.add_client_error("assume_role", "ServiceUnavailable", "try later", 503)
        with pytest.raises(SourceUnavailable, match=f"account {OTHER}: sts:AssumeRole") as raised:
            open_accounts(settings(accounts=[OTHER]), caller)
    assert raised.value.retryable


def test_each_account_is_read_through_its_assumed_role(aws: None) -> None:
    world.build_iam()
    organization = world.build_organization()
    world.account_session(organization.member).client("iam").create_user(UserName="ben")

    sessions = open_sessions(settings(accounts=[CALLER, organization.member]))
    inventory = fetch_inventory(settings(), sessions, now=NOW)

    assert [account.account_id for account in inventory.accounts] == [CALLER, organization.member]
    assert [user.name for user in only(inventory).users] == ["ana"]
    assert [user.name for user in only(inventory, organization.member).users] == ["ben"]
    assert inventory.taken_at == NOW


def test_use_organizations_reads_every_active_account(aws: None) -> None:
    organization = world.build_organization()
    org = boto3.client("organizations", region_name=REGION)
    closed = org.create_account(Email="old@dept.example.gov", AccountName="old")["CreateAccountStatus"][
        "AccountId"
    ]
    org.close_account(AccountId=closed)

    sessions = open_sessions(settings(use_organizations=True))

    assert sorted(a.account_id for a in sessions.accounts) == sorted([CALLER, organization.member])
    assert sessions.caller in sessions.accounts  # the caller's own account is read with its own credentials


def test_use_organizations_outside_an_organization_is_a_configuration_error(aws: None) -> None:
    # AWS answers AWSOrganizationsNotInUseException, moto an empty list: both must stop the sync.
    with pytest.raises(Misconfigured, match="aws.use_organizations"):
        open_sessions(settings(use_organizations=True))
