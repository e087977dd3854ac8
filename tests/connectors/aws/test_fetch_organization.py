"""fetch: the organization (its id, management account and every account by name), and the SCP and RCP
levels above each account, read by one reader with the caller's credentials.

moto plays Organizations (SCPs and RCPs, with FullAWSAccess and RCPFullAWSAccess attached to every root, OU
and account as AWS does). A `botocore.stub.Stubber` on the caller's Organizations client stands in where
moto never denies.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.stub import Stubber

from connectors.aws.accounts import AwsSessions, connect, open_sessions
from connectors.aws.inventory import Organization, PolicyDocument
from tests.connectors.aws.fetching import fetch, only, settings
from tests.data.aws import world
from tests.data.aws.world import CALLER, REGION

FULL_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
RCP_FULL_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}
MANAGEMENT_NOTE = f"account {CALLER}: the organization's management account; SCPs and RCPs do not apply to it"


def _as_sets(levels: tuple[tuple[PolicyDocument, ...], ...]) -> list[list[str]]:
    return [sorted(json.dumps(document, sort_keys=True) for document in level) for level in levels]


def _expected(*levels: list[dict[str, Any]]) -> list[list[str]]:
    return [sorted(json.dumps(document, sort_keys=True) for document in level) for level in levels]


def test_scp_and_rcp_levels_run_from_the_root_down_to_the_account(aws: None) -> None:
    """SCPs: "there must be an explicit Allow statement at every level from the root through each OU in the
    direct path to the account (including the target account itself)"
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
    RCPs alike: "For a permission to be denied for a resource in a specific account, any RCP from the root
    through each OU in the direct path to the account (including the target account itself) can deny that
    permission." (…/orgs_manage_policies_rcps_evaluation.html) ListPoliciesForTarget's Filter takes
    RESOURCE_CONTROL_POLICY (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListPoliciesForTarget.html)."""
    organization = world.build_organization(rcps=True)

    inventory = fetch(open_sessions(settings(accounts=[CALLER, organization.member])))

    member = only(inventory, organization.member)
    # root, production, data, the account
    assert _as_sets(member.scp_levels) == _expected(
        [FULL_ACCESS], [world.DENY_S3, FULL_ACCESS], [FULL_ACCESS], [FULL_ACCESS]
    )
    assert _as_sets(member.rcp_levels) == _expected(
        [RCP_FULL_ACCESS], [RCP_FULL_ACCESS], [world.DENY_OUTSIDE, RCP_FULL_ACCESS], [RCP_FULL_ACCESS]
    )


def test_the_management_account_gets_neither_scps_nor_rcps(aws: None) -> None:
    """ "SCPs don't affect users or roles in the management account."
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html) "RCPs don't
    affect resources in the management account." (…/orgs_manage_policies_rcps.html)"""
    world.build_organization(rcps=True)

    inventory = fetch(open_sessions(settings()))

    assert (only(inventory).scp_levels, only(inventory).rcp_levels) == ((), ())
    assert MANAGEMENT_NOTE in inventory.notes


def test_rcps_not_enabled_give_no_rcp_levels_and_one_note(aws: None) -> None:
    """Root.PolicyTypes: "The types of policies that are currently enabled for the root and therefore can be
    attached to the root or to its OUs or accounts."
    (https://docs.aws.amazon.com/organizations/latest/APIReference/API_Root.html) Not enabled: no RCP limit,
    said once for the organization, not once per account."""
    organization = world.build_organization()  # SCPs only
    second = boto3.client("organizations", region_name=REGION).create_account(
        Email="archive@dept.example.gov", AccountName="archive"
    )["CreateAccountStatus"]["AccountId"]

    inventory = fetch(open_sessions(settings(accounts=[organization.member, second])))

    assert [len(account.scp_levels) for account in inventory.accounts] == [
        4,
        2,
    ]  # root … account; root, account
    assert [account.rcp_levels for account in inventory.accounts] == [(), ()]
    note = "no RCPs considered: resource control policies are not enabled in the organization"
    assert inventory.notes.count(note) == 1


