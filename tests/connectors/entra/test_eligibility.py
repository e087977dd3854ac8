"""PIM for Groups eligibility of personal-data groups (connectors/entra/eligibility.py), against the Graph
simulator: read, listed marked eligible with its end date, revoked by ending the eligibility, restored by
undo; a missing permission or licence fails the sync loudly.

Graph v1.0, privilegedAccessGroupEligibilitySchedule resource type: "Represents the schedule of eligible
ownership and membership to groups that are governed by PIM"; accessId: "The identifier of the membership or
ownership eligibility to the group that is governed by PIM. Required. The possible values are: owner,
member."
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.entra.connector import EntraConnector
from reviews.clock import FrozenClock
from reviews.entitlements import AccessLevel, Grant, PathStep, RevocationResult
from reviews.errors import Misconfigured, RevocationRefused, SourceUnavailable
from simulators.graph import GraphSimulator
from simulators.graph.pim import READ, WRITE
from tests.connectors.entra.conftest import SECRETS, Department, settings_for
from tests.connectors.entra.test_sync_end_to_end import sync_env
from tests.helpers import T0, run_cli

SCHEDULES = "/identityGovernance/privilegedAccess/group/eligibilitySchedules"
END = datetime(2027, 3, 1, tzinfo=UTC)

# Every read permission the sync needs but PIM's (the simulator grants all when `permissions` is None).
READS_BUT_PIM = frozenset(
    {"User.Read.All", "GroupMember.Read.All", "Application.Read.All", "AuditLog.Read.All"}
)


def connector_for(simulator: GraphSimulator, **settings: object) -> EntraConnector:
    return EntraConnector(
        settings_for(simulator, **settings), SECRETS, clock=FrozenClock(T0), sleep=lambda _s: None
    )


def grants_of(connector: EntraConnector, department: Department) -> dict[tuple[str, str, str], Grant]:
    names = {object_id: name for name, object_id in department.ids.items()}
    return {
        (names[g.store_provider_id], names[g.principal_provider_id], str(g.access)): g
        for g in connector.snapshot().grants
        if g.principal_provider_id in names and g.store_provider_id in names
    }


def test_the_list_requires_a_filter_on_group_or_principal(simulator: GraphSimulator) -> None:
    """List eligibilitySchedules: "This method requires the `$filter` (`eq`) query parameter to scope the
    request to a **principalId** or a **groupId**"."""
    with connector_for(simulator)._client() as client, pytest.raises(SourceUnavailable, match="BadRequest"):
        client.get_all(SCHEDULES)


def test_the_list_is_paged_and_filtered_by_group(simulator: GraphSimulator, department: Department) -> None:
    """List eligibilitySchedules: `GET …/eligibilitySchedules?$filter=groupId eq '{groupId}'`, answered as a
    collection of privilegedAccessGroupEligibilitySchedule (its example carries `memberType`, `accessId`,
    `principalId`, `groupId` and `scheduleInfo.expiration` with `type` and `endDateTime`)."""
    t, ids = department.tenant, department.ids
    staff = [u for u in t.user_ids() if t.users[u]["displayName"].startswith("Staff")][:60]
    for user in staff:  # more than one page (the simulator pages by 50)
        t.pim.add_eligibility(ids["payroll"], user, end=END)
    t.pim.add_eligibility(ids["finance"], ids["ana"])
    with connector_for(simulator)._client() as client:
        found = client.get_all(SCHEDULES, {"$filter": f"groupId eq '{ids['payroll']}'"})
    assert sorted(s["principalId"] for s in found) == sorted(staff)
    first = found[0]
    assert (first["accessId"], first["memberType"], first["groupId"]) == ("member", "Direct", ids["payroll"])
    assert first["scheduleInfo"]["expiration"] == {
        "type": "afterDateTime",
        "endDateTime": "2027-03-01T00:00:00Z",
        "duration": None,
    }


def test_eligible_members_and_owners_are_listed_marked_eligible_with_their_end(
    simulator: GraphSimulator, department: Department
) -> None:
    """An eligible member can activate membership, an eligible owner ownership: what they would hold active
    (read; admin for owners), marked eligible in the path with the end date, or "no end" for
    `noExpiration`. An eligible group's members are eligible through it, nested like members."""
    t, ids = department.tenant, department.ids
    t.pim.add_eligibility(ids["payroll"], ids["cat"], end=END)
    t.pim.add_eligibility(ids["payroll"], ids["boss"], access="owner")
    t.pim.add_eligibility(ids["payroll"], ids["casework-readers"], end=END)
    grants = grants_of(connector_for(simulator), department)
    assert grants[("payroll", "cat", "read")].path == (
        PathStep("eligible_member", ids["payroll"], "payroll: eligible until 2027-03-01"),
    )
    assert grants[("payroll", "boss", "admin")].path == (
        PathStep("eligible_owner", ids["payroll"], "payroll: eligible, no end"),
    )
    # boss is in nested-readers, itself in casework-readers, the eligible group
    assert [str(s) for s in grants[("payroll", "boss", "read")].path] == [
        "eligible_member:payroll: eligible until 2027-03-01",
        "group:casework-readers",
        "group:nested-readers",
    ]
    assert grants[("payroll", "boss", "read")].access is AccessLevel.READ


