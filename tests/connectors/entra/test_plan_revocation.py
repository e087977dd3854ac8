"""EntraConnector.plan_revocation against the Graph simulator, with grants from a real snapshot: the planned
change is dry-run (no write request), applied (the simulator's state shows it), and undone by its inverse.
Refusals name what a person must change, and send no write (most send no request at all)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from connectors.entra.connector import EntraConnector
from reviews.clock import FrozenClock
from reviews.entitlements import AccessLevel, Grant, PathStep, RevocationResult
from reviews.errors import NotFound, RevocationRefused
from simulators.graph import GraphSimulator
from tests.connectors.entra.conftest import SECRETS, Department, settings_for
from tests.helpers import T0

ROLE = "11111111-1111-1111-1111-111111111111"
WRITES = ("POST", "PUT", "PATCH", "DELETE")
Grants = dict[tuple[str, str, str], Grant]  # by (store name, principal name, access)


@pytest.fixture
def connector(simulator: GraphSimulator) -> EntraConnector:
    return EntraConnector(settings_for(simulator), SECRETS, clock=FrozenClock(T0), sleep=lambda _s: None)


@pytest.fixture
def grants(connector: EntraConnector, department: Department) -> Grants:
    """The snapshot's grants, by names from the department."""
    names = {object_id: name for name, object_id in department.ids.items()}
    return {
        (names[g.store_provider_id], names[g.principal_provider_id], str(g.access)): g
        for g in connector.snapshot().grants
        if g.principal_provider_id in names
    }


def _since(sim: GraphSimulator, start: int) -> list[str]:
    return [f"{r.method} {r.path}" for r in sim.requests[start:]]


def _writes_since(sim: GraphSimulator, start: int) -> list[str]:
    return [f"{r.method} {r.path}" for r in sim.requests[start:] if r.method in WRITES]


# --- planned changes -----------------------------------------------------------------------------------


def test_a_direct_member_is_removed_and_the_inverse_adds_them_back(
    connector: EntraConnector, simulator: GraphSimulator, department: Department, grants: Grants
) -> None:
    t, ids = department.tenant, department.ids
    start = len(simulator.requests)
    planned = connector.plan_revocation(grants[("payroll", "ben", "read")])
    assert _writes_since(simulator, start) == []  # one GET of the group, nothing else
    assert _since(simulator, start) == [f"GET /v1.0/groups/{ids['payroll']}"]
    assert planned.action.kind == "remove_group_member"
    assert dict(planned.action.params) == {"group_id": ids["payroll"], "member_id": ids["ben"]}

    start = len(simulator.requests)
    assert connector.revoke(planned.action, dry_run=True) is RevocationResult.DRY_RUN
    assert _writes_since(simulator, start) == [] and ids["ben"] in t.direct_members(ids["payroll"])

    assert connector.revoke(planned.action, dry_run=False) is RevocationResult.APPLIED
    assert ids["ben"] not in t.direct_members(ids["payroll"])
    assert ids["ben"] in t.direct_members(ids["finance"])  # only the membership under review
    assert connector.verify(planned.action) is True
    assert planned.inverse is not None
    assert connector.revoke(planned.inverse, dry_run=False) is RevocationResult.APPLIED
    assert ids["ben"] in t.direct_members(ids["payroll"])


def test_a_direct_app_role_assignment_is_removed_and_restored(
    connector: EntraConnector, simulator: GraphSimulator, department: Department, grants: Grants
) -> None:
    t, ids = department.tenant, department.ids

    def etl_roles() -> list[str]:
        return [a["appRoleId"] for a in t.assignments(ids["app"]) if a["principalId"] == ids["etl"]]

    start = len(simulator.requests)
    planned = connector.plan_revocation(grants[("app", "etl", "read")])
    assert _writes_since(simulator, start) == []
    assert planned.action.kind == "remove_app_role_assignment"
    [assignment] = [a for a in t.assignments(ids["app"]) if a["principalId"] == ids["etl"]]
    assert planned.action.param("assignment_id") == assignment["id"]

    start = len(simulator.requests)
    assert connector.revoke(planned.action, dry_run=True) is RevocationResult.DRY_RUN
    assert _writes_since(simulator, start) == [] and etl_roles() == [ROLE]
    assert connector.revoke(planned.action, dry_run=False) is RevocationResult.APPLIED
    assert etl_roles() == []
    assert [a["principalId"] for a in t.assignments(ids["app"])] == [ids["casework-readers"]]  # the rest stay
    assert planned.inverse is not None
    assert connector.revoke(planned.inverse, dry_run=False) is RevocationResult.APPLIED
    assert etl_roles() == [ROLE]


def test_access_already_gone_is_not_found(
    connector: EntraConnector, department: Department, grants: Grants
) -> None:
    t, ids = department.tenant, department.ids
    [assignment] = [a for a in t.assignments(ids["app"]) if a["principalId"] == ids["etl"]]
    t.unassign_app_role(ids["app"], assignment["id"])
    with pytest.raises(NotFound, match="no longer holds app role"):
        connector.plan_revocation(grants[("app", "etl", "read")])
    t.delete_group(ids["payroll"])
    with pytest.raises(NotFound, match="no longer exists"):
        connector.plan_revocation(grants[("payroll", "ben", "read")])


# --- refusals ----------------------------------------------------------------------------------------------


def test_nested_membership_is_refused_naming_the_group_without_a_request(
    connector: EntraConnector, simulator: GraphSimulator, grants: Grants
) -> None:
    start = len(simulator.requests)
    with pytest.raises(RevocationRefused, match="through nested group clerks: remove it from clerks"):
        connector.plan_revocation(grants[("payroll", "ana", "read")])
    assert _since(simulator, start) == []


