"""IAM Identity Center account assignments: who may use which permission set in which account.

Deleting and creating an assignment are asynchronous on AWS: the call returns a request that Identity Center
works through (it removes or provisions the role in the target account). We poll its status until SUCCEEDED
or FAILED, for a bounded time; a request still running then is a retryable failure, and the next attempt
starts with a confirming read, so it never deletes twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from connectors.aws.errors import SOURCE
from connectors.aws.revoke.base import (
    DONE,
    PENDING,
    Absent,
    AwsClients,
    AwsKind,
    Observed,
    PlannedRevocation,
    Polling,
    Primitive,
    aws_action,
    call,
    pages,
    param,
    planned,
)
from reviews.entitlements import RevocationAction
from reviews.errors import RevocationRefused, SourceUnavailable

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Request:
    """An asynchronous Identity Center write and how to follow it."""

    write: str  # the client method
    status_key: str  # where its answer (and describe's) keeps the status
    describe: str  # the client method that reads the status again
    request_key: str  # describe's argument naming the request


_REQUESTS = {
    AwsKind.DELETE_ACCOUNT_ASSIGNMENT: _Request(
        "delete_account_assignment",
        "AccountAssignmentDeletionStatus",
        "describe_account_assignment_deletion_status",
        "AccountAssignmentDeletionRequestId",
    ),
    AwsKind.CREATE_ACCOUNT_ASSIGNMENT: _Request(
        "create_account_assignment",
        "AccountAssignmentCreationStatus",
        "describe_account_assignment_creation_status",
        "AccountAssignmentCreationRequestId",
    ),
}


def _assigned(clients: AwsClients, action: RevocationAction) -> bool:
    try:
        assignments = pages(
            clients.sso_admin(),
            action,
            "list_account_assignments",
            "AccountAssignments",
            InstanceArn=param(action, "instance_arn"),
            AccountId=param(action, "account_id"),
            PermissionSetArn=param(action, "permission_set_arn"),
        )
    except Absent:
        return False  # the permission set is gone, and every assignment of it
    principal = (param(action, "principal_type"), param(action, "principal_id"))
    return any((item["PrincipalType"], item["PrincipalId"]) == principal for item in assignments)


def _assignment(kind: AwsKind, *, create: bool) -> Primitive:
    request = _REQUESTS[kind]

    def observe(clients: AwsClients, action: RevocationAction) -> Observed:
        return DONE if _assigned(clients, action) == create else PENDING

    def write(clients: AwsClients, action: RevocationAction, polling: Polling) -> None:
        sso = clients.sso_admin()
        answer = call(sso, action, request.write, TargetType="AWS_ACCOUNT", **_keys(action))
        status = _settled(sso, action, request, answer[request.status_key], polling)
        if status["Status"] != "SUCCEEDED":
            reason = status.get("FailureReason") or "no reason given"
            raise RevocationRefused(
                f"{action.description}: Identity Center reports {status['Status']}: {reason}"
            )

    return Primitive(observe=observe, write=write)


def _settled(
    sso: Any, action: RevocationAction, request: _Request, status: dict[str, Any], polling: Polling
) -> dict[str, Any]:
    """The request's status once it is no longer IN_PROGRESS, or a retryable error after `polling.timeout`."""
    deadline = polling.monotonic() + polling.timeout
    while status["Status"] == "IN_PROGRESS":
        if polling.monotonic() >= deadline:
            raise SourceUnavailable(
                SOURCE,
                f"{action.description}: Identity Center request {status['RequestId']} still in progress "
                f"after {polling.timeout:.0f} s; the next attempt reads the assignment back first",
                retryable=True,
            )
        polling.sleep(polling.interval)
        ids = {"InstanceArn": param(action, "instance_arn"), request.request_key: status["RequestId"]}
        status = call(sso, action, request.describe, **ids)[request.status_key]
        logger.debug("Identity Center request %s: %s", status["RequestId"], status["Status"])
    return status


def _keys(action: RevocationAction) -> dict[str, str]:
    return {
        "InstanceArn": param(action, "instance_arn"),
        "TargetId": param(action, "account_id"),
        "PermissionSetArn": param(action, "permission_set_arn"),
        "PrincipalType": param(action, "principal_type"),
        "PrincipalId": param(action, "principal_id"),
    }


def plan_delete_account_assignment(
    clients: AwsClients,
    *,
    instance_arn: str,
    account_id: str,
    permission_set_arn: str,
    principal_type: str,
    principal_id: str,
) -> PlannedRevocation:
    keys = {
        "instance_arn": instance_arn,
        "account_id": account_id,
        "permission_set_arn": permission_set_arn,
        "principal_type": principal_type,
        "principal_id": principal_id,
    }
    subject = (
        f"Identity Center assignment of permission set {permission_set_arn} to "
        f"{principal_type.lower()} {principal_id} in account {account_id}"
    )
    action = aws_action(AwsKind.DELETE_ACCOUNT_ASSIGNMENT, f"remove the {subject}", **keys)
    inverse = aws_action(AwsKind.CREATE_ACCOUNT_ASSIGNMENT, f"restore the {subject}", **keys)
    return planned(clients, PRIMITIVES[AwsKind.DELETE_ACCOUNT_ASSIGNMENT], action, inverse)


PRIMITIVES: dict[AwsKind, Primitive] = {
    AwsKind.DELETE_ACCOUNT_ASSIGNMENT: _assignment(AwsKind.DELETE_ACCOUNT_ASSIGNMENT, create=False),
    AwsKind.CREATE_ACCOUNT_ASSIGNMENT: _assignment(AwsKind.CREATE_ACCOUNT_ASSIGNMENT, create=True),
}
