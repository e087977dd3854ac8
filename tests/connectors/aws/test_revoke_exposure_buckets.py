"""Bucket ACLs, Block Public Access, which account owns a bucket, and stored actions that cannot run: the
cases beyond the common battery of test_revoke_exposure.py, each read back from moto.

AWS's API reference, which these follow:
- PublicAccessBlockConfiguration
  (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PublicAccessBlockConfiguration.html), IgnorePublicAcls:
  "Setting this element to TRUE causes Amazon S3 to ignore all public ACLs on this bucket and objects in this
  bucket. Enabling this setting doesn't affect the persistence of any existing ACLs and doesn't prevent new
  public ACLs from being set." DeletePublicAccessBlock
  (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeletePublicAccessBlock.html): "Removes the
  PublicAccessBlock configuration for an Amazon S3 bucket."
- PutBucketAcl (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html): "Sets the permissions
  on an existing bucket using access control lists (ACL)."
- ListBuckets (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html): "Returns a list of all
  buckets owned by the authenticated sender of the request. To grant IAM permission to use this operation,
  you must add the s3:ListAllMyBuckets policy action."
"""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest

from connectors.aws.accounts import AwsAccount
from connectors.aws.revoke import (
    SessionClients,
    apply,
    plan_ignore_public_acls,
    plan_remove_acl_grant,
    plan_remove_from_statement,
    verify,
)
from reviews.entitlements import RevocationResult
from reviews.errors import NotFound, RevocationRefused
from tests.connectors.aws.exposure_world import (
    ALL_USERS,
    APPROVAL,
    PARTNER,
    PARTNER_CANONICAL,
    PARTNER_ROOT,
    REGION,
    SITE,
    SITE_ARN,
    SITE_BLOCK,
    admin,
    build_exposure,
    exposure_snapshot,
    session_clients,
)

OTHER_ACCOUNT = "111122223333"
ON = {"IgnorePublicAcls": True, "RestrictPublicBuckets": True}


@pytest.fixture
def clients(aws: None) -> SessionClients:
    build_exposure()
    return session_clients()


# --- Block Public Access ----------------------------------------------------------------------------------


def test_a_bucket_without_a_configuration_gets_one_and_undo_deletes_it(clients: SessionClients) -> None:
    admin("s3").delete_public_access_block(Bucket=SITE)
    planned = plan_ignore_public_acls(clients, bucket_arn=SITE_ARN, approval=APPROVAL)
    assert apply(clients, planned.action, dry_run=False) is RevocationResult.APPLIED
    assert exposure_snapshot()["public_access_block"] == {
        "BlockPublicAcls": False,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": True,
    }
    assert apply(clients, planned.inverse, dry_run=False) is RevocationResult.APPLIED
    assert exposure_snapshot()["public_access_block"] is None
    assert verify(clients, planned.inverse) is True


def test_a_bucket_that_already_ignores_public_acls_has_nothing_to_plan(clients: SessionClients) -> None:
    admin("s3").put_public_access_block(Bucket=SITE, PublicAccessBlockConfiguration={**SITE_BLOCK, **ON})
    with pytest.raises(NotFound, match="already on"):
        plan_ignore_public_acls(clients, bucket_arn=SITE_ARN, approval=APPROVAL)


def test_the_other_two_settings_are_kept_as_they_are_when_applied(clients: SessionClients) -> None:
    """Planned with BlockPublicPolicy on; someone turns BlockPublicAcls on before it runs: both stay."""
    planned = plan_ignore_public_acls(clients, bucket_arn=SITE_ARN, approval=APPROVAL)
    now = {**SITE_BLOCK, "BlockPublicAcls": True}
    admin("s3").put_public_access_block(Bucket=SITE, PublicAccessBlockConfiguration=now)
    apply(clients, planned.action, dry_run=False)
    assert exposure_snapshot()["public_access_block"] == {**now, **ON}


def test_an_undo_never_overwrites_a_configuration_changed_since(clients: SessionClients) -> None:
    planned = plan_ignore_public_acls(clients, bucket_arn=SITE_ARN, approval=APPROVAL)
    apply(clients, planned.action, dry_run=False)
    everything = dict.fromkeys(SITE_BLOCK, True)
    admin("s3").put_public_access_block(Bucket=SITE, PublicAccessBlockConfiguration=everything)
    with pytest.raises(RevocationRefused, match="changed after the revocation.*not overwritten"):
        apply(clients, planned.inverse, dry_run=False)
    assert exposure_snapshot()["public_access_block"] == everything


# --- bucket ACL -------------------------------------------------------------------------------------------


