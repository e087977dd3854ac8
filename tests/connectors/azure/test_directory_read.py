"""The Entra objects an Azure read names, read through the real Graph client from the Graph simulator:
types, names, nested groups (loop-safe), deleted principals, and the evaluator's Directory built from them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from connectors.azure.directory_read import named_objects, read_directory
from connectors.azure.evaluate import effective_access
from connectors.azure.model import AccessPolicy, Directory, PrincipalType
from connectors.azure.reading import ArmRead, read_all
from reviews.errors import SourceUnavailable
from simulators.graph import GraphSimulator, Tenant
from tests.connectors.azure.evaluate_world import ACCOUNT, BLOB_READER, RG, assign, inventory, storage, vault
from tests.connectors.azure.test_connector import NOW
from tests.connectors.entra.graphing import client


@pytest.fixture
def world() -> Iterator[tuple[GraphSimulator, dict[str, str]]]:
    tenant = Tenant(seed=19)
    ids = {
        "ana": tenant.add_user("Ana Silva", "ana@dept.example.gov", mail="ana@dept.example.gov"),
        "bob": tenant.add_user("Bob Jones", "bob@dept.example.gov", guest=True),
        "app": tenant.add_service_principal("payroll-batch"),
        "hr": tenant.add_group("HR"),
        "staff": tenant.add_group("Staff"),
        "gone": tenant.add_user("Gone", "gone@dept.example.gov"),
    }
    tenant.add_member(ids["hr"], ids["staff"])
    tenant.add_member(ids["staff"], ids["hr"])  # a loop
    tenant.add_member(ids["staff"], ids["bob"])
    tenant.add_member(ids["hr"], ids["app"])
    tenant.delete_user(ids["gone"], permanent=True)
    with GraphSimulator(tenant, token="test-token", page_size=2) as sim:
        yield sim, ids


def test_groups_are_read_with_their_members_transitively_and_a_loop_once(
    world: tuple[GraphSimulator, dict[str, str]],
) -> None:
    """What is Azure RBAC?: "Role assignments are transitive for groups"; every group under a named group is
    read, each once, however the nesting loops."""
    sim, ids = world
    with client(sim) as graph:
        found = read_directory(graph, [ids["hr"], ids["ana"]])
    groups = found.directory.groups
    assert set(groups) == {ids["hr"], ids["staff"]}
    assert set(groups[ids["hr"]].member_ids) == {ids["staff"], ids["app"]}
    assert set(groups[ids["staff"]].member_ids) == {ids["hr"], ids["bob"]}
    assert found.directory.principal_types == {
        ids["ana"]: PrincipalType.USER,
        ids["bob"]: PrincipalType.USER,
        ids["app"]: PrincipalType.SERVICE_PRINCIPAL,
    }
    items = [item.path for r in sim.requests for item in r.batch] + [r.path for r in sim.requests]
    assert sum(path.endswith(f"/groups/{ids['staff']}/members") for path in items) == 1
    bob, ana = found.objects[ids["bob"]], found.objects[ids["ana"]]
    assert (bob.name, bob.guest, ana.mail, ana.guest, ana.enabled) == (
        "Bob Jones",
        True,
        "ana@dept.example.gov",
        False,
        True,
    )


def test_a_deleted_principal_is_reported_not_failed(world: tuple[GraphSimulator, dict[str, str]]) -> None:
    """An assignment to a deleted principal (the portal's "Identity not found") reaches no one."""
    sim, ids = world
    with client(sim) as graph:
        found = read_directory(graph, [ids["gone"], ids["ana"]])
    assert found.deleted == frozenset({ids["gone"]})
    assert set(found.objects) == {ids["ana"]}


def test_read_all_drops_what_names_deleted_principals_and_evaluates_the_rest(
    world: tuple[GraphSimulator, dict[str, str]],
) -> None:
    sim, ids = world
    inv = replace(
        inventory(
            (storage(False), vault(False, AccessPolicy(ids["gone"], secrets=("get",)))),
            assign(BLOB_READER, RG, ids["hr"], PrincipalType.GROUP),
            assign(BLOB_READER, ACCOUNT, ids["gone"]),
        ),
        directory=Directory(),
    )
    assert ids["gone"] in named_objects(inv)
    with client(sim) as graph:
        read = read_all(lambda: ArmRead(inv, {}), graph, now=NOW)
    assert len(read.inventory.role_assignments) == 1
    assert "2 assignment(s) or policies name 1 deleted principal(s)" in read.notes[0]
    held = {(g.principal_id, str(g.level)) for g in effective_access(read.inventory)}
    assert held == {(ids["bob"], "read"), (ids["app"], "read")}


def test_a_members_page_lost_once_is_read_again_and_twice_fails_the_read(
    world: tuple[GraphSimulator, dict[str, str]],
) -> None:
    """A lost page must never read as people without access (architecture: Complete reads)."""
    sim, ids = world
    for n in range(5):
        sim.tenant.add_member(ids["staff"], sim.tenant.add_user(f"Clerk {n}", f"clerk{n}@dept.example.gov"))
    with client(sim) as graph:
        whole = read_directory(graph, [ids["staff"]]).directory.groups[ids["staff"]].member_ids
        sim.faults.drop_next_link_next(f"/groups/{ids['staff']}/members")
        again = read_directory(graph, [ids["staff"]]).directory.groups[ids["staff"]].member_ids
        assert sorted(again) == sorted(whole) and len(whole) == 7
        sim.faults.drop_next_link_next(f"/groups/{ids['staff']}/members", times=10)
        with pytest.raises(SourceUnavailable, match="members: read"):
            read_directory(graph, [ids["staff"]])
