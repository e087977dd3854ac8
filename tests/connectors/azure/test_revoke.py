"""Azure revocation against the ARM and Graph simulators, with the real azure-mgmt-authorization SDK and the
Entra Graph client: plan (one read), revoke, verify by reading back, undo, and the refusals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.azure.revoke import CREATE_ASSIGNMENT, DELETE_ASSIGNMENT
from connectors.azure.revoke_choice import DeleteAssignment, choose
from reviews.entitlements import AccessLevel, Grant, PathStep, RevocationResult
from reviews.errors import NotFound, RevocationRefused
from tests.connectors.azure.revoke_estate import CONDITION, KEYED, RG, STORE, Estate, open_estate


@pytest.fixture
def estate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Estate]:
    yield from open_estate(monkeypatch)


def test_a_direct_assignment_is_deleted_read_back_and_recreated_with_its_condition(estate: Estate) -> None:
    """ "To remove access from an Azure resource, you remove a role assignment" (Remove Azure role
    assignments); the inverse creates it again with the same role, scope, principal and condition."""
    connector = estate.connector
    change = connector.plan_revocation(estate.grant("ana"))
    action, inverse = change.action, change.inverse
    assert inverse is not None and change.approval is None
    assert (action.kind, inverse.kind) == (DELETE_ASSIGNMENT, CREATE_ASSIGNMENT)
    assert action.param("scope").lower() == STORE.lower() and action.param("condition") == CONDITION
    assert action.param("principal_type") == "User" and action.param("condition_version") == "2.0"
    (before,) = estate.assignments_of("ana")

    assert connector.revoke(action, dry_run=True) is RevocationResult.DRY_RUN
    assert len(estate.assignments_of("ana")) == 1 and not connector.verify(action)
    assert connector.revoke(action, dry_run=False) is RevocationResult.APPLIED
    assert estate.assignments_of("ana") == [] and connector.verify(action)

    assert connector.revoke(inverse, dry_run=False) is RevocationResult.APPLIED
    (after,) = estate.assignments_of("ana")
    assert connector.verify(inverse) and not connector.verify(action)
    same = ("scope", "roleDefinitionId", "principalType", "condition", "conditionVersion")
    assert {k: after[k] for k in same} == {k: before[k] for k in same}
    assert connector.revoke(inverse, dry_run=False) is RevocationResult.ALREADY_ABSENT  # already back

    # Revoking again after the undo finds the assignment under its new name.
    assert connector.revoke(action, dry_run=False) is RevocationResult.APPLIED
    assert estate.assignments_of("ana") == []


def test_a_second_revoke_is_already_done(estate: Estate) -> None:
    """ "Role Assignments - Delete": "204 No Content: Role assignment was already deleted or does not
    exist" is done, and so is finding none before deleting."""
    action = estate.connector.plan_revocation(estate.grant("ana")).action
    assert estate.connector.revoke(action, dry_run=False) is RevocationResult.APPLIED
    deletes = estate.arm.request_count(method="DELETE")
    assert estate.connector.revoke(action, dry_run=False) is RevocationResult.ALREADY_ABSENT
    assert estate.arm.request_count(method="DELETE") == deletes  # read, found nothing, wrote nothing


def test_an_assignment_gone_before_planning_is_not_found(estate: Estate) -> None:
    grant = estate.grant("ana")
    estate.arm.state.role_assignments.clear()
    with pytest.raises(NotFound, match="no longer exists"):
        estate.connector.plan_revocation(grant)


def test_an_assignment_at_the_resource_group_waits_for_an_admin(estate: Estate) -> None:
    change = estate.connector.plan_revocation(estate.grant("carl"))
    assert change.action.kind == DELETE_ASSIGNMENT and change.action.param("scope").lower() == RG.lower()
    assert change.approval is not None and "serves every resource in it" in change.approval


def test_an_assignment_inherited_from_the_subscription_is_left_to_a_person(estate: Estate) -> None:
    """planning.py: at a subscription "it serves every resource below it"; deleting it is a person's call."""
    writes = estate.arm.request_count(method="DELETE") + estate.arm.request_count(method="PUT")
    with pytest.raises(RevocationRefused) as refused:
        estate.connector.plan_revocation(estate.grant("dan"))
    message = str(refused.value)
    assert "inherited from /subscriptions/" in message and "az role assignment delete --ids" in message
    assert estate.arm.request_count(method="DELETE") + estate.arm.request_count(method="PUT") == writes


def test_access_through_account_keys_is_left_to_a_person(estate: Estate) -> None:
    """Contributor lists the keys of an account that allows shared keys: taking the role away does not take
    back keys already listed."""
    with pytest.raises(RevocationRefused, match="account keys"):
        estate.connector.plan_revocation(estate.grant("erin", KEYED))


def test_through_a_group_the_direct_membership_is_removed_through_graph(estate: Estate) -> None:
    """As the Entra connector does: DELETE /groups/{id}/members/{member}/$ref, undone by adding it back."""
    connector, hr, bob = estate.connector, estate.ids["hr"], estate.ids["bob"]
    change = connector.plan_revocation(estate.grant("bob"))
    assert change.action.kind == "remove_group_member" and change.action.system.value == "azure"
    assert dict(change.action.params) == {"group_id": hr, "member_id": bob}
    assert connector.revoke(change.action, dry_run=False) is RevocationResult.APPLIED
    assert bob not in estate.tenant.members[hr] and connector.verify(change.action)
    assert connector.revoke(change.action, dry_run=False) is RevocationResult.ALREADY_ABSENT
    assert change.inverse is not None
    assert connector.revoke(change.inverse, dry_run=False) is RevocationResult.APPLIED
    assert bob in estate.tenant.members[hr] and connector.verify(change.inverse)


def test_a_dynamic_group_is_left_to_a_person(estate: Estate) -> None:
    estate.tenant.groups[estate.ids["hr"]]["groupTypes"] = ["DynamicMembership"]
    with pytest.raises(RevocationRefused, match="HR readers cannot be changed here"):
        estate.connector.plan_revocation(estate.grant("bob"))


def test_an_assignment_below_the_store_counts_as_the_store() -> None:
    """Issue 19: an assignment below the store (a blob container) counts as the store; deleting it ends
    this grant only, so it is planned like one at the store."""
    container = f"{STORE}/blobServices/default/containers/cases"
    assignment = (
        f"{container}/providers/Microsoft.Authorization/roleAssignments/{'0' * 8}-0000-4000-8000-{'1' * 12}"
    )
    step = PathStep("role_assignment", assignment, "Reader on cases")
    grant = Grant(STORE, "ana-id", AccessLevel.READ, (step,))
    assert choose(grant) == DeleteAssignment(assignment, container, group_scope=False)