def test_an_outside_accounts_acl_grant_goes_and_the_public_ones_stay(clients: SessionClients) -> None:
    before = exposure_snapshot()["acl"]
    planned = plan_remove_acl_grant(
        clients, bucket_arn=SITE_ARN, grantee=PARTNER_CANONICAL, approval=APPROVAL
    )
    assert planned.action.description == f"remove {PARTNER_CANONICAL} (READ) from the ACL of bucket {SITE}"
    apply(clients, planned.action, dry_run=False)
    assert exposure_snapshot()["acl"] == [g for g in before if g[0] != PARTNER_CANONICAL]
    assert [g for g in before if g[0] == ALL_USERS] == [(ALL_USERS, "READ"), (ALL_USERS, "READ_ACP")]


def test_an_acl_grant_removed_by_someone_else_is_already_absent(clients: SessionClients) -> None:
    planned = plan_remove_acl_grant(clients, bucket_arn=SITE_ARN, grantee=ALL_USERS, approval=APPROVAL)
    admin("s3").put_bucket_acl(Bucket=SITE, ACL="private")
    assert apply(clients, planned.action, dry_run=False) is RevocationResult.ALREADY_ABSENT
    with pytest.raises(NotFound, match="grants .*AllUsers nothing"):
        plan_remove_acl_grant(clients, bucket_arn=SITE_ARN, grantee=ALL_USERS, approval=APPROVAL)


# --- whose bucket, whose access point ---------------------------------------------------------------------


def _other_account() -> AwsAccount:
    """moto keys its state by the account the credentials belong to: an assumed role's are the other's."""
    sts = boto3.client("sts", region_name=REGION)
    role = f"arn:aws:iam::{OTHER_ACCOUNT}:role/RecertifyRead"
    credentials = sts.assume_role(RoleArn=role, RoleSessionName="recertify")["Credentials"]
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )
    return AwsAccount(OTHER_ACCOUNT, session, REGION)


def test_a_bucket_is_changed_in_the_read_account_that_owns_it(aws: None) -> None:
    """PutBucketPolicy (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html): "the
    calling identity must both have the PutBucketPolicy permissions on the specified bucket and belong to the
    bucket owner's account in order to use this operation." Its ACL likewise: the owner's role writes."""
    other = _other_account()
    s3 = other.session.client("s3")
    s3.create_bucket(Bucket="partner-drop", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_ownership_controls(
        Bucket="partner-drop", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    )
    s3.put_bucket_acl(Bucket="partner-drop", ACL="public-read")
    clients = session_clients(other)

    planned = plan_remove_acl_grant(
        clients, bucket_arn="arn:aws:s3:::partner-drop", grantee=ALL_USERS, approval=APPROVAL
    )
    assert planned.action.param("account_id") == OTHER_ACCOUNT
    assert apply(clients, planned.action, dry_run=False) is RevocationResult.APPLIED
    grantees = [g["Grantee"].get("URI") for g in s3.get_bucket_acl(Bucket="partner-drop")["Grants"]]
    assert ALL_USERS not in grantees


def test_a_bucket_no_read_account_owns_is_refused(clients: SessionClients) -> None:
    with pytest.raises(RevocationRefused, match="no account Recertify reads owns bucket elsewhere"):
        plan_ignore_public_acls(clients, bucket_arn="arn:aws:s3:::elsewhere", approval=APPROVAL)


def test_an_access_point_of_an_account_not_read_is_refused(clients: SessionClients) -> None:
    theirs = f"arn:aws:s3:{REGION}:{PARTNER}:accesspoint/their-door"
    with pytest.raises(
        RevocationRefused, match=f"belongs to account {PARTNER}, which Recertify does not read"
    ):
        plan_remove_from_statement(
            clients, resource_arn=theirs, index=0, sid="", principal_id=PARTNER_ROOT, approval=APPROVAL
        )


# --- stored actions that cannot run -----------------------------------------------------------------------


def test_a_stored_action_that_does_not_parse_is_refused_in_one_line(clients: SessionClients) -> None:
    planned = plan_remove_acl_grant(clients, bucket_arn=SITE_ARN, grantee=ALL_USERS, approval=APPROVAL)
    broken = replace(
        planned.action,
        params=tuple((k, "{not json" if k == "grants" else v) for k, v in planned.action.params),
    )
    with pytest.raises(RevocationRefused, match="the stored action's 'grants' is not JSON"):
        apply(clients, broken, dry_run=False)


def test_a_policy_action_aimed_at_another_kind_of_resource_is_refused(clients: SessionClients) -> None:
    planned = plan_remove_from_statement(
        clients,
        resource_arn=f"arn:aws:s3:{REGION}:123456789012:accesspoint/claims-partner",
        index=0,
        sid="",
        principal_id=PARTNER_ROOT,
        approval=APPROVAL,
    )
    wrong = replace(planned.action, kind="remove_from_bucket_policy")
    with pytest.raises(
        RevocationRefused, match="remove_from_bucket_policy does not apply to the access point"
    ):
        apply(clients, wrong, dry_run=True)
