"""Who an assignment reaches and how the path reads: groups (transitive, loop-safe), principal types, the
grantor revocation will need, and the reads that must fail rather than report less."""

from __future__ import annotations

import pytest

from connectors.azure.evaluate import effective_access
from connectors.azure.grants import GrantorKind
from connectors.azure.model import PrincipalType
from connectors.azure.scopes import Relation
from reviews.errors import IncompleteSnapshot
from tests.connectors.azure.evaluate_world import (
    ACCOUNT,
    ANA,
    APP,
    BLOB_READER,
    BOB,
    DEPT_MG,
    HR,
    RG,
    STAFF,
    assign,
    grants,
    inventory,
    levels,
    role,
    storage,
)

LOOP = {HR: (ANA, STAFF), STAFF: (BOB, HR)}


def test_group_assignments_reach_members_transitively_with_the_groups_in_the_path() -> None:
    """What is Azure RBAC?, Groups: "Role assignments are transitive for groups which means that if a user is
    a member of a group and that group is a member of another group that has a role assignment, the user will
    have the permissions in the role assignment." Bob is in Staff, Staff in HR, HR holds the role."""
    found = grants(inventory(storage(False), assign(BLOB_READER, RG, HR, PrincipalType.GROUP)))
    bob = found[(BOB, ACCOUNT, "read")]
    assert [(step.kind, step.name) for step in bob.path] == [
        ("group", "Staff"),
        ("group", "HR"),
        ("role_assignment", "Storage Blob Data Reader at resource group hr"),
    ]
    assert bob.grantor.groups == (STAFF, HR) and not bob.grantor.direct
    assert bob.principal_type is PrincipalType.USER
    assert HR not in {principal for principal, _, _ in found}  # groups are in paths, never principals


def test_a_membership_loop_is_walked_once() -> None:
    """What is Azure RBAC?, Groups: membership is transitive; a directory where HR contains Staff and Staff
    contains HR still gives each member one shortest path, and the walk ends."""
    found = grants(
        inventory(storage(False), assign(BLOB_READER, RG, STAFF, PrincipalType.GROUP), groups=LOOP)
    )
    assert [step.name for step in found[(BOB, ACCOUNT, "read")].path][:-1] == ["Staff"]
    assert [step.name for step in found[(ANA, ACCOUNT, "read")].path][:-1] == ["HR", "Staff"]


def test_the_shortest_path_wins_and_direct_beats_a_group() -> None:
    """What is Azure RBAC?, Multiple role assignments: "your effective permissions are the sum of your role
    assignments" — one record per level, by its shortest path, naming the assignment to revoke."""
    direct = assign(BLOB_READER, ACCOUNT, BOB)
    found = grants(inventory(storage(False), assign(BLOB_READER, RG, HR, PrincipalType.GROUP), direct))
    bob = found[(BOB, ACCOUNT, "read")]
    assert bob.grantor.id == direct.id and bob.grantor.direct and bob.grantor.relation is Relation.STORE
    assert bob.grantor.kind is GrantorKind.ROLE_ASSIGNMENT


def test_service_principals_and_foreign_groups_are_principals_of_their_own_type() -> None:
    """Role Assignments REST API, principalType: "User, Group, ServicePrincipal, ForeignGroup, Device". A
    foreign group belongs to another tenant: its members cannot be listed here, so it is its own holder."""
    foreign = "f0000000-0000-0000-0000-00000000000f"
    inv = inventory(
        storage(False),
        assign(BLOB_READER, ACCOUNT, APP, PrincipalType.SERVICE_PRINCIPAL),
        assign(BLOB_READER, ACCOUNT, foreign, PrincipalType.FOREIGN_GROUP),
    )
    found = grants(inv)
    assert found[(APP, ACCOUNT, "read")].principal_type is PrincipalType.SERVICE_PRINCIPAL
    assert found[(foreign, ACCOUNT, "read")].principal_type is PrincipalType.FOREIGN_GROUP


def test_output_is_stable_and_one_record_per_store_principal_and_level() -> None:
    inv = inventory(
        storage(None), assign(BLOB_READER, RG, HR, PrincipalType.GROUP), assign(BLOB_READER, ACCOUNT)
    )
    first, second = effective_access(inv), effective_access(inv)
    assert first == second
    keys = [(g.store_id, g.principal_id, g.level) for g in first]
    assert len(keys) == len(set(keys))
    assert levels(inv, ANA) == {"read"}


def test_a_group_the_mirror_does_not_have_fails_the_read() -> None:
    """Complete or nothing (docs/architecture.md): a grant to a group whose members are unknown would hide
    its readers."""
    unknown = "6a000000-0000-0000-0000-000000000099"
    with pytest.raises(IncompleteSnapshot, match=unknown):
        effective_access(inventory(storage(False), assign(BLOB_READER, RG, unknown, PrincipalType.GROUP)))


def test_a_member_of_unknown_type_fails_the_read() -> None:
    stranger = "5a000000-0000-0000-0000-000000000042"
    with pytest.raises(IncompleteSnapshot, match=stranger):
        effective_access(
            inventory(
                storage(False), assign(BLOB_READER, RG, HR, PrincipalType.GROUP), groups={HR: (stranger,)}
            )
        )


def test_a_role_definition_that_was_not_read_fails_the_read() -> None:
    missing = role("00000000-0000-0000-0000-00000000dead", "Gone")
    with pytest.raises(IncompleteSnapshot, match="not read"):
        effective_access(inventory(storage(False), assign(missing, RG)))


def test_management_group_assignments_need_each_subscriptions_chain() -> None:
    """What is Azure RBAC?, Scope: management groups sit above subscriptions; without a subscription's chain
    an assignment at a management group would silently miss its stores."""
    at_mg = assign(BLOB_READER, f"/providers/Microsoft.Management/managementGroups/{DEPT_MG}")
    inv = inventory(storage(False), at_mg)
    unchained = type(inv)(inv.stores, inv.role_definitions, inv.role_assignments, directory=inv.directory)
    with pytest.raises(IncompleteSnapshot, match="management-group chain"):
        effective_access(unchained)
    assert levels(inv) == {"read"}
