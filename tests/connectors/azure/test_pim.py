"""PIM-eligible Azure role assignments are access too (issue 19 §4: "a PIM-eligible assignment → left to a
person"): read with the real SDK from the ARM simulator, evaluated with an `eligible_assignment` step, and
refused for revocation with the fix a person applies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from azure.core.exceptions import HttpResponseError

from connectors.azure.client import AzureClients
from connectors.azure.fetch import AzureRead, read_inventory
from connectors.azure.grants import GrantorKind
from connectors.azure.model import PrincipalType, RoleAssignment, RoleDefinition
from connectors.azure.permissions import read_actions
from connectors.azure.revoke_choice import choose
from reviews.entitlements import AccessLevel, Grant
from reviews.errors import RevocationRefused
from simulators.arm import ArmSimulator, builtin_role_id
from tests.connectors.azure.evaluate_world import (
    ACCOUNT,
    ANA,
    BLOB_CONTRIBUTOR,
    BLOB_READER,
    BOB,
    HR,
    RG,
    assign,
    grants,
    inventory,
    storage,
)
from tests.connectors.azure.fetch_estate import DEPT_MG, ERIN, PDSTORE, SUB_A, SUB_B, running
from tests.connectors.azure.revoke_estate import STORE, open_estate

LISTED = "Microsoft.Authorization/roleAssignments/read"
MG = f"/providers/Microsoft.Management/managementGroups/{DEPT_MG}"


@pytest.fixture
def served() -> Iterator[tuple[ArmSimulator, AzureClients]]:
    with running() as (sim, clients):
        sim.state.add_eligible_assignment(
            PDSTORE, builtin_role_id("Storage Blob Data Owner"), ERIN, name="e1"
        )
        sim.state.add_eligible_assignment(MG, builtin_role_id("Reader"), ERIN, name="e2")
        yield sim, clients


def _read(clients: AzureClients) -> AzureRead:
    return read_inventory(
        clients,
        subscriptions=[SUB_A, SUB_B],
        personal_data_tag="personaldata",
        personal_data_values=["yes"],
        owner_tag="owner",
    )


def eligible(
    role: RoleDefinition, scope: str, principal: str = ANA, kind: PrincipalType = PrincipalType.USER
) -> RoleAssignment:
    """An eligibility as the read returns it: a schedule instance id, eligible=True."""
    made = assign(role, scope, principal, kind)
    instance = made.id.replace("/roleAssignments/", "/roleEligibilityScheduleInstances/")
    return replace(made, id=instance, eligible=True)


def test_eligible_instances_are_read_at_above_and_below_the_subscription(
    served: tuple[ArmSimulator, AzureClients],
) -> None:
    """ "Use Azure PIM to manage eligible access with the REST API": "To list eligible role assignments (list
    access), you can use one of the Role Eligibility Schedule Instances - List For Scope …";
    "$filter=atScope() List role assignments for only the specified scope, not including the role
    assignments at subscopes", so the read sends no filter and gets the store's eligibility (below) and the
    management group's (above)."""
    sim, clients = served
    read = _read(clients).inventory
    by_name = {a.id.rsplit("/", 1)[-1]: a for a in read.eligible_assignments}
    assert set(by_name) == {"e1", "e2"}
    assert all(a.eligible and a.principal_id == ERIN for a in by_name.values())
    assert by_name["e1"].scope == PDSTORE
    assert not any(a.eligible for a in read.role_assignments)
    assert DEPT_MG in read.management_groups[SUB_A]
    assert any(
        "roleEligibilityScheduleInstances" in r.path and "$filter" not in r.query for r in sim.requests
    )
    sim.state.page_size = 1
    assert _read(clients).inventory == read  # every page (nextLink)


def test_listing_eligibility_needs_role_assignments_read(served: tuple[ArmSimulator, AzureClients]) -> None:
    """ "To call the API, you must have access to the Microsoft.Authorization/roleAssignments/read operation
    at the specified scope" (Use Azure PIM to manage eligible access with the REST API): the read role needs
    no further action, and without that one ARM answers 403."""
    sim, clients = served
    assert LISTED in read_actions()
    sim.state.allowed_actions = frozenset(a for a in read_actions() if a != LISTED)
    pager = clients.pim(SUB_A).role_eligibility_schedule_instances.list_for_scope(f"/subscriptions/{SUB_A}")
    with pytest.raises(HttpResponseError) as refused:
        list(pager)
    assert refused.value.status_code == 403


