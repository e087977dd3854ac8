"""Exposure revocation primitives against moto: a principal out of a bucket, table or access point policy
statement, a grantee out of a bucket ACL, Block Public Access turned on; each planned, dry-run, applied,
verified, repeated and undone, with its result read back from moto.

AWS's API reference, which these follow:
- PutBucketPolicy (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html): "Applies an
  Amazon S3 bucket policy to an Amazon S3 bucket": the whole document, so the edit sends the policy as read
  minus one statement's principal. DeleteBucketPolicy (…/API_DeleteBucketPolicy.html): "Deletes the policy of
  a specified bucket": when the last statement goes.
- S3 Control PutAccessPointPolicy (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_PutAccessPointPolicy.html):
  "Each access point can have only one policy, so a request made to this API replaces any existing policy
  associated with the specified access point."
- DynamoDB PutResourcePolicy / DeleteResourcePolicy and ExpectedRevisionId: test_revoke_exposure_dynamodb.py.
- PutBucketAcl (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html): "Sets the permissions
  on an existing bucket using access control lists (ACL)", the whole ACL with its owner; of a grantee's
  display name: "DisplayName is optional and ignored in the request".
- PutPublicAccessBlock (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutPublicAccessBlock.html):
  "Creates or modifies the PublicAccessBlock configuration for an Amazon S3 bucket. To use this operation,
  you must have the s3:PutBucketPublicAccessBlock permission." DeletePublicAccessBlock
  (…/API_DeletePublicAccessBlock.html): "Removes the PublicAccessBlock configuration for an Amazon S3 bucket.
  To use this operation, you must have the s3:PutBucketPublicAccessBlock permission."

moto serves every call here (S3, S3 Control access point policies, DynamoDB table policies with revision
ids); DynamoDB *stream* policies it does not serve, so they are tested with a Stubber in
test_revoke_exposure_dynamodb.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.aws.permissions import KINDS
from connectors.aws.revoke import (
    UNDO,
    AwsKind,
    SessionClients,
    apply,
    plan_remove_from_statement,
    verify,
)
from reviews.entitlements import RevocationResult
from reviews.errors import RevocationRefused
from tests.connectors.aws.exposure_world import (
    APPROVAL,
    AUDITOR,
    BUCKET_POLICY,
    CLAIMS,
    CLAIMS_ARN,
    CLOUDTRAIL,
    PARTNER_AND_AUDITOR,
    PARTNER_ROOT,
    PUBLIC_READ,
    SCENARIOS,
    TLS_ONLY,
    Scenario,
    admin,
    build_exposure,
    exposure_snapshot,
    record_calls,
    session_clients,
)
from tests.data.aws.revocation import writes


@pytest.fixture
def clients(aws: None) -> SessionClients:
    build_exposure()
    return session_clients()


@pytest.fixture
def calls(clients: SessionClients) -> list[str]:
    return record_calls(clients)


by_kind = pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.kind.value for s in SCENARIOS])


def declared(kind: str) -> set[str]:
    needs = KINDS[AwsKind(kind)]
    return {*needs.reads, *needs.writes}


def test_every_exposure_kind_has_a_scenario() -> None:
    exposure = {kind for kind in UNDO if kind.value.startswith(("remove_from", "remove_bucket", "enable"))}
    assert {s.kind for s in SCENARIOS} == exposure and len(exposure) == 5


@by_kind
def test_planning_reads_only_and_carries_the_approval(
    scenario: Scenario, clients: SessionClients, calls: list[str]
) -> None:
    before = exposure_snapshot()
    planned = scenario.plan(clients)
    assert (planned.action.kind, planned.inverse.kind) == (scenario.kind, UNDO[scenario.kind])
    assert planned.approval == APPROVAL
    assert calls and writes(calls) == [] and set(calls) <= declared(planned.action.kind)
    assert exposure_snapshot() == before


@by_kind
def test_a_dry_run_reads_and_writes_nothing(
    scenario: Scenario, clients: SessionClients, calls: list[str]
) -> None:
    before = exposure_snapshot()
    planned = scenario.plan(clients)
    for action, expected in (
        (planned.action, RevocationResult.DRY_RUN),
        (planned.inverse, RevocationResult.ALREADY_ABSENT),
    ):
        calls.clear()
        assert apply(clients, action, dry_run=True) is expected
        assert calls and writes(calls) == []
    assert exposure_snapshot() == before


@by_kind
def test_apply_changes_exactly_that_piece_and_verify_reads_it_back(
    scenario: Scenario, clients: SessionClients, calls: list[str]
) -> None:
    before = exposure_snapshot()
    planned = scenario.plan(clients)
    calls.clear()

    assert apply(clients, planned.action, dry_run=False) is RevocationResult.APPLIED

    assert set(calls) <= declared(planned.action.kind) and writes(calls)
    after = exposure_snapshot()
    assert after[scenario.piece] == scenario.revoked(before[scenario.piece])
    assert {k: v for k, v in after.items() if k != scenario.piece} == {
        k: v for k, v in before.items() if k != scenario.piece
    }
    assert verify(clients, planned.action) is True
    assert verify(clients, planned.inverse) is False


@by_kind
def test_applying_again_is_already_absent_after_a_read(
    scenario: Scenario, clients: SessionClients, calls: list[str]
) -> None:
    planned = scenario.plan(clients)
    apply(clients, planned.action, dry_run=False)
    calls.clear()

    assert apply(clients, planned.action, dry_run=False) is RevocationResult.ALREADY_ABSENT
    assert calls and writes(calls) == []


@by_kind
def test_the_inverse_restores_exactly_what_was_there(
    scenario: Scenario, clients: SessionClients, calls: list[str]
) -> None:
    before = exposure_snapshot()
    planned = scenario.plan(clients)
    apply(clients, planned.action, dry_run=False)
    calls.clear()

    assert apply(clients, planned.inverse, dry_run=False) is RevocationResult.APPLIED

    assert set(calls) <= declared(planned.inverse.kind)
    assert exposure_snapshot() == before  # statement order, Id, owner, the other settings: all as they were
    assert verify(clients, planned.inverse) is True
    assert verify(clients, planned.action) is False
    assert apply(clients, planned.inverse, dry_run=False) is RevocationResult.ALREADY_ABSENT


# --- statements -------------------------------------------------------------------------------------------


def _bucket_policy() -> Any:
    return json.loads(admin("s3").get_bucket_policy(Bucket=CLAIMS)["Policy"])


def _put_bucket_policy(document: dict[str, Any]) -> None:
    admin("s3").put_bucket_policy(Bucket=CLAIMS, Policy=json.dumps(document))


def _plan(clients: SessionClients, index: int, sid: str, principal: str) -> Any:
    return plan_remove_from_statement(
        clients, resource_arn=CLAIMS_ARN, index=index, sid=sid, principal_id=principal, approval=APPROVAL
    )


def test_the_public_statement_goes_whole_and_the_deny_stays(clients: SessionClients) -> None:
    """IAM (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html):
    "For anonymous users, the following elements are equivalent: "Principal": "*" / "Principal" : { "AWS" :
    "*" }". "*" cannot be narrowed, so the statement that names it goes; the Deny naming "*" stays."""
    planned = _plan(clients, 1, "PublicRead", "*")
    assert (
        planned.action.description
        == f"remove statement PublicRead of the bucket policy of {CLAIMS_ARN}, which grants * alone"
    )
    assert apply(clients, planned.action, dry_run=False) is RevocationResult.APPLIED
    assert _bucket_policy() == {**BUCKET_POLICY, "Statement": [TLS_ONLY, PARTNER_AND_AUDITOR, CLOUDTRAIL]}
    assert apply(clients, planned.inverse, dry_run=False) is RevocationResult.APPLIED
    assert _bucket_policy() == BUCKET_POLICY  # back at its position