def test_an_active_path_is_shown_before_an_eligible_one_and_expired_ones_are_gone(
    simulator: GraphSimulator, department: Department
) -> None:
    t, ids = department.tenant, department.ids
    t.pim.add_eligibility(ids["payroll"], ids["ben"], end=END)  # ben is a direct member too
    t.pim.add_eligibility(ids["payroll"], ids["cat"], end=datetime(2026, 1, 1, tzinfo=UTC))  # before T0
    grants = grants_of(connector_for(simulator), department)
    assert grants[("payroll", "ben", "read")].path == (PathStep("group", ids["payroll"], "payroll"),)
    assert ("payroll", "cat", "read") not in grants


def test_schedules_derived_from_a_group_are_read_through_the_group_and_said(
    simulator: GraphSimulator, department: Department
) -> None:
    """memberType: "Indicates whether the assignment is derived from a group assignment … The possible
    values are: direct, group" (privilegedAccessGroupEligibilitySchedule): a derived one is not the
    principal's own eligibility, and cannot be removed for it alone."""
    t, ids = department.tenant, department.ids
    t.pim.add_eligibility(ids["payroll"], ids["cat"], member_type="Group")
    snapshot = connector_for(simulator).snapshot()
    assert not [
        g
        for g in snapshot.grants
        if g.store_provider_id == ids["payroll"] and g.principal_provider_id == ids["cat"]
    ]
    assert any("derived from a group's eligibility" in n for n in snapshot.notes)


def test_a_missing_permission_fails_the_sync_naming_it(
    simulator: GraphSimulator, department: Department
) -> None:
    """List eligibilitySchedules, Permissions: Application, least privileged
    `PrivilegedEligibilitySchedule.Read.AzureADGroup`. A reader that cannot be read must never be skipped
    in silence: the sync fails and says which permission to grant."""
    simulator.permissions = READS_BUT_PIM
    with pytest.raises(Misconfigured, match=r"PrivilegedEligibilitySchedule\.Read\.AzureADGroup"):
        connector_for(simulator).snapshot()


def test_a_tenant_without_the_licence_fails_until_the_read_is_turned_off(
    simulator: GraphSimulator, department: Department
) -> None:
    """PIM for Groups needs Microsoft Entra ID P2 or ID Governance. Graph's refusal on an unlicensed tenant is
    not in Microsoft's reference; clients in the wild report 400 `AadPremiumLicenseRequired` ("The tenant
    needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license."). The sync fails with
    the fix; `entra.pim_for_groups = false` turns the read off, and each sync's notes say so."""
    department.tenant.pim.licensed = False
    with pytest.raises(Misconfigured, match="set `pim_for_groups = false` under \\[entra\\]"):
        connector_for(simulator).snapshot()
    snapshot = connector_for(simulator, pim_for_groups=False).snapshot()
    assert any(
        "PIM for Groups eligibility not read (entra.pim_for_groups = false)" in n for n in snapshot.notes
    )


