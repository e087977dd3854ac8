"""Entra access from a directory mirror: nesting, loops, app roles, owners, people. Pure, no Graph."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from connectors.entra.access import entra_grants
from connectors.entra.directory import Directory
from connectors.entra.inventory import App, AppRole, Assignment, EntraInventory, ServicePrincipalInfo
from connectors.entra.transform import SIGN_IN_SOURCE, to_snapshot
from reviews.entitlements import LastUse
from tests.helpers import T0

USER, GROUP, SP = "#microsoft.graph.user", "#microsoft.graph.group", "#microsoft.graph.servicePrincipal"


def _user(uid: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": uid,
        "displayName": uid.title(),
        "userPrincipalName": f"{uid}@dept.example.gov",
        "mail": f"{uid}@dept.example.gov",
        "accountEnabled": True,
        "userType": "Member",
        **extra,
    }


def _group(gid: str, *members: tuple[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "id": gid,
        "displayName": gid,
        "groupTypes": [],
        "members@delta": [{"@odata.type": t, "id": m} for t, m in members],
        **extra,
    }


def _directory(users: list[dict[str, Any]], groups: list[dict[str, Any]]) -> Directory:
    directory = Directory()
    for user in users:
        directory.apply_user(user)
    for group in groups:
        directory.apply_group(group)
    return directory


def _inventory(
    directory: Directory,
    groups: tuple[str, ...],
    apps: tuple[App, ...] = (),
    owners: dict[str, tuple[str, ...]] | None = None,
    sps: dict[str, ServicePrincipalInfo] | None = None,
) -> EntraInventory:
    return EntraInventory(T0, directory, groups, owners or {}, apps, sps or {}, sign_ins={})


def _held(inventory: EntraInventory) -> dict[tuple[str, str, str], list[str]]:
    return {
        (g.store_provider_id, g.principal_provider_id, str(g.access)): [str(s) for s in g.path]
        for g in entra_grants(inventory)
    }


def test_nesting_three_levels_deep_gives_the_path_and_a_loop_ends() -> None:
    directory = _directory(
        [_user("ana"), _user("ben")],
        [
            _group("payroll", (GROUP, "finance")),
            _group("finance", (GROUP, "clerks"), (USER, "ben")),
            _group("clerks", (USER, "ana"), (GROUP, "payroll")),  # a loop back to the top
        ],
    )
    held = _held(_inventory(directory, ("payroll",)))
    assert held == {
        ("payroll", "ana", "read"): ["group:payroll", "group:finance", "group:clerks"],
        ("payroll", "ben", "read"): ["group:payroll", "group:finance"],
    }


def test_a_user_reachable_by_two_paths_holds_it_once_by_the_shortest() -> None:
    directory = _directory(
        [_user("ana")], [_group("payroll", (GROUP, "team"), (USER, "ana")), _group("team", (USER, "ana"))]
    )
    assert _held(_inventory(directory, ("payroll",))) == {("payroll", "ana", "read"): ["group:payroll"]}


def test_guests_disabled_users_and_service_principals_are_listed() -> None:
    directory = _directory(
        [
            _user(
                "gus", userType="Guest", mail=None, userPrincipalName="gus_x.com#EXT#@dept.onmicrosoft.com"
            ),
            _user("dee", accountEnabled=False),
        ],
        [_group("payroll", (USER, "gus"), (USER, "dee"), (SP, "etl"))],
    )
    inventory = _inventory(directory, ("payroll",), sps={"etl": ServicePrincipalInfo("etl", "ETL job", True)})
    snapshot = to_snapshot(inventory, entra_grants(inventory))
    principals = {p.provider_id: p for p in snapshot.principals}
    assert (
        principals["gus"].guest is True and principals["gus"].person_email is None
    )  # #EXT# is not an address
    assert principals["dee"].enabled is False and principals["dee"].email == "dee@dept.example.gov"
    assert principals["etl"].type == "entra_service_principal"
    assert any("could not be matched to a person by email: Gus" in note for note in snapshot.notes)


def test_a_read_sign_in_bounds_all_use_and_an_unread_one_does_not() -> None:
    directory = _directory(
        [_user("ana"), _user("ben"), _user("cat"), _user("hal", onPremisesSyncEnabled=True)],
        [_group("payroll", (USER, "ana"), (USER, "ben"), (USER, "cat"), (USER, "hal"), (SP, "etl"))],
    )
    sps = {"etl": ServicePrincipalInfo("etl", "ETL job", True)}
    # cat is newer than the last read of sign-in activity (it is reread once a day): read 5 hours ago
    read_at = T0 - timedelta(hours=5)
    directory.sign_ins_read_at = read_at.isoformat()
    read = replace(
        _inventory(directory, ("payroll",), sps=sps),
        sign_ins={"ana": T0 - timedelta(days=5), "ben": None, "hal": read_at},
    )
    assert read.sign_ins_read_at == read_at
    signed = {p.provider_id: p.last_sign_in for p in to_snapshot(read, entra_grants(read)).principals}
    # the bound holds until the read, not until the snapshot: window_end
    assert signed["ana"] == LastUse(
        T0 - timedelta(days=5), SIGN_IN_SOURCE, window_end=read_at, covers_all_use=True
    )
    never = LastUse(None, SIGN_IN_SOURCE, window_end=read_at, covers_all_use=True)
    assert signed["ben"] == never  # never signed in, up to the read
    assert signed["cat"] is not None and signed["cat"].at is None and not signed["cat"].covers_all_use
    assert "not read" in signed["cat"].source
    assert signed["etl"] is None  # service principals: no sign-in, no bound
    # synced from on-premises: access held in Entra is still used only with tokens Entra issues
    assert signed["hal"] == LastUse(read_at, SIGN_IN_SOURCE, window_end=read_at, covers_all_use=True)
    refused = replace(read, sign_ins=None)
    assert refused.sign_ins_read_at is None
    unread = {p.provider_id: p.last_sign_in for p in to_snapshot(refused, entra_grants(refused)).principals}
    assert unread["ana"] is not None and unread["ana"].at is None and not unread["ana"].covers_all_use
    assert unread["ana"].window_end is None
    assert "not permitted: AuditLog.Read.All" in unread["ana"].source


def test_an_app_role_assigned_to_a_group_reaches_only_its_direct_members() -> None:
    directory = _directory(
        [_user("ana"), _user("ben"), _user("cat")],
        [_group("readers", (USER, "ana"), (GROUP, "nested")), _group("nested", (USER, "ben"))],
    )
    app = App(
        "app1",
        "appid",
        "Casework",
        (AppRole("r1", "Case.Read", "Read cases"),),
        (Assignment("a1", "readers", "Group", "r1"), Assignment("a2", "cat", "User", "r1")),
        owners=("cat",),
    )
    held = _held(_inventory(directory, (), apps=(app,)))
    assert held == {
        ("app1", "ana", "read"): ["group:readers", "app_role:Casework: Case.Read"],
        ("app1", "cat", "read"): ["app_role:Casework: Case.Read"],
        ("app1", "cat", "admin"): ["owner:Casework"],
    }  # ben, in a nested group, gets nothing: Entra does not cascade app assignments


def test_group_owners_hold_admin() -> None:
    directory = _directory([_user("olu"), _user("ana")], [_group("payroll", (USER, "ana"))])
    held = _held(_inventory(directory, ("payroll",), owners={"payroll": ("olu",)}))
    assert held[("payroll", "olu", "admin")] == ["owner:payroll"]


def test_unknown_member_types_are_quarantined_and_counted() -> None:
    directory = _directory(
        [_user("ana")], [_group("payroll", (USER, "ana"), ("#microsoft.graph.somethingNew", "x1"))]
    )
    inventory = _inventory(directory, ("payroll",))
    assert directory.quarantined == {"x1": "#microsoft.graph.somethingNew"}
    snapshot = to_snapshot(inventory, entra_grants(inventory))
    assert {g.principal_provider_id for g in snapshot.grants} == {"ana"}
    assert any("1 member object(s) of unknown type were quarantined" in n for n in snapshot.notes)


def test_dynamic_and_on_premises_groups_are_flagged_unchangeable() -> None:
    directory = _directory(
        [_user("ana")],
        [
            _group("dyn", (USER, "ana"), groupTypes=["DynamicMembership"]),
            _group("onprem", (USER, "ana"), onPremisesSyncEnabled=True),
        ],
    )
    inventory = _inventory(directory, ("dyn", "onprem"))
    stores = {s.provider_id: dict(s.tags) for s in to_snapshot(inventory, entra_grants(inventory)).stores}
    assert stores["dyn"]["recertify:unchangeable"].startswith("dynamic membership")
    assert stores["onprem"]["recertify:unchangeable"].startswith("synchronized from on-premises")


def test_mail_enabled_and_role_assignable_groups_are_flagged_unchangeable() -> None:
    """ "Working with groups in Microsoft Graph": mail-enabled security groups (mailEnabled and
    securityEnabled true, groupTypes []) and distribution groups (mailEnabled true, securityEnabled false)
    are "No; read-only through Microsoft Graph". Add members: a role-assignable group needs
    RoleManagement.ReadWrite.Directory, which Recertify does not hold. A Microsoft 365 group (Unified) is
    mail-enabled and manageable."""
    flags = {
        "mailsec": {"mailEnabled": True, "securityEnabled": True},
        "dl": {"mailEnabled": True, "securityEnabled": False},
        "roles": {"mailEnabled": False, "securityEnabled": True, "isAssignableToRole": True},
        "m365": {"groupTypes": ["Unified"], "mailEnabled": True, "securityEnabled": False},
        "plain": {"mailEnabled": False, "securityEnabled": True, "isAssignableToRole": False},
    }
    directory = _directory([_user("ana")], [_group(g, (USER, "ana"), **extra) for g, extra in flags.items()])
    inventory = _inventory(directory, tuple(flags))
    stores = {s.provider_id: dict(s.tags) for s in to_snapshot(inventory, entra_grants(inventory)).stores}
    assert "read-only through Microsoft Graph" in stores["mailsec"]["recertify:unchangeable"]
    assert "read-only through Microsoft Graph" in stores["dl"]["recertify:unchangeable"]
    assert "RoleManagement.ReadWrite.Directory" in stores["roles"]["recertify:unchangeable"]
    assert "recertify:unchangeable" not in stores["m365"] and "recertify:unchangeable" not in stores["plain"]
    again = Directory.load(directory.dump())  # the mirror keeps the flags between syncs
    assert again.changeable("roles") == directory.changeable("roles") is not None


def test_people_carry_their_object_id_and_manager() -> None:
    directory = _directory(
        [_user("ana", managerId="boss"), _user("boss")], [_group("payroll", (USER, "ana"))]
    )
    inventory = _inventory(directory, ("payroll",))
    people = {p.email: p for p in to_snapshot(inventory, entra_grants(inventory)).people}
    assert people["ana@dept.example.gov"].entra_object_id == "ana"
    assert people["ana@dept.example.gov"].manager_email == "boss@dept.example.gov"
    assert "boss@dept.example.gov" in people


def test_two_users_claiming_one_address_are_not_guessed_between() -> None:
    directory = _directory(
        [_user("ana"), _user("ana2", mail="ana@dept.example.gov")],
        [_group("payroll", (USER, "ana"), (USER, "ana2"))],
    )
    inventory = _inventory(directory, ("payroll",))
    assert to_snapshot(inventory, entra_grants(inventory)).people == ()


def test_the_mirror_round_trips_through_its_stored_form() -> None:
    directory = _directory(
        [_user("ana", managerId="boss"), _user("boss")],
        [_group("payroll", (USER, "ana"), (GROUP, "team")), _group("team", (USER, "boss"))],
    )
    directory.delta_links = {"users": "http://x/users/delta?$deltatoken=1"}
    assert Directory.load(directory.dump()).fingerprint() == directory.fingerprint()
    assert Directory.load(directory.dump()).delta_links == directory.delta_links


def test_delta_removals_are_applied() -> None:
    directory = _directory([_user("ana"), _user("ben")], [_group("payroll", (USER, "ana"), (USER, "ben"))])
    directory.apply_group(
        {
            "id": "payroll",
            "members@delta": [{"@odata.type": USER, "id": "ben", "@removed": {"reason": "deleted"}}],
        }
    )
    directory.apply_user({"id": "ana", "@removed": {"reason": "changed"}})
    held = _held(_inventory(directory, ("payroll",)))
    assert held == {}  # ben left the group; ana's account is gone
