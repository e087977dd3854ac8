"""Enterprise apps that do not require assignment: every user of the tenant can sign in, and Recertify says so
with tenant-wide principals (connectors/entra/tenant_wide.py), against the Graph simulator.

Microsoft Entra, "Properties of an enterprise application", Assignment required?: "If this option is set to
**No**, then all users are able to sign in, and other applications and services are able to obtain an access
token to the application. This option also allows any external users that may have been invited into your
organization to sign in." Graph v1.0, servicePrincipal resource type, appRoleAssignmentRequired:
"Specifies whether users or other service principals need to be granted an app role assignment for this
service principal before users can sign in or apps can get tokens. The default value is false."
"""

from __future__ import annotations

import json

import pytest

from connectors.entra.connector import EntraConnector
from reviews.clock import FrozenClock
from reviews.entitlements import EXPOSURE_TYPES, AccessLevel, PathStep, PrincipalType, Snapshot
from reviews.errors import RevocationRefused
from reviews.exposure import PERSONLESS_TYPES, Exposure, exposed, kind_label
from simulators.graph import GraphSimulator
from tests.connectors.entra.conftest import SECRETS, Department, settings_for
from tests.connectors.entra.test_sync_end_to_end import sync_env
from tests.helpers import T0, run_cli

STEP = PathStep("app_setting", "", "assignment not required: every user of the tenant can sign in")


def _snapshot(simulator: GraphSimulator) -> Snapshot:
    connector = EntraConnector(settings_for(simulator), SECRETS, clock=FrozenClock(T0), sleep=lambda _s: None)
    return connector.snapshot()


def test_the_simulator_serves_app_role_assignment_required_when_selected(
    simulator: GraphSimulator, department: Department
) -> None:
    """servicePrincipal resource type: appRoleAssignmentRequired is a Boolean property of every service
    principal ("Not nullable"), readable with $select."""
    department.tenant.set_assignment_required(department.ids["app"], False)
    connector = EntraConnector(settings_for(simulator), SECRETS, clock=FrozenClock(T0), sleep=lambda _s: None)
    with connector._client() as client:
        body = client.get(
            f"/servicePrincipals/{department.ids['app']}", {"$select": "id,appRoleAssignmentRequired"}
        )
    assert body["appRoleAssignmentRequired"] is False


def test_an_app_not_requiring_assignment_is_held_by_every_member_and_every_guest(
    simulator: GraphSimulator, department: Department
) -> None:
    """ "This option also allows any external users that may have been invited into your organization to sign
    in" (Properties of an enterprise application): guests are a second tenant-wide principal. Disabled
    accounts cannot sign in and are not counted. Users assigned to the app still appear as before."""
    t, ids = department.tenant, department.ids
    t.set_assignment_required(ids["app"], False)
    snapshot = _snapshot(simulator)
    principals = {p.provider_id: p for p in snapshot.principals}
    members, guests = principals["tenant:members"], principals["tenant:guests"]
    # 5 named members (dee is disabled) and 250 staff; gus is the one guest.
    assert (members.type, members.name, members.guest) == (
        PrincipalType.ENTRA_TENANT,
        "All 255 members of the tenant",
        False,
    )
    assert (guests.name, guests.guest, guests.person_email) == ("The 1 guest of the tenant", True, None)
    tenant_grants = {
        g.principal_provider_id: g for g in snapshot.grants if g.principal_provider_id.startswith("tenant:")
    }
    assert set(tenant_grants) == {"tenant:members", "tenant:guests"}
    for grant in tenant_grants.values():
        assert grant.store_provider_id == ids["app"] and grant.access is AccessLevel.READ
        assert grant.path == (PathStep("app_setting", ids["app"], STEP.name),)
    app_holders = {g.principal_provider_id for g in snapshot.grants if g.store_provider_id == ids["app"]}
    assert {ids["etl"], ids["cat"], ids["olu"]} <= app_holders  # assigned, through a group, and the owner
    assert PrincipalType.ENTRA_TENANT in EXPOSURE_TYPES and PrincipalType.ENTRA_TENANT in PERSONLESS_TYPES


def test_without_an_enabled_guest_there_is_no_guests_principal(
    simulator: GraphSimulator, department: Department
) -> None:
    t, ids = department.tenant, department.ids
    t.set_assignment_required(ids["app"], False)
    t.update_user(ids["gus"], enabled=False)
    holders = {
        g.principal_provider_id
        for g in _snapshot(simulator).grants
        if g.principal_provider_id.startswith("tenant:")
    }
    assert holders == {"tenant:members"}


def test_an_app_requiring_assignment_has_no_tenant_wide_holder(simulator: GraphSimulator) -> None:
    assert not [p for p in _snapshot(simulator).principals if p.type is PrincipalType.ENTRA_TENANT]


def test_revocation_is_refused_with_the_fix_and_sends_nothing(
    simulator: GraphSimulator, department: Department
) -> None:
    """Assignment required? "If this option is set to **Yes**, then users and other applications or services
    must first be assigned this application before being able to access it" (Properties of an enterprise
    application): the fix is that setting, after the users
    who need the app are assigned — a person's change, never Recertify's."""
    department.tenant.set_assignment_required(department.ids["app"], False)
    connector = EntraConnector(settings_for(simulator), SECRETS, clock=FrozenClock(T0), sleep=lambda _s: None)
    grant = next(g for g in connector.snapshot().grants if g.principal_provider_id == "tenant:members")
    start = len(simulator.requests)
    with pytest.raises(RevocationRefused, match="set Assignment required to Yes on the enterprise app"):
        connector.plan_revocation(grant)
    assert simulator.requests[start:] == []


def test_the_exposure_is_said_in_words_with_the_count() -> None:
    """An access listing, the evidence and Slack say a tenant-wide grant as a sentence, like a public one."""
    said = exposed(
        principal_type=PrincipalType.ENTRA_TENANT,
        principal_provider_id="tenant:members",
        principal_name="All 1,204 members of the tenant",
        guest=False,
        store_name="Casework",
        store_tags={},
        access="read",
        conditional=False,
        path=[{"kind": "app_setting", "id": "x", "name": STEP.name}],
    )
    assert said is not None and said.kind is Exposure.TENANT
    assert said.sentence == "All 1,204 members of the tenant can read Casework"
    assert kind_label(PrincipalType.ENTRA_TENANT, False) == "whole tenant"


def test_recertify_access_lists_the_tenant_wide_grants_among_exposures(
    simulator: GraphSimulator, department: Department, database_url: str, capsys, monkeypatch
) -> None:
    """`recertify sync` then `recertify access --exposure`: the data-protection officer's first page shows
    who can sign in to an app that does not require assignment, in words."""
    department.tenant.set_assignment_required(department.ids["app"], False)
    env = sync_env(simulator, database_url, RECERTIFY_ENTRA_PERSONAL_DATA_APPS='["Casework"]')
    assert run_cli(capsys, monkeypatch, "sync", "--source", "entra", env=env).code == 0
    listed = run_cli(capsys, monkeypatch, "access", "--exposure", "--format", "json", env=env)
    assert listed.code == 0, listed.stderr
    sentences = {row["exposure_sentence"] for row in json.loads(listed.stdout)}
    assert sentences == {
        "All 255 members of the tenant can read Casework",
        "The 1 guest of the tenant can read Casework",
    }
    table = run_cli(capsys, monkeypatch, "access", "--exposure", env={**env, "COLUMNS": "300"})
    assert "2 exposed grant(s): 2 tenant" in table.stdout
