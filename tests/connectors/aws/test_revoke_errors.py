"""Refusals, outages and races, which moto cannot produce on demand: a `botocore.stub.Stubber` on the same
real client answers as AWS would. Also the actions that cannot be run at all."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.parsers import ResponseParserError
from botocore.stub import Stubber

from connectors.aws.accounts import AwsAccount
from connectors.aws.revoke import AwsKind, SessionClients, apply, plan_remove_user_from_group, verify
from connectors.aws.revoke.base import translated
from reviews.entitlements import RevocationAction, RevocationResult, System
from reviews.errors import Misconfigured, RevocationRefused, SourceUnavailable
from tests.data.aws.revocation import ACCOUNT, REGION, build_world, session_clients


@pytest.fixture
def clients(aws: None) -> SessionClients:
    return session_clients()


def stubbed_membership(clients: SessionClients) -> tuple[Stubber, RevocationAction]:
    build_world()
    planned = plan_remove_user_from_group(
        clients, account_id=ACCOUNT, user_name="alice", group_name="analysts"
    )
    return Stubber(clients.iam(ACCOUNT)), planned.action


def member_of(*groups: str) -> dict[str, Any]:
    return {
        "Groups": [
            {
                "Path": "/",
                "GroupName": g,
                "GroupId": "AGPA" + g.upper().ljust(17, "X"),
                "Arn": f"arn:aws:iam::{ACCOUNT}:group/{g}",
                "CreateDate": "2024-01-01T00:00:00Z",
            }
            for g in groups
        ]
    }


def test_a_dry_run_against_a_stub_with_no_write_queued(clients: SessionClients) -> None:
    stub, action = stubbed_membership(clients)
    stub.add_response("list_groups_for_user", member_of("analysts"), {"UserName": "alice"})
    with stub:
        assert apply(clients, action, dry_run=True) is RevocationResult.DRY_RUN
    stub.assert_no_pending_responses()


def test_access_denied_is_refused_naming_the_action(clients: SessionClients) -> None:
    stub, action = stubbed_membership(clients)
    stub.add_response("list_groups_for_user", member_of("analysts"))
    stub.add_client_error("remove_user_from_group", "AccessDenied", "not authorized", 403)
    with stub, pytest.raises(RevocationRefused) as refused:
        apply(clients, action, dry_run=False)
    assert "remove IAM user alice from group analysts" in str(refused.value)
    assert "iam:RemoveUserFromGroup" in str(refused.value)


@pytest.mark.parametrize(("code", "status"), [("Throttling", 400), ("ServiceFailure", 500)])
def test_throttling_and_server_errors_are_retryable(clients: SessionClients, code: str, status: int) -> None:
    stub, action = stubbed_membership(clients)
    stub.add_client_error("list_groups_for_user", code, "slow down", status)
    with stub, pytest.raises(SourceUnavailable) as unavailable:
        apply(clients, action, dry_run=False)
    assert unavailable.value.retryable is True and unavailable.value.source == "aws"
    assert "remove IAM user alice from group analysts" in str(unavailable.value)


def test_any_other_aws_refusal_is_refused(clients: SessionClients) -> None:
    stub, action = stubbed_membership(clients)
    stub.add_response("list_groups_for_user", member_of("analysts"))
    stub.add_client_error("remove_user_from_group", "LimitExceeded", "too many", 409)
    with stub, pytest.raises(RevocationRefused, match="LimitExceeded"):
        apply(clients, action, dry_run=False)


def test_a_race_lost_to_someone_else_is_already_absent_after_a_second_read(clients: SessionClients) -> None:
    stub, action = stubbed_membership(clients)
    stub.add_response("list_groups_for_user", member_of("analysts", "everyone"))
    stub.add_client_error("remove_user_from_group", "NoSuchEntity", "User alice not in group analysts", 404)
    stub.add_response("list_groups_for_user", member_of("everyone"))
    with stub:
        assert apply(clients, action, dry_run=False) is RevocationResult.ALREADY_ABSENT
    stub.assert_no_pending_responses()


def test_aws_unreachable_is_retryable(aws_env: None) -> None:
    session = boto3.Session(region_name=REGION)
    account = AwsAccount(ACCOUNT, session, REGION)
    fast = Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=1)
    account._clients[("iam", REGION)] = session.client("iam", endpoint_url="http://127.0.0.1:9", config=fast)
    clients = SessionClients(accounts={ACCOUNT: account})
    action = RevocationAction(
        System.AWS,
        AwsKind.REMOVE_USER_FROM_GROUP.value,
        (("account_id", ACCOUNT), ("user_name", "alice"), ("group_name", "analysts")),
        "remove IAM user alice from group analysts",
    )
    with pytest.raises(SourceUnavailable, match="remove IAM user alice.*unreachable") as unavailable:
        apply(clients, action, dry_run=False)
    assert unavailable.value.retryable is True


# --- actions that cannot be run --------------------------------------------------------------------------


def test_an_unknown_kind_is_refused(clients: SessionClients) -> None:
    action = RevocationAction(System.AWS, "delete_user", (("account_id", ACCOUNT),), "delete IAM user alice")
    with pytest.raises(RevocationRefused, match="unknown AWS action kind 'delete_user'"):
        apply(clients, action, dry_run=True)
    with pytest.raises(RevocationRefused):
        verify(clients, action)


def test_an_action_for_another_system_is_refused(clients: SessionClients) -> None:
    action = RevocationAction(System.ENTRA, AwsKind.REMOVE_USER_FROM_GROUP.value, (), "remove a member")
    with pytest.raises(RevocationRefused, match="entra action"):
        apply(clients, action, dry_run=True)


def test_an_action_missing_a_parameter_is_refused(clients: SessionClients) -> None:
    action = RevocationAction(
        System.AWS, AwsKind.REMOVE_USER_FROM_GROUP.value, (("account_id", ACCOUNT),), "remove alice"
    )
    with pytest.raises(RevocationRefused, match="remove alice: the stored action lacks 'user_name'"):
        apply(clients, action, dry_run=True)


def test_an_account_without_a_session_is_misconfigured(clients: SessionClients) -> None:
    with pytest.raises(Misconfigured, match="999999999999"):
        plan_remove_user_from_group(clients, account_id="999999999999", user_name="alice", group_name="x")
    with pytest.raises(Misconfigured, match="Identity Center"):
        SessionClients(accounts={}).sso_admin()


def test_an_unparseable_answer_to_a_revocation_is_an_outage_on_one_line() -> None:
    """The revocation's translator is the reads' (connectors/aws/errors.py). botocore raises, for a body that
    is not the protocol's XML, "Unable to parse response (…), invalid XML received. Further retries may
    succeed" (botocore/parsers.py): a ResponseParserError, which is not a BotoCoreError, so it once escaped
    the revocation's own translator as a raw exception."""
    action = RevocationAction(
        System.AWS,
        AwsKind.REMOVE_USER_FROM_GROUP.value,
        (("account_id", ACCOUNT), ("user_name", "alice"), ("group_name", "analysts")),
        "remove IAM user alice from group analysts",
    )
    raised = ResponseParserError("Unable to parse response (…), invalid XML received:\nb'<html>…'")
    with pytest.raises(SourceUnavailable) as caught:
        with translated(action, "iam:RemoveUserFromGroup"):
            raise raised
    where = "remove IAM user alice from group analysts: iam:RemoveUserFromGroup"
    assert caught.value.reason == f"{where}: AWS sent an answer that could not be parsed"
    assert caught.value.retryable
    assert caught.value.__cause__ is raised
