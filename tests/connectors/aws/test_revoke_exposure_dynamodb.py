"""DynamoDB resource policies: writes made conditional on the revision read, for tables and streams.

AWS's API reference:
- PutResourcePolicy, ExpectedRevisionId
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutResourcePolicy.html): "When you
  provide an expected revision ID, if the revision ID of the existing policy on the resource doesn't match or
  if there's no policy attached to the resource, your request will be rejected with a
  PolicyNotFoundException." and "To conditionally attach a policy when no policy exists for the resource,
  specify NO_POLICY for the revision ID."
- DeleteResourcePolicy, ExpectedRevisionId
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteResourcePolicy.html): "A string
  value that you can use to conditionally delete your policy. When you provide an expected revision ID, if
  the revision ID of the existing policy on the resource doesn't match or if there's no policy attached to
  the resource, the request will fail and return a PolicyNotFoundException."
- Both: "Attaches a resource-based policy document to the resource, which can be a table or stream."

moto keeps table policies with revision ids (used below), but not stream policies: it reads a stream ARN's
last path segment as a table name and answers ResourceNotFoundException. Streams, and an edit landing between
our read and our write (which moto cannot be made to interleave), are answered by a `botocore.stub.Stubber`
on the very client the primitives use, queued with the answers AWS documents.
"""

from __future__ import annotations

import json

import pytest
from botocore.stub import ANY, Stubber

from connectors.aws.revoke import (
    SessionClients,
    apply,
    plan_remove_from_statement,
    verify,
)
from reviews.entitlements import RevocationResult
from reviews.errors import SourceUnavailable
from tests.connectors.aws.exposure_world import (
    ACCOUNT,
    APPROVAL,
    PARTNER_ROOT,
    REGION,
    TABLE_ARN,
    TABLE_POLICY,
    admin,
    build_exposure,
    exposure_snapshot,
    session_clients,
)

STREAM_ARN = f"{TABLE_ARN}/stream/2024-05-01T00:00:00.000"
STREAM_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "PartnerReadsChanges",
            "Effect": "Allow",
            "Principal": {"AWS": PARTNER_ROOT},
            "Action": ["dynamodb:GetRecords", "dynamodb:GetShardIterator"],
            "Resource": STREAM_ARN,
        }
    ],
}
NOT_FOUND = ("PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn")


@pytest.fixture
def clients(aws: None) -> SessionClients:
    build_exposure()
    return session_clients()


def _policy_answer(document: dict[str, object], revision: str) -> dict[str, str]:
    return {"Policy": json.dumps(document), "RevisionId": revision}


def test_removing_every_statement_deletes_the_table_policy_and_undo_puts_it_back(
    clients: SessionClients,
) -> None:
    """Two planned removals from one table policy (moto): the second deletes it; undone in reverse order,
    the policy is back as it was, each write conditional on the revision just read."""
    public = plan_remove_from_statement(
        clients, resource_arn=TABLE_ARN, index=0, sid="Anyone", principal_id="*", approval=APPROVAL
    )
    partner = plan_remove_from_statement(
        clients, resource_arn=TABLE_ARN, index=1, sid="Partner", principal_id=PARTNER_ROOT, approval=APPROVAL
    )
    assert public.approval == partner.approval == APPROVAL
    assert apply(clients, public.action, dry_run=False) is RevocationResult.APPLIED
    assert apply(clients, partner.action, dry_run=False) is RevocationResult.APPLIED
    assert exposure_snapshot()["table_policy"] is None

    assert apply(clients, partner.inverse, dry_run=False) is RevocationResult.APPLIED
    assert exposure_snapshot()["table_policy"] == {**TABLE_POLICY, "Statement": TABLE_POLICY["Statement"][1:]}
    assert apply(clients, public.inverse, dry_run=False) is RevocationResult.APPLIED
    assert exposure_snapshot()["table_policy"] == TABLE_POLICY