def test_a_service_is_removed_from_a_statement_without_a_sid(clients: SessionClients) -> None:
    planned = _plan(clients, 3, "", "cloudtrail.amazonaws.com")
    assert apply(clients, planned.action, dry_run=False) is RevocationResult.APPLIED
    assert _bucket_policy()["Statement"] == [TLS_ONLY, PUBLIC_READ, PARTNER_AND_AUDITOR]


def test_an_account_written_as_its_id_is_the_same_principal_as_its_root(clients: SessionClients) -> None:
    """IAM: "When you specify an AWS account, you can use the account ARN (arn:aws:iam::account-ID:root), or a
    shortened form that consists of the "AWS": prefix followed by the account ID." (same page)"""
    both = {**PARTNER_AND_AUDITOR, "Principal": {"AWS": ["999988887777", PARTNER_ROOT, AUDITOR]}}
    _put_bucket_policy({**BUCKET_POLICY, "Statement": [TLS_ONLY, PUBLIC_READ, both, CLOUDTRAIL]})
    planned = _plan(clients, 2, "PartnerAndAuditor", PARTNER_ROOT)
    apply(clients, planned.action, dry_run=False)
    assert _bucket_policy()["Statement"][2]["Principal"] == {"AWS": [AUDITOR]}


def test_the_last_statement_deletes_the_policy_and_undo_restores_it_verbatim(clients: SessionClients) -> None:
    only = {"Version": "2012-10-17", "Id": "just-public", "Statement": [PUBLIC_READ]}
    _put_bucket_policy(only)
    calls = record_calls(clients)
    planned = _plan(clients, 0, "PublicRead", "*")
    assert planned.action.description.startswith(f"delete the bucket policy of {CLAIMS_ARN}")

    assert apply(clients, planned.action, dry_run=False) is RevocationResult.APPLIED
    assert "s3:DeleteBucketPolicy" in calls and "s3:PutBucketPolicy" not in calls
    assert exposure_snapshot()["bucket_policy"] is None
    assert apply(clients, planned.inverse, dry_run=False) is RevocationResult.APPLIED
    assert _bucket_policy() == only


