"""The Entra connector with the real GraphServiceClient against the Graph simulator."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.entra.client import DeltaExpired
from connectors.entra.connector import EntraConnector
from connectors.entra.delta import STATE_KEY
from connectors.entra.directory import Directory
from connectors.entra.transform import SIGN_IN_SOURCE
from reviews.clock import FrozenClock
from reviews.entitlements import LastUse, Snapshot
from reviews.errors import ConfigurationError, SourceUnavailable
from simulators.graph import GraphSimulator
from tests.connectors.entra.conftest import SECRETS, Department, MemoryState, settings_for
from tests.helpers import T0


def _connector(sim: GraphSimulator, state: MemoryState | None = None, **extra: object) -> EntraConnector:
    waited.clear()
    return EntraConnector(
        settings_for(sim, **extra), SECRETS, clock=FrozenClock(T0), state=state, sleep=waited.append
    )  # retries record their waits instead of sleeping


waited: list[float] = []


def _held(snapshot: Snapshot, ids: dict[str, str]) -> dict[tuple[str, str, str], list[str]]:
    names = {v: k for k, v in ids.items()}
    return {
        (
            names.get(g.store_provider_id, g.store_provider_id),
            names.get(g.principal_provider_id, g.principal_provider_id),
            str(g.access),
        ): [str(s) for s in g.path]
        for g in snapshot.grants
    }


def test_full_sync_reads_nesting_apps_owners_and_flags(
    simulator: GraphSimulator, department: Department
) -> None:
    snapshot = _connector(simulator).snapshot()
    held = _held(snapshot, department.ids)
    assert held[("payroll", "ana", "read")] == ["group:payroll", "group:finance", "group:clerks"]
    assert held[("payroll", "ben", "read")] == ["group:payroll"]
    assert ("payroll", "dee", "read") in held and ("payroll", "gus", "read") in held
    assert held[("payroll", "olu", "admin")] == ["owner:payroll"]
    assert held[("app", "cat", "read")] == ["group:casework-readers", "app_role:Casework: Case.Read"]
    assert held[("app", "etl", "read")] == ["app_role:Casework: Case.Read"]
    assert ("app", "boss", "read") not in held  # nested under the assigned group: not cascaded
    assert held[("dynamic", "cat", "read")] == ["group:dynamic-payroll"]
    stores = {s.name: dict(s.tags) for s in snapshot.stores}
    assert "recertify:unchangeable" in stores["dynamic-payroll"]
    principals = {p.provider_id: p for p in snapshot.principals}
    assert principals[department.ids["gus"]].guest is True
    assert principals[department.ids["dee"]].enabled is False
    assert any("quarantined" in n for n in snapshot.notes)
    people = {p.email: p for p in snapshot.people}
    assert people["ana@dept.example.gov"].manager_email == "boss@dept.example.gov"


def test_the_last_sign_in_counts_non_interactive_sign_ins_and_bounds_all_use(
    simulator: GraphSimulator, department: Department
) -> None:
    ids = department.ids
    department.tenant.update_user(
        ids["ana"], last_sign_in=T0 - timedelta(days=100), last_non_interactive_sign_in=T0 - timedelta(days=2)
    )
    department.tenant.update_user(ids["ben"], last_sign_in=T0 - timedelta(days=120))
    principals = {p.provider_id: p for p in _connector(simulator).snapshot().principals}
    ana, ben, dee = (principals[ids[name]].last_sign_in for name in ("ana", "ben", "dee"))
    assert ana is not None and ana.at == T0 - timedelta(days=2) and ana.covers_all_use is True
    assert ben is not None and ben.at == T0 - timedelta(days=120) and ben.covers_all_use is True
    assert dee is not None and dee.at is None and dee.covers_all_use is True  # read: never signed in
    assert principals[ids["etl"]].last_sign_in is None


def test_a_sign_in_read_earlier_bounds_use_only_up_to_that_read(
    simulator: GraphSimulator, department: Department
) -> None:
    """Sign-in activity is reread once a day: a sync five hours after the read reuses it, and a sign-in in
    between is not in it, so the bound it gives ends at the read (`window_end`), not at the snapshot."""
    ana = department.ids["ana"]
    department.tenant.update_user(ana, last_sign_in=T0 - timedelta(days=100))
    state = MemoryState()
    first = {p.provider_id: p.last_sign_in for p in _connector(simulator, state).snapshot().principals}
    assert first[ana] == LastUse(T0 - timedelta(days=100), SIGN_IN_SOURCE, window_end=T0, covers_all_use=True)
    department.tenant.update_user(ana, last_sign_in=T0 + timedelta(hours=3))
    later = EntraConnector(
        settings_for(simulator), SECRETS, clock=FrozenClock(T0 + timedelta(hours=5)), state=state
    ).snapshot()
    assert {p.provider_id: p.last_sign_in for p in later.principals}[ana] == first[ana]
    assert any("sign-in activity as read at" in note for note in later.notes)


def test_a_tenant_without_entra_id_p1_says_so_and_leaves_last_use_unknown(
    simulator: GraphSimulator, department: Department
) -> None:
    """user resource type, signInActivity: reading it requires "a Microsoft Entra ID P1 or P2 license"; the
    Entra reporting docs ("Common errors"): "Neither tenant is B2C or tenant doesn't have premium license:
    Accessing sign-in reports requires a Microsoft Entra ID P1 or P2 license". The note names the licence,
    not a permission, and last use is unknown (never "inactive")."""
    simulator.premium = False
    snapshot = _connector(simulator).snapshot()
    [note] = [n for n in snapshot.notes if "sign-in activity" in n]
    assert "the tenant has no Microsoft Entra ID P1 or P2 license" in note
    assert "Authentication_RequestFromNonPremiumTenantOrB2CTenant" in note
    assert "AuditLog.Read.All" not in note and "never 'inactive'" in note
    ana = {p.provider_id: p.last_sign_in for p in snapshot.principals}[department.ids["ana"]]
    assert ana is not None and ana.at is None and not ana.covers_all_use
    assert "no Microsoft Entra ID P1 or P2 license" in ana.source


def test_an_app_without_audit_log_read_all_is_told_that_permission(
    simulator: GraphSimulator, department: Department
) -> None:
    """user resource type, signInActivity: reading it needs the AuditLog.Read.All permission; Graph answers
    403 Authorization_RequestDenied "Insufficient privileges to complete the operation." without it."""
    simulator.permissions = frozenset(
        {
            "User.Read.All",
            "GroupMember.Read.All",
            "Application.Read.All",
            "PrivilegedEligibilitySchedule.Read.AzureADGroup",
        }
    )
    snapshot = _connector(simulator).snapshot()
    [note] = [n for n in snapshot.notes if "sign-in activity" in n]
    assert "Authorization_RequestDenied" in note
    assert "likely lacks the AuditLog.Read.All application permission" in note
    assert "license" not in note
    ana = {p.provider_id: p.last_sign_in for p in snapshot.principals}[department.ids["ana"]]
    assert ana is not None and ana.at is None and "not permitted: AuditLog.Read.All" in ana.source


def test_throttled_calls_change_nothing(simulator: GraphSimulator, department: Department) -> None:
    calm = _connector(simulator).snapshot()
    simulator.faults.throttle_ratio, simulator.faults.retry_after = 0.3, 2
    stormy = _connector(simulator).snapshot()
    assert waited and min(waited) >= 2  # every retry waited out Retry-After
    assert _held(stormy, department.ids) == _held(calm, department.ids)
    assert any(r.status == 429 for r in simulator.requests)


@pytest.mark.parametrize("fault", ["truncate_next", "repeat_next", "reset_next"])
def test_a_broken_page_never_gives_a_partial_snapshot(
    simulator: GraphSimulator, department: Department, fault: str
) -> None:
    calm = _held(_connector(simulator).snapshot(), department.ids)
    getattr(simulator.faults, fault)("/users/delta")  # once: retried, and the answer is whole
    assert _held(_connector(simulator).snapshot(), department.ids) == calm
    state = MemoryState()
    getattr(simulator.faults, fault)("/users/delta", times=50)  # for good: the sync fails
    with pytest.raises(SourceUnavailable):
        _connector(simulator, state).snapshot()
    assert state.load(STATE_KEY) is None  # and nothing half-read is stored


def test_incremental_sync_equals_a_fresh_full_sync(simulator: GraphSimulator, department: Department) -> None:
    t, ids = department.tenant, department.ids
    state = MemoryState()
    _connector(simulator, state).snapshot()
    full_requests = len(simulator.requests)
    t.remove_member(ids["payroll"], ids["dee"])
    t.add_member(ids["clerks"], ids["cat"])
    t.add_member(ids["payroll"], t.add_user("Newcomer", "new@dept.example.gov", mail="new@dept.example.gov"))
    t.delete_user(ids["gus"])
    t.update_user(ids["ben"], enabled=False)
    before = len(simulator.requests)
    incremental = _connector(simulator, state).snapshot()
    assert len(simulator.requests) - before < full_requests
    fresh = _connector(simulator, MemoryState()).snapshot()
    assert _held(incremental, ids) == _held(fresh, ids)
    assert {p.provider_id: (p.enabled, p.name) for p in incremental.principals} == {
        p.provider_id: (p.enabled, p.name) for p in fresh.principals
    }
    assert any("incremental" in n for n in incremental.notes)


def test_an_expired_delta_link_falls_back_to_a_full_sync(
    simulator: GraphSimulator, department: Department
) -> None:
    state = MemoryState()
    first = _connector(simulator, state).snapshot()
    simulator.expire_delta_links()
    again = _connector(simulator, state).snapshot()
    assert _held(again, department.ids) == _held(first, department.ids)
    assert "a stored delta link was refused (HTTP 400 syncStateNotFound): full sync" in again.notes
    assert again.counts == {"full_sync": 1, "delta_resets": 1}
    assert _connector(simulator, state).snapshot().counts == {"full_sync": 0, "delta_resets": 0}


def test_another_400_on_a_delta_link_is_an_error_not_a_reset(
    simulator: GraphSimulator, department: Department
) -> None:
    """Only the documented answers mean "start again": 400 with the code syncStateNotFound (Microsoft Graph
    blog, "Duration of change tracking tokens…": "a BadRequest response with the error code
    “syncStateNotFound”") and 410 Gone (Use delta query, "Synchronization reset"). Any other 400 fails the
    sync and leaves the stored mirror as it was."""
    state = MemoryState()
    _connector(simulator, state).snapshot()
    mirror = Directory.load(state.values[STATE_KEY])
    mirror.delta_links["users"] = f"{simulator.url}/users/delta?$deltatoken=latest&$top=0"
    state.values[STATE_KEY] = stored = mirror.dump()
    with pytest.raises(SourceUnavailable) as raised:
        _connector(simulator, state).snapshot()
    assert "Request_UnsupportedQuery" in str(raised.value)
    assert not isinstance(raised.value, DeltaExpired)
    assert state.values[STATE_KEY] == stored


def test_a_group_name_that_matches_nothing_or_two_is_a_configuration_error(
    simulator: GraphSimulator, department: Department
) -> None:
    department.tenant.add_group("payroll")  # now two groups are called payroll
    with pytest.raises(ConfigurationError) as caught:
        _connector(simulator, personal_data_groups=["payroll", "nope"]).snapshot()
    assert any("'payroll' names 2 groups" in p for p in caught.value.problems)
    assert any("'nope' names no group" in p for p in caught.value.problems)


def test_check_reads_one_page_not_the_directory(simulator: GraphSimulator) -> None:
    _connector(simulator).check()
    assert [r.path for r in simulator.requests] == ["/v1.0/users"]


def test_apps_named_with_reserved_url_characters_resolve(
    simulator: GraphSimulator, department: Department
) -> None:
    """Combine multiple HTTP requests using JSON batching: a request's `url` is the "Relative resource URL
    for the individual request", so a `$filter` value holding `&`, `#`, `+`, `%` or a quote must be
    percent-encoded to reach Graph whole (the simulator parses it as Graph does)."""
    names = ["Payroll & HR #1 + 100%", "O'Brien's 50% app"]
    ids = {name: department.tenant.add_service_principal(name) for name in names}
    department.tenant.add_service_principal("Payroll ")  # what an unencoded '&' would cut the name to
    snapshot = _connector(simulator, personal_data_apps=["Casework", *names]).snapshot()
    stores = {s.provider_id: s.name for s in snapshot.stores}
    assert {ids[name]: stores.get(ids[name]) for name in names} == {ids[name]: name for name in names}


def test_a_service_principal_owning_a_group_is_its_admin_though_a_member_of_no_group(
    simulator: GraphSimulator, department: Department
) -> None:
    """group resource type, owners: "The owners of the group who can be users or service principals." One
    that is a member of no group never appears in the group delta (the mirror knows no kind for it), so only
    the owners read knows it: it is still the group's admin, by the owner path."""
    robot = department.tenant.add_service_principal("backup-robot")
    department.tenant.add_owner(department.ids["payroll"], robot)
    snapshot = _connector(simulator).snapshot()
    held = _held(snapshot, {**department.ids, "robot": robot})
    assert held[("payroll", "robot", "admin")] == ["owner:payroll"]
    principals = {p.provider_id: p for p in snapshot.principals}
    assert principals[robot].name == "backup-robot"