def test_revocation_ends_the_eligibility_and_undo_restores_it_with_its_end(
    simulator: GraphSimulator, department: Department
) -> None:
    """Create eligibilityScheduleRequest: "`adminRemove`: For administrators to remove principals from group
    membership or ownership eligibilities"; "`adminAssign`: For administrators to assign group membership or
    ownership eligibility to principals" (permission PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup)."""
    t, ids = department.tenant, department.ids
    t.pim.add_eligibility(ids["payroll"], ids["cat"], end=END)
    connector = connector_for(simulator)
    grant = grants_of(connector, department)[("payroll", "cat", "read")]
    start = len(simulator.requests)
    planned = connector.plan_revocation(grant)
    assert [r.method for r in simulator.requests[start:]] == ["GET"]  # one read, no write
    assert planned.action.kind == "remove_group_eligibility"
    assert dict(planned.action.params) == {
        "group_id": ids["payroll"],
        "principal_id": ids["cat"],
        "access_id": "member",
        "end": "2027-03-01T00:00:00Z",
    }
    assert connector.revoke(planned.action, dry_run=True) is RevocationResult.DRY_RUN
    assert len(t.pim.eligible(ids["payroll"])) == 1
    assert connector.revoke(planned.action, dry_run=False) is RevocationResult.APPLIED
    assert t.pim.eligible(ids["payroll"]) == []
    assert connector.verify(planned.action) is True
    assert connector.revoke(planned.action, dry_run=False) is RevocationResult.ALREADY_ABSENT
    removal = next(r for r in simulator.requests if r.path.endswith("/eligibilityScheduleRequests"))
    assert removal.body["action"] == "adminRemove" and removal.body["accessId"] == "member"

    assert planned.inverse is not None
    assert connector.revoke(planned.inverse, dry_run=False) is RevocationResult.APPLIED
    (restored,) = t.pim.eligible(ids["payroll"])
    assert (restored["principalId"], restored["accessId"]) == (ids["cat"], "member")
    assert restored["scheduleInfo"]["expiration"]["endDateTime"] == "2027-03-01T00:00:00Z"


def test_eligibility_through_a_group_is_refused_naming_what_to_change(
    simulator: GraphSimulator, department: Department
) -> None:
    t, ids = department.tenant, department.ids
    t.pim.add_eligibility(ids["payroll"], ids["casework-readers"], end=END)
    connector = connector_for(simulator)
    grant = grants_of(connector, department)[("payroll", "boss", "read")]
    start = len(simulator.requests)
    with pytest.raises(RevocationRefused, match="remove .* from nested-readers, or end casework-readers's"):
        connector.plan_revocation(grant)
    assert simulator.requests[start:] == []


def test_a_write_without_the_permission_is_refused_naming_it(
    simulator: GraphSimulator, department: Department
) -> None:
    t, ids = department.tenant, department.ids
    t.pim.add_eligibility(ids["payroll"], ids["cat"], end=END)
    connector = connector_for(simulator)
    planned = connector.plan_revocation(grants_of(connector, department)[("payroll", "cat", "read")])
    simulator.permissions = READS_BUT_PIM | {READ}
    with pytest.raises(Misconfigured, match=r"PrivilegedEligibilitySchedule\.ReadWrite\.AzureADGroup"):
        connector.revoke(planned.action, dry_run=False)
    assert len(t.pim.eligible(ids["payroll"])) == 1
    assert WRITE not in (simulator.permissions or ())


def test_an_end_given_as_a_duration_is_read_and_an_unreadable_one_fails_the_sync(
    simulator: GraphSimulator, department: Department
) -> None:
    """requestSchedule / expirationPattern: `type` is noExpiration, afterDateTime or afterDuration, with
    `endDateTime` or `duration` (ISO 8601). An expiration this version cannot read fails the sync naming the
    schedule: an unread end must never be taken for "no end"."""
    t, ids = department.tenant, department.ids
    sid = t.pim.add_eligibility(ids["payroll"], ids["cat"])
    t.pim.schedules[sid]["scheduleInfo"] = {
        "startDateTime": "2026-02-20T00:00:00Z",
        "expiration": {"type": "afterDuration", "endDateTime": None, "duration": "P180D"},
    }
    grants = grants_of(connector_for(simulator), department)
    assert grants[("payroll", "cat", "read")].path[0].name == "payroll: eligible until 2026-08-19"
    t.pim.schedules[sid]["scheduleInfo"]["expiration"] = {"type": "afterDuration", "duration": "P1Y"}
    with pytest.raises(
        SourceUnavailable, match=f"PIM eligibility schedule {sid}: expiration .* not understood"
    ):
        connector_for(simulator).snapshot()
    del t.pim.schedules[sid]["principalId"]
    with pytest.raises(SourceUnavailable, match=f"PIM eligibility schedule {sid}: no principalId"):
        connector_for(simulator).snapshot()


def test_sync_without_the_pim_permission_fails_loudly_in_the_cli(
    simulator: GraphSimulator, department: Department, database_url: str, capsys, monkeypatch
) -> None:
    """A hidden reader is never skipped: `recertify sync` fails, recorded as a failed sync, with the
    permission to grant and no traceback."""
    simulator.permissions = READS_BUT_PIM
    result = run_cli(capsys, monkeypatch, "sync", "--source", "entra", env=sync_env(simulator, database_url))
    assert result.code != 0
    assert "PrivilegedEligibilitySchedule.Read.AzureADGroup" in result.stderr
    assert "Traceback" not in result.stderr