def test_an_edit_between_our_read_and_our_write_fails_the_conditional_write_and_is_retried(
    clients: SessionClients,
) -> None:
    """The put names the revision our read saw; DynamoDB refuses it (PolicyNotFoundException) because the
    policy moved on: nothing is written, and the outbox retries (the next attempt reads again)."""
    planned = plan_remove_from_statement(
        clients, resource_arn=TABLE_ARN, index=1, sid="Partner", principal_id=PARTNER_ROOT, approval=APPROVAL
    )
    with Stubber(clients.client(ACCOUNT, "dynamodb", REGION)) as stub:
        for _ in range(2):  # the confirming read, then the write's own read
            stub.add_response(
                "get_resource_policy", _policy_answer(TABLE_POLICY, "7"), {"ResourceArn": TABLE_ARN}
            )
        stub.add_client_error(
            "put_resource_policy",
            *NOT_FOUND,
            400,
            expected_params={"ResourceArn": TABLE_ARN, "Policy": ANY, "ExpectedRevisionId": "7"},
        )
        with pytest.raises(SourceUnavailable, match="changed after it was read.*revision 7") as failed:
            apply(clients, planned.action, dry_run=False)
        stub.assert_no_pending_responses()
    assert failed.value.retryable is True
    assert exposure_snapshot()["table_policy"] == TABLE_POLICY  # moto's copy: untouched


def test_a_stream_policy_is_deleted_and_restored_with_conditional_writes(clients: SessionClients) -> None:
    """Stubbed (moto has no stream policies): the partner's only statement goes, so the policy is deleted with
    the revision read; the undo attaches it again with NO_POLICY, byte for byte as it was read."""
    text = json.dumps(STREAM_POLICY)
    arn = {"ResourceArn": STREAM_ARN}
    dynamodb = clients.client(ACCOUNT, "dynamodb", REGION)
    with Stubber(dynamodb) as stub:
        for _ in range(2):  # planning reads, then confirms with the primitive's read
            stub.add_response("get_resource_policy", {"Policy": text, "RevisionId": "3"}, arn)
        planned = plan_remove_from_statement(
            clients,
            resource_arn=STREAM_ARN,
            index=0,
            sid="PartnerReadsChanges",
            principal_id=PARTNER_ROOT,
            approval=APPROVAL,
        )
        stub.assert_no_pending_responses()
        assert planned.action.kind == "remove_from_dynamodb_policy"
        assert planned.action.description == (
            f"delete the stream policy of {STREAM_ARN}: its only statement grants {PARTNER_ROOT} alone"
        )
        assert planned.approval == APPROVAL

        for _ in range(2):
            stub.add_response("get_resource_policy", {"Policy": text, "RevisionId": "3"}, arn)
        stub.add_response("delete_resource_policy", {}, {**arn, "ExpectedRevisionId": "3"})
        assert apply(clients, planned.action, dry_run=False) is RevocationResult.APPLIED
        stub.add_client_error("get_resource_policy", *NOT_FOUND, 400, expected_params=arn)
        assert verify(clients, planned.action) is True

        for _ in range(2):
            stub.add_client_error("get_resource_policy", *NOT_FOUND, 400, expected_params=arn)
        stub.add_response(
            "put_resource_policy",
            {"RevisionId": "4"},
            {**arn, "Policy": text, "ExpectedRevisionId": "NO_POLICY"},
        )
        assert apply(clients, planned.inverse, dry_run=False) is RevocationResult.APPLIED
        stub.assert_no_pending_responses()


def test_a_dry_run_on_a_stream_only_reads(clients: SessionClients) -> None:
    text = json.dumps(STREAM_POLICY)
    arn = {"ResourceArn": STREAM_ARN}
    with Stubber(clients.client(ACCOUNT, "dynamodb", REGION)) as stub:
        for _ in range(3):  # plan, its confirming read, the dry run's read; no write queued
            stub.add_response("get_resource_policy", {"Policy": text, "RevisionId": "3"}, arn)
        planned = plan_remove_from_statement(
            clients, resource_arn=STREAM_ARN, index=0, sid="", principal_id=PARTNER_ROOT, approval=APPROVAL
        )
        assert apply(clients, planned.action, dry_run=True) is RevocationResult.DRY_RUN
        stub.assert_no_pending_responses()
    assert admin("dynamodb").get_resource_policy(ResourceArn=TABLE_ARN)["Policy"] == json.dumps(TABLE_POLICY)
