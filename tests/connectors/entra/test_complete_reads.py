"""Complete reads (issue 15, item 3): a list whose page is lost must fail the sync, never shrink the people
with access. Graph counts a collection when asked (`$count=true`), an advanced query: "the requestor must
set the ConsistencyLevel header to eventual and, except for $search, use the $count query parameter"
(Graph, Advanced query capabilities on Microsoft Entra ID objects)."""

from __future__ import annotations

import httpx
import pytest

from connectors.entra.connector import EntraConnector
from connectors.entra.revoke import REMOVE_MEMBER
from reviews.clock import FrozenClock
from reviews.entitlements import RevocationAction, System
from reviews.errors import SourceUnavailable
from simulators.graph import GraphSimulator
from tests.connectors.entra.conftest import SECRETS, TOKEN, Department, MemoryState, settings_for
from tests.helpers import T0

ROLE = "11111111-1111-1111-1111-111111111111"
ASSIGNED = 121  # the hostile tester's app: 121 grants, a page of them lost


@pytest.fixture
def crowded(department: Department) -> Department:
    """Casework assigned directly to 121 staff: three pages of appRoleAssignedTo at 50 a page."""
    t, ids = department.tenant, department.ids
    staff = sorted(u for u in t.users if u not in ids.values())[:ASSIGNED]
    for user in staff:
        t.assign_app_role(ids["app"], user, ROLE)
    return department


def _connector(sim: GraphSimulator) -> EntraConnector:
    return EntraConnector(
        settings_for(sim), SECRETS, clock=FrozenClock(T0), state=MemoryState(), sleep=lambda _s: None
    )


def _casework_grants(sim: GraphSimulator, app_id: str) -> int:
    snapshot = _connector(sim).snapshot()
    return sum(1 for g in snapshot.grants if g.store_provider_id == app_id and g.path[-1].kind == "app_role")


def test_graph_counts_a_collection_only_under_consistency_level_eventual(
    simulator: GraphSimulator, crowded: Department
) -> None:
    url = f"{simulator.url}/servicePrincipals/{crowded.ids['app']}/appRoleAssignedTo?$count=true"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    refused = httpx.get(url, headers=auth)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "Request_BadRequest"
    page = httpx.get(url, headers={**auth, "ConsistencyLevel": "eventual"}).json()
    assert page["@odata.count"] == ASSIGNED + 2  # and the two group / etl assignments of the department
    assert len(page["value"]) == 50 and "@odata.nextLink" in page


def test_a_page_lost_once_is_read_again_and_the_snapshot_is_whole(
    simulator: GraphSimulator, crowded: Department
) -> None:
    app = crowded.ids["app"]
    calm = _casework_grants(simulator, app)
    assert calm >= ASSIGNED
    simulator.faults.drop_next_link_next(f"/servicePrincipals/{app}/appRoleAssignedTo")
    assert _casework_grants(simulator, app) == calm
    asked = [r for r in simulator.requests if r.path.endswith("/appRoleAssignedTo")]
    assert asked and all(r.query.get("$count") == "true" for r in asked)
    assert all(r.consistency_level == "eventual" for r in asked)


def test_a_page_lost_for_good_fails_the_sync_naming_the_list(
    simulator: GraphSimulator, crowded: Department
) -> None:
    app = crowded.ids["app"]
    simulator.faults.drop_next_link_next(f"/servicePrincipals/{app}/appRoleAssignedTo", times=10)
    with pytest.raises(SourceUnavailable, match=rf"/servicePrincipals/{app}/appRoleAssignedTo: read \d+ of"):
        _connector(simulator).snapshot()


def test_a_lost_page_never_makes_a_revocation_look_done(
    simulator: GraphSimulator, department: Department
) -> None:
    """The verify read of a removal asks whether the member is still in the group: a page lost there would
    answer "gone" while the membership stays (issue 15: "verify means the access is gone")."""
    t, ids = department.tenant, department.ids
    staff = sorted(u for u in t.users if u not in ids.values())[:120]
    for user in staff:
        t.add_member(ids["payroll"], user)
    last = max([*staff, ids["ben"]])  # on the last page of the members list, whatever the ids
    action = RevocationAction(
        System.ENTRA, REMOVE_MEMBER, (("group_id", ids["payroll"]), ("member_id", last)), "remove"
    )
    connector = _connector(simulator)
    assert connector.verify(action) is False  # still a member
    simulator.faults.drop_next_link_next(f"/groups/{ids['payroll']}/members")
    assert connector.verify(action) is False  # a page lost once: read again, still a member
    simulator.faults.drop_next_link_next(f"/groups/{ids['payroll']}/members", times=10)
    with pytest.raises(SourceUnavailable, match=rf"/groups/{ids['payroll']}/members: read \d+ of"):
        connector.verify(action)