def test_no_organization_means_no_levels_no_organization_and_notes(aws: None) -> None:
    """DescribeOrganization answers AWSOrganizationsNotInUseException outside an organization
    (https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html)."""
    inventory = fetch(open_sessions(settings()))

    assert (only(inventory).scp_levels, only(inventory).rcp_levels, inventory.organization) == ((), (), None)
    assert f"no SCPs or RCPs considered: account {CALLER} is not in an organization" in inventory.notes
    assert any(
        note.startswith("organization:") and "not in an organization" in note for note in inventory.notes
    )


def test_the_organization_names_every_account(aws: None) -> None:
    """ListAccounts "Lists all the accounts in the organization" (…/API_ListAccounts.html); Account.Name is
    "The friendly name of the account". DescribeOrganization gives its Id and MasterAccountId."""
    organization = world.build_organization()
    described = boto3.client("organizations", region_name=REGION).describe_organization()["Organization"]

    inventory = fetch(open_sessions(settings()))

    assert inventory.organization == Organization(
        org_id=described["Id"],
        management_account_id=CALLER,
        accounts=tuple(sorted([(CALLER, "master"), (organization.member, "data")])),
    )


def test_an_organization_whose_accounts_cannot_be_listed_is_none_with_a_note(aws: None) -> None:
    """Stubber on the caller's Organizations client: moto never denies. ListAccounts: "You can only call this
    operation from the management account or a member account that is a delegated administrator." Without
    the account list, every account not read counts as external (which overstates exposure, never hides it),
    and the note says why. The SCP/RCP reader goes on with what it may read."""
    caller = connect(REGION)
    described = {
        "Organization": {"Id": "o-exampleorgid", "MasterAccountId": "111111111111", "FeatureSet": "ALL"}
    }
    roots = {"Roots": [{"Id": "r-abcd", "Name": "Root", "PolicyTypes": []}]}
    with Stubber(caller.client("organizations")) as organizations:
        organizations.add_response("describe_organization", described)
        organizations.add_client_error("list_accounts", "AccessDeniedException", "not a delegated admin", 400)
        organizations.add_response("describe_organization", described)
        organizations.add_response("list_roots", roots)
        organizations.add_client_error("list_parents", "AccessDeniedException", "denied", 400)
        inventory = fetch(AwsSessions(caller, (caller,)))

    assert inventory.organization is None
    why = f"organizations:ListAccounts answered AccessDeniedException to account {CALLER}"
    assert f"organization: not known ({why}); every account not read counts as external" in inventory.notes
    assert (only(inventory).scp_levels, only(inventory).rcp_levels) == ((), ())
    assert any(note.startswith(f"account {CALLER}: no SCPs or RCPs considered:") for note in inventory.notes)


def test_an_account_outside_the_organization_gets_no_levels_and_a_note(aws: None) -> None:
    """Stubber on the caller's Organizations client: moto answers AccountNotFoundException where AWS
    documents ChildNotFoundException for ListParents: "We can't find an organizational unit (OU) or Amazon
    Web Services account with the ChildId that you specified."
    (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListParents.html) An account listed
    in aws.accounts from outside the organization is read; only the policies above it cannot be."""
    caller = connect(REGION)
    described = {"Organization": {"Id": "o-exampleorgid", "MasterAccountId": "111111111111"}}
    roots = {"Roots": [{"Id": "r-abcd", "Name": "Root", "PolicyTypes": []}]}
    accounts = {"Accounts": [{"Id": "111111111111", "Name": "management"}]}
    with Stubber(caller.client("organizations")) as organizations:
        organizations.add_response("describe_organization", described)
        organizations.add_response("list_accounts", accounts)
        organizations.add_response("describe_organization", described)
        organizations.add_response("list_roots", roots)
        organizations.add_client_error("list_parents", "ChildNotFoundException", "no such child", 400)
        inventory = fetch(AwsSessions(caller, (caller,)))

    assert (only(inventory).scp_levels, only(inventory).rcp_levels) == ((), ())
    assert any(
        note.startswith(f"account {CALLER}: no SCPs or RCPs considered: it is not in the organization")
        for note in inventory.notes
    )
    assert inventory.organization == Organization(
        "o-exampleorgid", "111111111111", (("111111111111", "management"),)
    )