def test_an_eligible_assignment_gives_the_levels_of_its_role_with_an_eligible_path() -> None:
    """PIM: an eligible principal "can activate the role" when needed, so the access is there to review; the
    grant names the eligibility (role and scope) as its grantor."""
    held = grants(inventory(storage(False), eligible(BLOB_CONTRIBUTOR, ACCOUNT)))
    assert {lvl for (who, _, lvl) in held if who == ANA} == {"read", "write"}
    grant = held[(ANA, ACCOUNT, "write")]
    assert grant.grantor.kind is GrantorKind.ELIGIBLE_ASSIGNMENT
    assert grant.path[-1].kind == "eligible_assignment"
    assert grant.path[-1].name == "Storage Blob Data Contributor on the store (PIM-eligible)"


def test_an_active_path_is_reported_before_an_eligible_one() -> None:
    """A grant held both actively and through an eligibility is reported by its active path: the active one
    is in force now; the eligible one still shows where only it grants (write here)."""
    active = assign(BLOB_READER, RG)
    held = grants(inventory(storage(False), eligible(BLOB_CONTRIBUTOR, ACCOUNT), active))
    assert held[(ANA, ACCOUNT, "read")].grantor.id == active.id
    assert held[(ANA, ACCOUNT, "write")].grantor.kind is GrantorKind.ELIGIBLE_ASSIGNMENT


def test_a_group_eligible_assignment_reaches_the_members() -> None:
    """An eligibility to a group reaches its members transitively (HR ∋ Staff ∋ Bob), as a role assignment
    does; the path shows the groups, then the eligibility."""
    held = grants(inventory(storage(False), eligible(BLOB_READER, RG, HR, PrincipalType.GROUP)))
    grant = held[(BOB, ACCOUNT, "read")]
    assert [s.kind for s in grant.path] == ["group", "group", "eligible_assignment"]
    assert (ANA, ACCOUNT, "read") in held


def test_revocation_of_an_eligible_grant_is_refused_with_the_pim_fix() -> None:
    """Issue 19 §4: "through a PIM-eligible assignment → left to a person with the reason". The fix: remove it
    in PIM, or a schedule request with "adminRemove: For administrators to remove eligible roles from
    principals" (Microsoft Learn, PIM schedule requests), requestType AdminRemove in ARM."""
    inv = inventory(storage(False), eligible(BLOB_READER, RG, HR, PrincipalType.GROUP))
    for who in (ANA, BOB):
        found = grants(inv)[(who, ACCOUNT, "read")]
        grant = Grant(ACCOUNT, who, AccessLevel.READ, found.path)
        with pytest.raises(RevocationRefused, match="PIM-eligible") as refused:
            choose(grant)
        assert "AdminRemove" in str(refused.value)
        assert "roleEligibilityScheduleRequests" in str(refused.value)
        assert f"{RG}/providers/Microsoft.Authorization/roleEligibilityScheduleRequests" in str(refused.value)


def test_the_connector_leaves_an_eligible_grant_to_a_person(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 19 §4 through the connector, read from the simulators: Erin's eligibility on the store is read,
    reviewed, and planning refuses it with the PIM fix, writing nothing."""
    for estate in open_estate(monkeypatch):
        estate.arm.state.add_eligible_assignment(
            STORE, builtin_role_id("Storage Blob Data Reader"), estate.ids["erin"]
        )
        grant = estate.grant("erin")
        assert grant.path[-1].kind == "eligible_assignment"
        with pytest.raises(RevocationRefused, match="PIM-eligible") as refused:
            estate.connector.plan_revocation(grant)
        assert "AdminRemove" in str(refused.value)
        assert estate.arm.request_count(method="DELETE") + estate.arm.request_count(method="PUT") == 0