def test_a_statement_changed_after_planning_is_refused_unwritten(clients: SessionClients) -> None:
    """Out-of-band edit between approval and apply: the reviewed statement no longer stands, so nothing is
    edited; a new plan shows the admin the statement as it is now."""
    planned = _plan(clients, 2, "PartnerAndAuditor", PARTNER_ROOT)
    edited = {**PARTNER_AND_AUDITOR, "Action": ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]}
    _put_bucket_policy({**BUCKET_POLICY, "Statement": [TLS_ONLY, PUBLIC_READ, edited, CLOUDTRAIL]})
    calls = record_calls(clients)

    with pytest.raises(RevocationRefused, match="changed after it was planned.*plan again"):
        apply(clients, planned.action, dry_run=False)
    assert writes(calls) == []
    assert _bucket_policy()["Statement"][2] == edited
    assert verify(clients, planned.action) is False


def test_a_statement_removed_by_someone_else_is_already_absent(clients: SessionClients) -> None:
    planned = _plan(clients, 2, "PartnerAndAuditor", PARTNER_ROOT)
    _put_bucket_policy({**BUCKET_POLICY, "Statement": [TLS_ONLY, PUBLIC_READ, CLOUDTRAIL]})
    assert apply(clients, planned.action, dry_run=False) is RevocationResult.ALREADY_ABSENT


def test_two_removals_from_one_policy_each_find_their_statement_and_undo_in_any_order(
    clients: SessionClients,
) -> None:
    """The public statement's removal moves the partner's statement up one place: it is found by content."""
    public = _plan(clients, 1, "PublicRead", "*")
    partner = _plan(clients, 2, "PartnerAndAuditor", PARTNER_ROOT)
    assert apply(clients, public.action, dry_run=False) is RevocationResult.APPLIED
    assert apply(clients, partner.action, dry_run=False) is RevocationResult.APPLIED
    reduced = {**PARTNER_AND_AUDITOR, "Principal": {"AWS": [AUDITOR]}}
    assert _bucket_policy()["Statement"] == [TLS_ONLY, reduced, CLOUDTRAIL]

    assert apply(clients, public.inverse, dry_run=False) is RevocationResult.APPLIED
    assert apply(clients, partner.inverse, dry_run=False) is RevocationResult.APPLIED
    assert _bucket_policy() == BUCKET_POLICY


def test_an_undo_never_overwrites_a_statement_changed_since(clients: SessionClients) -> None:
    planned = _plan(clients, 2, "PartnerAndAuditor", PARTNER_ROOT)
    apply(clients, planned.action, dry_run=False)
    changed = {**PARTNER_AND_AUDITOR, "Principal": {"AWS": [AUDITOR, "arn:aws:iam::123456789012:user/new"]}}
    _put_bucket_policy({**BUCKET_POLICY, "Statement": [TLS_ONLY, PUBLIC_READ, changed, CLOUDTRAIL]})

    with pytest.raises(RevocationRefused, match="not overwritten; put it back by hand"):
        apply(clients, planned.inverse, dry_run=False)
    assert _bucket_policy()["Statement"][2] == changed
