"""Identity Center assignment requests are asynchronous on AWS; moto completes them at once (SUCCEEDED in the
first answer), so the polling is tested with a `botocore.stub.Stubber` on a real sso-admin client, answering
as AWS documents: IN_PROGRESS, then SUCCEEDED or FAILED. Time is a fake clock: nothing sleeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from connectors.aws.accounts import AwsAccount
from connectors.aws.revoke import (
    PlannedRevocation,
    Polling,
    SessionClients,
    apply,
    plan_delete_account_assignment,
    verify,
)
from reviews.entitlements import RevocationResult
from reviews.errors import RevocationRefused, SourceUnavailable

REGION = "eu-west-2"
ACCOUNT = "123456789012"
TARGET = "111122223333"
INSTANCE = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
PERMISSION_SET = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef"
ALICE = "96671234-5678-4abc-8def-0123456789ab"
REQUEST = "0f3c2a4e-1b2d-4c5e-8f90-123456789abc"
ASSIGNMENT = {
    "AccountId": TARGET,
    "PermissionSetArn": PERMISSION_SET,
    "PrincipalType": "USER",
    "PrincipalId": ALICE,
}
LIST = {"InstanceArn": INSTANCE, "AccountId": TARGET, "PermissionSetArn": PERMISSION_SET}
WRITE = {
    "InstanceArn": INSTANCE,
    "TargetId": TARGET,
    "TargetType": "AWS_ACCOUNT",
    "PermissionSetArn": PERMISSION_SET,
    "PrincipalType": "USER",
    "PrincipalId": ALICE,
}


@dataclass
class FakeTime:
    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clients(aws: None) -> SessionClients:
    account = AwsAccount(ACCOUNT, boto3.Session(region_name=REGION), REGION)
    return SessionClients(accounts={ACCOUNT: account}, identity_center=account, identity_center_region=REGION)


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def polling(time: FakeTime) -> Polling:
    return Polling(timeout=12.0, interval=5.0, sleep=time.sleep, monotonic=time.monotonic)


@pytest.fixture
def stub(clients: SessionClients) -> Stubber:
    return Stubber(clients.sso_admin())


def status(state: str, reason: str | None = None) -> dict[str, Any]:
    answer = {
        "Status": state,
        "RequestId": REQUEST,
        "TargetId": TARGET,
        "TargetType": "AWS_ACCOUNT",
        "PermissionSetArn": PERMISSION_SET,
        "PrincipalType": "USER",
        "PrincipalId": ALICE,
        "CreatedDate": datetime(2025, 1, 1, tzinfo=UTC),
    }
    return {**answer, "FailureReason": reason} if reason else answer


def listed(*assignments: dict[str, str]) -> dict[str, Any]:
    return {"AccountAssignments": list(assignments)}


def planned(clients: SessionClients, stub: Stubber) -> PlannedRevocation:
    stub.add_response("list_account_assignments", listed(ASSIGNMENT), LIST)
    with stub:
        return plan_delete_account_assignment(
            clients,
            instance_arn=INSTANCE,
            account_id=TARGET,
            permission_set_arn=PERMISSION_SET,
            principal_type="USER",
            principal_id=ALICE,
        )


def deletion(stub: Stubber, first: str, *then: dict[str, Any]) -> None:
    stub.add_response("list_account_assignments", listed(ASSIGNMENT), LIST)
    stub.add_response("delete_account_assignment", {"AccountAssignmentDeletionStatus": status(first)}, WRITE)
    for answer in then:
        stub.add_response(
            "describe_account_assignment_deletion_status",
            {"AccountAssignmentDeletionStatus": answer},
            {"InstanceArn": INSTANCE, "AccountAssignmentDeletionRequestId": REQUEST},
        )


def test_a_deletion_is_polled_until_it_succeeds(
    clients: SessionClients, stub: Stubber, polling: Polling, time: FakeTime
) -> None:
    action = planned(clients, stub).action
    deletion(stub, "IN_PROGRESS", status("IN_PROGRESS"), status("SUCCEEDED"))
    with stub:
        assert apply(clients, action, dry_run=False, polling=polling) is RevocationResult.APPLIED
    stub.assert_no_pending_responses()
    assert time.slept == [5.0, 5.0]


def test_a_failed_deletion_is_refused_with_aws_reason(
    clients: SessionClients, stub: Stubber, polling: Polling
) -> None:
    action = planned(clients, stub).action
    deletion(stub, "IN_PROGRESS", status("FAILED", "Received a 404 status error: role not found"))
    with stub, pytest.raises(RevocationRefused) as refused:
        apply(clients, action, dry_run=False, polling=polling)
    assert "remove the Identity Center assignment" in str(refused.value)
    assert "FAILED: Received a 404 status error" in str(refused.value)


def test_an_answer_already_failed_is_refused_without_polling(
    clients: SessionClients, stub: Stubber, polling: Polling, time: FakeTime
) -> None:
    action = planned(clients, stub).action
    stub.add_response("list_account_assignments", listed(ASSIGNMENT), LIST)
    failed = {"AccountAssignmentDeletionStatus": status("FAILED", "conflict")}
    stub.add_response("delete_account_assignment", failed, WRITE)
    with stub, pytest.raises(RevocationRefused, match="FAILED: conflict"):
        apply(clients, action, dry_run=False, polling=polling)
    assert time.slept == []


def test_a_deletion_still_running_at_the_deadline_is_retryable_and_the_retry_reads_first(
    clients: SessionClients, stub: Stubber, polling: Polling, time: FakeTime
) -> None:
    action = planned(clients, stub).action
    deletion(stub, "IN_PROGRESS", *[status("IN_PROGRESS")] * 3)
    with stub, pytest.raises(SourceUnavailable) as unavailable:
        apply(clients, action, dry_run=False, polling=polling)
    assert unavailable.value.retryable is True
    assert REQUEST in str(unavailable.value) and "remove the Identity Center assignment" in str(
        unavailable.value
    )
    assert sum(time.slept) <= polling.timeout + polling.interval

    stub.add_response("list_account_assignments", listed(), LIST)  # Identity Center finished meanwhile
    with stub:
        assert apply(clients, action, dry_run=False, polling=polling) is RevocationResult.ALREADY_ABSENT
    stub.assert_no_pending_responses()


def test_an_undo_is_polled_until_the_assignment_is_back(
    clients: SessionClients, stub: Stubber, polling: Polling, time: FakeTime
) -> None:
    inverse = planned(clients, stub).inverse
    stub.add_response("list_account_assignments", listed(), LIST)
    stub.add_response(
        "create_account_assignment", {"AccountAssignmentCreationStatus": status("IN_PROGRESS")}, WRITE
    )
    stub.add_response(
        "describe_account_assignment_creation_status",
        {"AccountAssignmentCreationStatus": status("SUCCEEDED")},
        {"InstanceArn": INSTANCE, "AccountAssignmentCreationRequestId": REQUEST},
    )
    stub.add_response("list_account_assignments", listed(ASSIGNMENT), LIST)
    with stub:
        assert apply(clients, inverse, dry_run=False, polling=polling) is RevocationResult.APPLIED
        assert verify(clients, inverse) is True
    assert time.slept == [5.0]


def test_a_dry_run_makes_no_write_call(clients: SessionClients, stub: Stubber) -> None:
    action = planned(clients, stub).action
    stub.add_response("list_account_assignments", listed(ASSIGNMENT), LIST)  # and nothing else queued
    with stub:
        assert apply(clients, action, dry_run=True) is RevocationResult.DRY_RUN
    stub.assert_no_pending_responses()


def test_a_deleted_permission_set_leaves_nothing_to_revoke(clients: SessionClients, stub: Stubber) -> None:
    action = planned(clients, stub).action
    stub.add_client_error("list_account_assignments", "ResourceNotFoundException", "no such permission set")
    with stub:
        assert apply(clients, action, dry_run=False) is RevocationResult.ALREADY_ABSENT


def test_access_denied_names_the_action_and_the_permission(clients: SessionClients, stub: Stubber) -> None:
    action = planned(clients, stub).action
    stub.add_response("list_account_assignments", listed(ASSIGNMENT), LIST)
    stub.add_client_error("delete_account_assignment", "AccessDeniedException", "no", 400)
    with stub, pytest.raises(RevocationRefused) as refused:
        apply(clients, action, dry_run=False)
    assert "remove the Identity Center assignment" in str(refused.value)
    assert "sso:DeleteAccountAssignment" in str(refused.value)


@pytest.mark.parametrize("code", ["ThrottlingException", "ConflictException", "InternalServerException"])
def test_throttling_conflicts_and_server_errors_while_polling_are_retryable(
    clients: SessionClients, stub: Stubber, polling: Polling, code: str
) -> None:
    action = planned(clients, stub).action
    deletion(stub, "IN_PROGRESS")
    stub.add_client_error("describe_account_assignment_deletion_status", code, "later", 400)
    with stub, pytest.raises(SourceUnavailable) as unavailable:
        apply(clients, action, dry_run=False, polling=polling)
    assert unavailable.value.retryable is True
