"""The AWS connector as the review engine will use it: snapshot, then revoke and verify through the port."""

from __future__ import annotations

import boto3
import pytest

from connectors.aws import revoke
from connectors.aws.accounts import open_sessions
from connectors.aws.connector import AwsConnector
from connectors.aws.settings import AwsSettings
from reviews.clock import FrozenClock
from reviews.entitlements import AccessLevel, RevocationResult
from tests.data.aws.world import build_iam, make_bucket, tags
from tests.helpers import T0

SETTINGS = AwsSettings(identity_center=False, last_accessed=False)


@pytest.fixture
def connector(aws: None) -> AwsConnector:
    return AwsConnector(SETTINGS, clock=FrozenClock(T0))


def _groups(user: str) -> list[str]:
    return [g["GroupName"] for g in boto3.client("iam").list_groups_for_user(UserName=user)["Groups"]]


def test_snapshot_then_revoke_a_group_membership_and_verify(connector: AwsConnector) -> None:
    make_bucket("payroll", tag_set=tags())
    build_iam()
    before = {
        (g.principal_provider_id.rsplit("/", 1)[-1], g.access)
        for g in connector.snapshot().grants
        if g.store_provider_id == "arn:aws:s3:::payroll"
    }
    assert ("ana", AccessLevel.READ) in before

    sessions = open_sessions(SETTINGS)
    clients = revoke.SessionClients({a.account_id: a for a in sessions.accounts})
    account_id = sessions.caller.account_id
    group = _groups("ana")[0]
    planned = revoke.plan_remove_user_from_group(
        clients, account_id=account_id, user_name="ana", group_name=group
    )

    assert connector.revoke(planned.action, dry_run=True) is RevocationResult.DRY_RUN
    assert group in _groups("ana")  # a dry run changes nothing
    assert connector.revoke(planned.action, dry_run=False) is RevocationResult.APPLIED
    assert connector.verify(planned.action) is True
    assert group not in _groups("ana")
    assert connector.revoke(planned.action, dry_run=False) is RevocationResult.ALREADY_ABSENT
    assert connector.revoke(planned.inverse, dry_run=False) is RevocationResult.APPLIED  # undo
    assert group in _groups("ana")