def test_a_dynamic_group_is_refused_after_one_read_and_no_write(
    connector: EntraConnector, simulator: GraphSimulator, department: Department, grants: Grants
) -> None:
    start = len(simulator.requests)
    with pytest.raises(RevocationRefused, match="dynamic-payroll cannot be changed here: dynamic membership"):
        connector.plan_revocation(grants[("dynamic", "cat", "read")])
    assert _since(simulator, start) == [f"GET /v1.0/groups/{department.ids['dynamic']}"]
    assert department.ids["cat"] in department.tenant.direct_members(department.ids["dynamic"])


def test_an_on_premises_group_is_refused(
    connector: EntraConnector, simulator: GraphSimulator, department: Department
) -> None:
    t, ids = department.tenant, department.ids
    synced = t.add_group("hr-synced", on_premises=True)
    t.add_member(synced, ids["ana"])
    grant = Grant(synced, ids["ana"], AccessLevel.READ, (PathStep("group", synced, "hr-synced"),))
    start = len(simulator.requests)
    with pytest.raises(RevocationRefused, match="synchronized from on-premises Active Directory"):
        connector.plan_revocation(grant)
    assert _writes_since(simulator, start) == [] and ids["ana"] in t.direct_members(synced)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("mail-enabled security", "read-only through Microsoft Graph"),
        ("distribution", "read-only through Microsoft Graph"),
        ("role-assignable", "RoleManagement.ReadWrite.Directory"),
    ],
)
def test_groups_graph_will_not_change_are_left_to_a_person(
    simulator: GraphSimulator, department: Department, kind: str, reason: str
) -> None:
    """ "Working with groups in Microsoft Graph": "Mail-enabled and distribution groups are read-only through
    Microsoft Graph"; Add members: "To add members to a role-assignable group, the app must also be assigned
    the RoleManagement.ReadWrite.Directory permission". Recognised at sync (the store carries the reason)
    and refused at planning after one read, so no revocation is queued to fail at apply time."""
    t, ids = department.tenant, department.ids
    made = {
        "mail-enabled security": lambda: t.add_group("hr-mail", mail_enabled=True),
        "distribution": lambda: t.add_distribution_list("hr-mail"),
        "role-assignable": lambda: t.add_group("hr-mail", role_assignable=True),
    }
    group = made[kind]()
    t.add_member(group, ids["ana"])
    connector = EntraConnector(
        settings_for(simulator, personal_data_groups=["hr-mail"]), SECRETS, clock=FrozenClock(T0)
    )
    snapshot = connector.snapshot()
    [store] = [s for s in snapshot.stores if s.provider_id == group]
    assert reason in dict(store.tags)["recertify:unchangeable"]
    [grant] = [
        g for g in snapshot.grants if g.store_provider_id == group and g.principal_provider_id == ids["ana"]
    ]
    start = len(simulator.requests)
    with pytest.raises(RevocationRefused, match=f"hr-mail cannot be changed here: .*{reason}"):
        connector.plan_revocation(grant)
    assert _since(simulator, start) == [f"GET /v1.0/groups/{group}"]
    assert ids["ana"] in t.direct_members(group)


def test_an_app_role_through_a_group_is_refused_naming_the_group(
    connector: EntraConnector, simulator: GraphSimulator, grants: Grants
) -> None:
    grant = grants[("app", "cat", "read")]
    assert [s.kind for s in grant.path] == ["group", "app_role"]
    start = len(simulator.requests)
    with pytest.raises(RevocationRefused, match="as a member of group casework-readers"):
        connector.plan_revocation(grant)
    assert _since(simulator, start) == []


@pytest.mark.parametrize("store", ["payroll", "app"])
def test_an_owner_is_never_removed_automatically(
    connector: EntraConnector, simulator: GraphSimulator, grants: Grants, store: str
) -> None:
    start = len(simulator.requests)
    with pytest.raises(RevocationRefused, match="removing an owner is a decision for a person"):
        connector.plan_revocation(grants[(store, "olu", "admin")])
    assert _since(simulator, start) == []


def test_a_grant_marked_for_human_review_is_refused(connector: EntraConnector, grants: Grants) -> None:
    with pytest.raises(RevocationRefused, match="needs a person's review"):
        connector.plan_revocation(replace(grants[("payroll", "ben", "read")], needs_human_review=True))


def test_a_planned_change_reads_in_names_with_the_ids_that_identify_it(
    connector: EntraConnector, department: Department, grants: Grants
) -> None:
    """Issue 16: "Entra revocations show raw object ids … instead of names". Recertify passes the names it
    holds with the grant; the description names each object and keeps its id."""
    ids = department.ids
    member = replace(grants[("payroll", "ben", "read")], principal_name="Ben", store_name="payroll")
    planned = connector.plan_revocation(member)
    assert planned.action.description == f"remove Ben ({ids['ben']}) from group payroll"
    assert planned.inverse is not None and planned.inverse.description.startswith(f"add Ben ({ids['ben']})")
    app = replace(grants[("app", "etl", "read")], principal_name="etl-job", store_name="Casework")
    assigned = connector.plan_revocation(app).action.description
    role = f"Casework: Case.Read ({ROLE})"
    assert assigned == f"remove app role {role} of etl-job ({ids['etl']}) on Casework ({ids['app']})"
    unnamed = connector.plan_revocation(grants[("payroll", "ben", "read")])  # a caller without names
    assert unnamed.action.description == f"remove {ids['ben']} from group payroll"
