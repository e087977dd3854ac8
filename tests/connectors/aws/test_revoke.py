"""AWS revocation primitives against moto: every kind revoked, verified, repeated, dry-run and undone.

moto plays IAM and the Identity Center assignment calls. It completes assignment requests at once, so their
polling is tested with a Stubber in test_revoke_identity_center.py; refusals, outages and races, which moto
cannot produce on demand, in test_revoke_errors.py. "A dry run writes nothing" is proved twice: the
simulator's state is unchanged, and no call the IAM catalogue ranks as a write was made.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import boto3
import pytest

from connectors.aws.permissions import KINDS
from connectors.aws.revoke import (
    UNDO,
    AwsKind,
    PlannedRevocation,
    SessionClients,
    apply,
    plan_deactivate_access_key,
    plan_delete_account_assignment,
    plan_delete_role_policy,
    plan_delete_user_policy,
    plan_detach_role_policy,
    plan_detach_user_policy,
    plan_remove_user_from_group,
    verify,
)
from reviews.entitlements import RevocationResult, System
from reviews.errors import NotFound, RevocationRefused
from tests.connectors.aws.exposure_world import SCENARIOS as EXPOSURE_SCENARIOS
from tests.data.aws.revocation import (
    ACCOUNT,
    ALICE_ID,
    BOB_ID,
    DOCUMENT,
    OTHER,
    REGION,
    TARGET,
    World,
    build_world,
    record_calls,
    session_clients,
    snapshot,
    writes,
)


@pytest.fixture
def clients(aws: None) -> SessionClients:
    return session_clients()


@pytest.fixture
def calls(clients: SessionClients) -> list[str]:
    return record_calls(clients)


@dataclass(frozen=True)
class Scenario:
    kind: AwsKind
    plan: Callable[[SessionClients, World], PlannedRevocation]
    piece: str  # the part of the snapshot this primitive changes
    revoked: Callable[[World], object]  # that part once revoked


SCENARIOS = [
    Scenario(
        AwsKind.REMOVE_USER_FROM_GROUP,
        lambda c, w: plan_remove_user_from_group(
            c, account_id=ACCOUNT, user_name="alice", group_name="analysts"
        ),
        "groups",
        lambda w: ["everyone"],
    ),
    Scenario(
        AwsKind.DETACH_USER_POLICY,
        lambda c, w: plan_detach_user_policy(
            c, account_id=ACCOUNT, user_name="alice", policy_arn=w["policy"]
        ),
        "user_policies",
        lambda w: [w["other_policy"]],
    ),
    Scenario(
        AwsKind.DETACH_ROLE_POLICY,
        lambda c, w: plan_detach_role_policy(c, account_id=ACCOUNT, role_name="etl", policy_arn=w["policy"]),
        "role_policies",
        lambda w: [w["other_policy"]],
    ),
    Scenario(
        AwsKind.DELETE_USER_POLICY,
        lambda c, w: plan_delete_user_policy(c, account_id=ACCOUNT, user_name="alice", policy_name="hr"),
        "user_inline",
        lambda w: {"queues": OTHER},
    ),
    Scenario(
        AwsKind.DELETE_ROLE_POLICY,
        lambda c, w: plan_delete_role_policy(c, account_id=ACCOUNT, role_name="etl", policy_name="hr"),
        "role_inline",
        lambda w: {"queues": OTHER},
    ),
    Scenario(
        AwsKind.DEACTIVATE_ACCESS_KEY,
        lambda c, w: plan_deactivate_access_key(
            c, account_id=ACCOUNT, user_name="alice", access_key_id=w["key"]
        ),
        "keys",
        lambda w: sorted([(w["key"], "Inactive"), (w["other_key"], "Active")]),
    ),
    Scenario(
        AwsKind.DELETE_ACCOUNT_ASSIGNMENT,
        lambda c, w: plan_delete_account_assignment(
            c,
            instance_arn=w["instance"],
            account_id=TARGET,
            permission_set_arn=w["permission_set"],
            principal_type="USER",
            principal_id=ALICE_ID,
        ),
        "assignments",
        lambda w: [("USER", BOB_ID)],
    ),
]
by_kind = pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.kind.value for s in SCENARIOS])


def declared(kind: str) -> set[str]:
    needs = KINDS[AwsKind(kind)]
    return {*needs.reads, *needs.writes}


def test_every_kind_has_a_scenario() -> None:
    """Exposure kinds (policies, ACLs, Block Public Access): the same battery, in test_revoke_exposure.py."""
    assert {s.kind for s in SCENARIOS} | {s.kind for s in EXPOSURE_SCENARIOS} == set(UNDO)


@by_kind
def test_a_dry_run_reads_and_writes_nothing(
    scenario: Scenario, clients: SessionClients, calls: list[str]
) -> None:
    world = build_world()
    before = snapshot(world)
    planned = scenario.plan(clients, world)
    for action in (planned.action, planned.inverse):
        calls.clear()
        expected = RevocationResult.DRY_RUN if action is planned.action else RevocationResult.ALREADY_ABSENT
        assert apply(clients, action, dry_run=True) is expected
        assert calls and writes(calls) == []
    assert snapshot(world) == before


@by_kind
def test_apply_revokes_exactly_that_access_and_verify_reads_it_back(
    scenario: Scenario, clients: SessionClients, calls: list[str]
) -> None:
    world = build_world()
    before = snapshot(world)
    planned = scenario.plan(clients, world)
    assert (planned.action.kind, planned.inverse.kind) == (scenario.kind, UNDO[scenario.kind])
    assert planned.action.system is System.AWS and planned.action.description
    calls.clear()

    assert apply(clients, planned.action, dry_run=False) is RevocationResult.APPLIED

    assert set(calls) <= declared(planned.action.kind)
    assert len(writes(calls)) >= 1
    after = snapshot(world)
    assert after[scenario.piece] == scenario.revoked(world)
    assert {k: v for k, v in after.items() if k != scenario.piece} == {
        k: v for k, v in before.items() if k != scenario.piece
    }
    assert verify(clients, planned.action) is True
    assert verify(clients, planned.inverse) is False


@by_kind
def test_applying_again_is_already_absent_after_a_read(
    scenario: Scenario, clients: SessionClients, calls: list[str]
) -> None:
    planned = scenario.plan(clients, build_world())
    apply(clients, planned.action, dry_run=False)
    calls.clear()

    assert apply(clients, planned.action, dry_run=False) is RevocationResult.ALREADY_ABSENT
    assert calls and writes(calls) == []


@by_kind
def test_the_inverse_restores_exactly_what_was_there(
    scenario: Scenario, clients: SessionClients, calls: list[str]
) -> None:
    world = build_world()
    before = snapshot(world)
    planned = scenario.plan(clients, world)
    apply(clients, planned.action, dry_run=False)
    calls.clear()

    assert apply(clients, planned.inverse, dry_run=False) is RevocationResult.APPLIED

    assert set(calls) <= declared(planned.inverse.kind)
    assert snapshot(world) == before  # the same document, the key Active again, the membership back
    assert verify(clients, planned.inverse) is True
    assert verify(clients, planned.action) is False
    assert apply(clients, planned.inverse, dry_run=False) is RevocationResult.ALREADY_ABSENT


def test_an_access_key_is_deactivated_never_deleted(clients: SessionClients, calls: list[str]) -> None:
    world = build_world()
    planned = plan_deactivate_access_key(
        clients, account_id=ACCOUNT, user_name="alice", access_key_id=world["key"]
    )
    apply(clients, planned.action, dry_run=False)

    assert "iam:DeleteAccessKey" not in calls
    assert snapshot(world)["keys"] == sorted([(world["key"], "Inactive"), (world["other_key"], "Active")])


def test_a_target_removed_by_someone_else_is_already_absent(
    clients: SessionClients, calls: list[str]
) -> None:
    build_world()
    planned = plan_remove_user_from_group(
        clients, account_id=ACCOUNT, user_name="alice", group_name="analysts"
    )
    boto3.client("iam", region_name=REGION).remove_user_from_group(UserName="alice", GroupName="analysts")
    calls.clear()

    assert apply(clients, planned.action, dry_run=False) is RevocationResult.ALREADY_ABSENT
    assert calls == ["iam:ListGroupsForUser"]  # the confirming read, and no write


def test_a_deleted_user_holds_nothing_and_cannot_be_restored(clients: SessionClients) -> None:
    build_world()
    planned = plan_remove_user_from_group(
        clients, account_id=ACCOUNT, user_name="alice", group_name="analysts"
    )
    iam = boto3.client("iam", region_name=REGION)
    for group in ("analysts", "everyone"):
        iam.remove_user_from_group(UserName="alice", GroupName=group)
    for key in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]:
        iam.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
    for arn in [
        p["PolicyArn"] for p in iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]
    ]:
        iam.detach_user_policy(UserName="alice", PolicyArn=arn)
    for name in iam.list_user_policies(UserName="alice")["PolicyNames"]:
        iam.delete_user_policy(UserName="alice", PolicyName=name)
    iam.delete_user(UserName="alice")

    assert apply(clients, planned.action, dry_run=False) is RevocationResult.ALREADY_ABSENT
    with pytest.raises(
        RevocationRefused, match="add IAM user alice back to group analysts.*no longer exists"
    ):
        apply(clients, planned.inverse, dry_run=False)


def test_planning_access_that_is_already_gone_is_not_found(clients: SessionClients) -> None:
    world = build_world()
    with pytest.raises(NotFound, match="already absent"):
        plan_remove_user_from_group(clients, account_id=ACCOUNT, user_name="alice", group_name="nobody")
    with pytest.raises(NotFound, match="already absent"):
        plan_delete_user_policy(clients, account_id=ACCOUNT, user_name="alice", policy_name="missing")
    planned = plan_deactivate_access_key(
        clients, account_id=ACCOUNT, user_name="alice", access_key_id=world["key"]
    )
    apply(clients, planned.action, dry_run=False)
    with pytest.raises(NotFound):  # an inactive key: undoing a new plan must not activate it
        plan_deactivate_access_key(clients, account_id=ACCOUNT, user_name="alice", access_key_id=world["key"])


def test_an_inline_policy_changed_after_planning_is_not_deleted(
    clients: SessionClients, calls: list[str]
) -> None:
    build_world()
    planned = plan_delete_user_policy(clients, account_id=ACCOUNT, user_name="alice", policy_name="hr")
    iam = boto3.client("iam", region_name=REGION)
    iam.put_user_policy(UserName="alice", PolicyName="hr", PolicyDocument=json.dumps(OTHER))
    calls.clear()

    with pytest.raises(RevocationRefused, match="delete inline policy hr of IAM user alice.*changed"):
        apply(clients, planned.action, dry_run=False)
    assert writes(calls) == []
    assert iam.get_user_policy(UserName="alice", PolicyName="hr")["PolicyDocument"] == OTHER


def test_an_undo_never_overwrites_a_different_policy_of_the_same_name(clients: SessionClients) -> None:
    build_world()
    planned = plan_delete_role_policy(clients, account_id=ACCOUNT, role_name="etl", policy_name="hr")
    apply(clients, planned.action, dry_run=False)
    iam = boto3.client("iam", region_name=REGION)
    iam.put_role_policy(RoleName="etl", PolicyName="hr", PolicyDocument=json.dumps(OTHER))

    with pytest.raises(RevocationRefused, match="not overwritten"):
        apply(clients, planned.inverse, dry_run=False)
    assert iam.get_role_policy(RoleName="etl", PolicyName="hr")["PolicyDocument"] == OTHER
    assert verify(clients, planned.inverse) is False


def test_the_inverse_carries_the_document_read_at_plan_time(clients: SessionClients) -> None:
    build_world()
    planned = plan_delete_user_policy(clients, account_id=ACCOUNT, user_name="alice", policy_name="hr")
    assert json.loads(planned.inverse.param("policy_document")) == DOCUMENT
    assert "policy_document" not in dict(planned.action.params)  # the revocation needs only its fingerprint


def test_restoring_a_policy_that_was_deleted_meanwhile_is_refused(clients: SessionClients) -> None:
    world = build_world()
    planned = plan_detach_user_policy(
        clients, account_id=ACCOUNT, user_name="alice", policy_arn=world["policy"]
    )
    apply(clients, planned.action, dry_run=False)
    iam = boto3.client("iam", region_name=REGION)
    iam.detach_role_policy(RoleName="etl", PolicyArn=world["policy"])
    iam.delete_policy(PolicyArn=world["policy"])

    with pytest.raises(
        RevocationRefused, match="re-attach managed policy .*iam:AttachUserPolicy: NoSuchEntity"
    ):
        apply(clients, planned.inverse, dry_run=False)
