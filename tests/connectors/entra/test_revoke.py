"""Entra revocation against the simulator: effect, idempotence, verify, inverse, dry run, refusals."""

from __future__ import annotations

import pytest

from connectors.entra import revoke
from connectors.entra.client import GraphClient
from reviews.entitlements import AccessLevel, Grant, PathStep, RevocationResult
from reviews.errors import RevocationRefused
from simulators.graph import GraphSimulator
from tests.connectors.entra.conftest import SECRETS, Department, settings_for

ROLE = "11111111-1111-1111-1111-111111111111"


@pytest.fixture
def client(simulator: GraphSimulator) -> GraphClient:
    with GraphClient(settings_for(simulator), SECRETS) as graph:
        yield graph


def _writes(sim: GraphSimulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in sim.requests if r.method in ("POST", "DELETE", "PATCH")]


def test_remove_a_direct_member_then_undo(
    client: GraphClient, simulator: GraphSimulator, department: Department
) -> None:
    t, ids = department.tenant, department.ids
    grant = Grant(
        ids["payroll"], ids["dee"], AccessLevel.READ, (PathStep("group", ids["payroll"], "payroll"),)
    )
    planned = revoke.plan_for_group_grant(grant, unchangeable=None)

    assert revoke.apply(client, planned.action, dry_run=True) is RevocationResult.DRY_RUN
    assert _writes(simulator) == [] and ids["dee"] in t.direct_members(ids["payroll"])
    assert revoke.apply(client, planned.action, dry_run=False) is RevocationResult.APPLIED
    assert ids["dee"] not in t.direct_members(ids["payroll"])
    assert _writes(simulator) == [f"DELETE /v1.0/groups/{ids['payroll']}/members/{ids['dee']}/$ref"]
    assert revoke.verify(client, planned.action) is True
    assert revoke.apply(client, planned.action, dry_run=False) is RevocationResult.ALREADY_ABSENT
    assert planned.inverse is not None
    assert revoke.apply(client, planned.inverse, dry_run=False) is RevocationResult.APPLIED
    assert ids["dee"] in t.direct_members(ids["payroll"]) and revoke.verify(client, planned.inverse) is True


def test_inherited_membership_is_refused_with_the_membership_to_change(department: Department) -> None:
    ids = department.ids
    path = (
        PathStep("group", ids["payroll"], "payroll"),
        PathStep("group", ids["finance"], "finance"),
        PathStep("group", ids["clerks"], "clerks"),
    )
    with pytest.raises(RevocationRefused, match="through nested group clerks: remove it from clerks"):
        revoke.plan_for_group_grant(
            Grant(ids["payroll"], ids["ana"], AccessLevel.READ, path), unchangeable=None
        )


def test_an_unchangeable_group_is_refused_with_why(department: Department) -> None:
    ids = department.ids
    grant = Grant(
        ids["dynamic"], ids["cat"], AccessLevel.READ, (PathStep("group", ids["dynamic"], "dynamic-payroll"),)
    )
    with pytest.raises(RevocationRefused, match="cannot be changed here: dynamic membership"):
        revoke.plan_for_group_grant(grant, unchangeable="dynamic membership (rule-based)")


def test_remove_an_app_role_assignment_then_undo(client: GraphClient, department: Department) -> None:
    t, ids = department.tenant, department.ids
    [assignment] = [a for a in t.assignments(ids["app"]) if a["principalId"] == ids["etl"]]
    planned = revoke.plan_remove_assignment(ids["app"], assignment["id"], ids["etl"], ROLE)
    assert revoke.apply(client, planned.action, dry_run=False) is RevocationResult.APPLIED
    assert not [a for a in t.assignments(ids["app"]) if a["principalId"] == ids["etl"]]
    assert revoke.verify(client, planned.action) is True
    assert revoke.apply(client, planned.action, dry_run=False) is RevocationResult.ALREADY_ABSENT
    assert planned.inverse is not None
    assert revoke.apply(client, planned.inverse, dry_run=False) is RevocationResult.APPLIED
    assert [a for a in t.assignments(ids["app"]) if a["principalId"] == ids["etl"]]


def test_revoke_sessions(client: GraphClient, simulator: GraphSimulator, department: Department) -> None:
    planned = revoke.plan_revoke_sessions(department.ids["ana"])
    assert planned.inverse is None
    assert revoke.apply(client, planned.action, dry_run=True) is RevocationResult.DRY_RUN and not _writes(
        simulator
    )
    assert revoke.apply(client, planned.action, dry_run=False) is RevocationResult.APPLIED
    assert _writes(simulator) == [f"POST /v1.0/users/{department.ids['ana']}/revokeSignInSessions"]
