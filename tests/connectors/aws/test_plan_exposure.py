"""AwsConnector.plan_revocation for grants a resource policy statement or an ACL makes: the change is chosen
from the path's last step (connectors/aws/steps.py), always carries the reason an admin must approve it, and
is dry-run, applied, verified and undone through the connector against moto. Grants that reach a principal
through "*", its account or a session (not by name) are refused with where to act instead.

The grants are written by hand in the evaluator's step format (steps.py), so these tests do not depend on
which grants the evaluator finds.

IAM (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html): "You can
specify AWS account identifiers in the Principal element of a resource-based policy [...]. This delegates
authority to the account. When you allow access to a different account, an administrator in that account
must then grant access to an identity (IAM user or role) in that account." A statement naming an account
is therefore no place to cut one of its users: their own policies are.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.aws.connector import AwsConnector
from connectors.aws.settings import AwsSettings
from connectors.aws.steps import StatementRef, acl_step, object_acls_step, statement_step
from reviews.clock import FrozenClock
from reviews.entitlements import AccessLevel, Grant, PathStep, PlannedChange, RevocationResult
from reviews.errors import NotFound, RevocationRefused
from tests.connectors.aws.exposure_world import (
    ACCESS_POINT_ARN,
    ACCOUNT,
    ALL_USERS,
    AUDITOR,
    BUCKET_POLICY,
    CLAIMS,
    CLAIMS_ARN,
    CLOUDTRAIL,
    PARTNER_AND_AUDITOR,
    PARTNER_CANONICAL,
    PARTNER_ROOT,
    PUBLIC_READ,
    SITE_ARN,
    TABLE_ARN,
    TABLE_POLICY,
    TLS_ONLY,
    admin,
    build_exposure,
    exposure_snapshot,
    shared_session,
)
from tests.helpers import T0

SETTINGS = AwsSettings(identity_center=False, last_accessed=False)
BUCKET_APPROVAL = "a shared bucket policy is changed only with an admin's approval"
ANA = f"arn:aws:iam::{ACCOUNT}:user/ana"
ETL = f"arn:aws:iam::{ACCOUNT}:role/etl"


@pytest.fixture
def connector(aws: None) -> AwsConnector:
    build_exposure()
    return AwsConnector(SETTINGS, clock=FrozenClock(T0), session=shared_session())


def _statement(arn: str, index: int, sid: str, label: str) -> PathStep:
    return statement_step(StatementRef(arn, index, sid), label)


def _grant(store: str, principal: str, *path: PathStep) -> Grant:
    return Grant(store, principal, AccessLevel.READ, path)


def _apply_and_undo(connector: AwsConnector, planned: PlannedChange, piece: str, revoked: Any) -> None:
    """Dry run (nothing changes), live (the piece as revoked, verified), again (absent), undo (all back)."""
    before = exposure_snapshot()
    assert connector.revoke(planned.action, dry_run=True) is RevocationResult.DRY_RUN
    assert exposure_snapshot() == before
    assert connector.revoke(planned.action, dry_run=False) is RevocationResult.APPLIED
    after = exposure_snapshot()
    assert after[piece] == revoked and connector.verify(planned.action) is True
    assert {k: v for k, v in after.items() if k != piece} == {k: v for k, v in before.items() if k != piece}
    assert connector.revoke(planned.action, dry_run=False) is RevocationResult.ALREADY_ABSENT
    assert planned.inverse is not None
    assert connector.revoke(planned.inverse, dry_run=False) is RevocationResult.APPLIED
    assert exposure_snapshot() == before


def _put_bucket_policy(*statements: dict[str, Any]) -> None:
    policy = {**BUCKET_POLICY, "Statement": list(statements)}
    admin("s3").put_bucket_policy(Bucket=CLAIMS, Policy=json.dumps(policy))


# --- public, outside accounts, services ------------------------------------------------------------------


def test_public_access_through_a_statement_removes_that_statement(connector: AwsConnector) -> None:
    grant = _grant(CLAIMS_ARN, "*", _statement(CLAIMS_ARN, 1, "PublicRead", "bucket policy"))
    planned = connector.plan_revocation(grant)
    assert planned.approval == BUCKET_APPROVAL
    assert planned.action.kind == "remove_from_bucket_policy"
    revoked = {**BUCKET_POLICY, "Statement": [TLS_ONLY, PARTNER_AND_AUDITOR, CLOUDTRAIL]}
    _apply_and_undo(connector, planned, "bucket_policy", revoked)


def test_public_access_through_a_table_policy_removes_its_wildcard(connector: AwsConnector) -> None:
    grant = _grant(TABLE_ARN, "*", _statement(TABLE_ARN, 0, "Anyone", "table policy"))
    planned = connector.plan_revocation(grant)
    assert planned.approval == "a shared table policy is changed only with an admin's approval"
    _apply_and_undo(
        connector, planned, "table_policy", {**TABLE_POLICY, "Statement": TABLE_POLICY["Statement"][1:]}
    )


def test_an_outside_account_leaves_the_statement_and_the_auditor_stays(connector: AwsConnector) -> None:
    grant = _grant(CLAIMS_ARN, PARTNER_ROOT, _statement(CLAIMS_ARN, 2, "PartnerAndAuditor", "bucket policy"))
    planned = connector.plan_revocation(grant)
    assert planned.approval == BUCKET_APPROVAL
    reduced = {**PARTNER_AND_AUDITOR, "Principal": {"AWS": [AUDITOR]}}
    revoked = {**BUCKET_POLICY, "Statement": [TLS_ONLY, PUBLIC_READ, reduced, CLOUDTRAIL]}
    _apply_and_undo(connector, planned, "bucket_policy", revoked)


def test_an_outside_account_through_an_access_point_policy(connector: AwsConnector) -> None:
    step = _statement(ACCESS_POINT_ARN, 0, "", "access point claims-partner policy")
    planned = connector.plan_revocation(_grant(CLAIMS_ARN, PARTNER_ROOT, step))
    assert planned.action.kind == "remove_from_access_point_policy"
    assert planned.approval == "a shared access point policy is changed only with an admin's approval"
    _apply_and_undo(connector, planned, "access_point_policy", None)


def test_a_service_leaves_the_statement_that_names_it(connector: AwsConnector) -> None:
    grant = _grant(CLAIMS_ARN, "cloudtrail.amazonaws.com", _statement(CLAIMS_ARN, 3, "", "bucket policy"))
    planned = connector.plan_revocation(grant)
    revoked = {**BUCKET_POLICY, "Statement": [TLS_ONLY, PUBLIC_READ, PARTNER_AND_AUDITOR]}
    _apply_and_undo(connector, planned, "bucket_policy", revoked)


def test_public_access_through_the_bucket_acl_removes_that_grantee(connector: AwsConnector) -> None:
    grant = _grant(SITE_ARN, "*", acl_step(SITE_ARN, ALL_USERS, "bucket ACL: AllUsers"))
    planned = connector.plan_revocation(grant)
    assert planned.action.kind == "remove_bucket_acl_grant"
    assert planned.approval == "a bucket ACL is changed only with an admin's approval"
    revoked = [g for g in exposure_snapshot()["acl"] if g[0] != ALL_USERS]
    _apply_and_undo(connector, planned, "acl", revoked)


def test_an_outside_account_through_the_bucket_acl_loses_its_grant(connector: AwsConnector) -> None:
    grant = _grant(SITE_ARN, PARTNER_ROOT, acl_step(SITE_ARN, PARTNER_CANONICAL, "bucket ACL: partner"))
    planned = connector.plan_revocation(grant)
    revoked = [g for g in exposure_snapshot()["acl"] if g[0] != PARTNER_CANONICAL]
    _apply_and_undo(connector, planned, "acl", revoked)


def test_public_object_acls_turn_on_block_public_access(connector: AwsConnector) -> None:
    planned = connector.plan_revocation(_grant(SITE_ARN, "*", object_acls_step(SITE_ARN)))
    assert planned.action.kind == "enable_bucket_public_access_block"
    assert planned.approval and "Block Public Access" in planned.approval
    block = exposure_snapshot()["public_access_block"]
    revoked = {**block, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    _apply_and_undo(connector, planned, "public_access_block", revoked)


def test_object_acls_are_not_an_outside_accounts_to_block(connector: AwsConnector) -> None:
    with pytest.raises(RevocationRefused, match="not a statement, an ACL grant or public object ACLs"):
        connector.plan_revocation(_grant(SITE_ARN, PARTNER_ROOT, object_acls_step(SITE_ARN)))


# --- IAM users and roles of read accounts ----------------------------------------------------------------


def test_a_user_named_by_its_own_arn_is_removed_with_approval(connector: AwsConnector) -> None:
    grant = _grant(CLAIMS_ARN, AUDITOR, _statement(CLAIMS_ARN, 2, "PartnerAndAuditor", "bucket policy"))
    planned = connector.plan_revocation(grant)
    assert planned.approval == BUCKET_APPROVAL
    reduced = {**PARTNER_AND_AUDITOR, "Principal": {"AWS": [PARTNER_ROOT]}}
    revoked = {**BUCKET_POLICY, "Statement": [TLS_ONLY, PUBLIC_READ, reduced, CLOUDTRAIL]}
    _apply_and_undo(connector, planned, "bucket_policy", revoked)


def test_a_cross_account_path_ending_in_the_statement_changes_the_statement(connector: AwsConnector) -> None:
    """Across accounts both sides must allow; the statement is the side that names this principal alone."""
    own = PathStep("policy", f"arn:aws:iam::{ACCOUNT}:policy/read-claims", "read-claims")
    role = f"arn:aws:iam::{ACCOUNT}:role/reporting"
    _put_bucket_policy(TLS_ONLY, {**PUBLIC_READ, "Sid": "Reporting", "Principal": {"AWS": role}})
    trust = PathStep("service", "glue.amazonaws.com", "glue")
    grant = _grant(CLAIMS_ARN, role, trust, own, _statement(CLAIMS_ARN, 1, "Reporting", "bucket policy"))
    planned = connector.plan_revocation(grant)
    assert planned.action.description == (
        f"remove statement Reporting of the bucket policy of {CLAIMS_ARN}, which grants {role} alone"
    )
    assert connector.revoke(planned.action, dry_run=False) is RevocationResult.APPLIED
    assert exposure_snapshot()["bucket_policy"]["Statement"] == [TLS_ONLY]


def test_a_user_reached_through_the_wildcard_is_refused_pointing_at_the_exposure(
    connector: AwsConnector,
) -> None:
    grant = _grant(CLAIMS_ARN, ANA, _statement(CLAIMS_ARN, 1, "PublicRead", "bucket policy"))
    with pytest.raises(RevocationRefused, match=r"through everyone \('\*'\), not by name: act on the public"):
        connector.plan_revocation(grant)


def test_a_user_reached_through_its_account_is_refused_pointing_at_its_own_policies(
    connector: AwsConnector,
) -> None:
    _put_bucket_policy(
        TLS_ONLY, {**PUBLIC_READ, "Sid": "Ours", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}
    )
    grant = _grant(CLAIMS_ARN, ANA, _statement(CLAIMS_ARN, 1, "Ours", "bucket policy"))
    with pytest.raises(
        RevocationRefused, match=f"through its account {ACCOUNT}, not by name: change .*own policies"
    ):
        connector.plan_revocation(grant)


def test_a_role_named_through_a_session_is_refused(connector: AwsConnector) -> None:
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/etl/nightly"
    _put_bucket_policy(TLS_ONLY, {**PUBLIC_READ, "Sid": "Nightly", "Principal": {"AWS": session}})
    grant = _grant(CLAIMS_ARN, ETL, _statement(CLAIMS_ARN, 1, "Nightly", "bucket policy"))
    with pytest.raises(RevocationRefused, match=f"through a session of it \\({session}\\)"):
        connector.plan_revocation(grant)


def test_a_user_reached_through_a_bucket_acl_is_refused(connector: AwsConnector) -> None:
    grant = _grant(SITE_ARN, ANA, acl_step(SITE_ARN, PARTNER_CANONICAL, "bucket ACL: account"))
    with pytest.raises(RevocationRefused, match="grants .*user/ana's account, not .*: change .*own policies"):
        connector.plan_revocation(grant)


# --- what planning reads ----------------------------------------------------------------------------------


def test_a_statement_already_gone_is_not_found(connector: AwsConnector) -> None:
    """Gone, and no other Allow names or reaches the partner (the Deny naming "*" grants nothing)."""
    _put_bucket_policy(TLS_ONLY, CLOUDTRAIL)
    grant = _grant(CLAIMS_ARN, PARTNER_ROOT, _statement(CLAIMS_ARN, 2, "PartnerAndAuditor", "bucket policy"))
    with pytest.raises(NotFound, match="no statement grants it now"):
        connector.plan_revocation(grant)


def test_public_access_still_reaches_an_account_whose_statement_went(connector: AwsConnector) -> None:
    """Its own statement is gone, but the public statement that took its place still reaches it."""
    _put_bucket_policy(TLS_ONLY, PUBLIC_READ, CLOUDTRAIL)
    grant = _grant(CLAIMS_ARN, PARTNER_ROOT, _statement(CLAIMS_ARN, 1, "", "bucket policy"))
    with pytest.raises(RevocationRefused, match="through everyone"):
        connector.plan_revocation(grant)


def test_a_statement_that_moved_is_found_by_its_sid(connector: AwsConnector) -> None:
    _put_bucket_policy(TLS_ONLY, PARTNER_AND_AUDITOR, CLOUDTRAIL)  # PublicRead gone: it moved up
    grant = _grant(CLAIMS_ARN, PARTNER_ROOT, _statement(CLAIMS_ARN, 2, "PartnerAndAuditor", "bucket policy"))
    planned = connector.plan_revocation(grant)
    assert planned.action.param("position") == "2"


def test_a_policy_changed_since_the_sync_is_refused(connector: AwsConnector) -> None:
    """The step's statement (3rd, no Sid) is now another one, and the partner is named elsewhere."""
    _put_bucket_policy(TLS_ONLY, {**PARTNER_AND_AUDITOR, "Sid": "Renamed"}, CLOUDTRAIL)
    grant = _grant(CLAIMS_ARN, PARTNER_ROOT, _statement(CLAIMS_ARN, 2, "", "bucket policy"))
    with pytest.raises(RevocationRefused, match="changed after the last sync; sync again"):
        connector.plan_revocation(grant)


def test_a_deny_or_not_principal_statement_is_never_edited(connector: AwsConnector) -> None:
    """IAM, same page: a Deny names who is refused (removing one would widen access); and "We strongly
    recommend that you do not use NotPrincipal in the same policy statement as "Effect": "Allow"."."""
    grant = _grant(CLAIMS_ARN, "*", _statement(CLAIMS_ARN, 0, "TlsOnly", "bucket policy"))
    with pytest.raises(RevocationRefused, match="not an Allow that names its principals"):
        connector.plan_revocation(grant)


def test_a_step_that_names_no_statement_is_refused(connector: AwsConnector) -> None:
    grant = _grant(CLAIMS_ARN, PARTNER_ROOT, PathStep("resource_policy", CLAIMS_ARN, "bucket policy"))
    with pytest.raises(RevocationRefused, match="names no statement: a person must edit the policy"):
        connector.plan_revocation(grant)
