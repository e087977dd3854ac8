"""`recertify doctor`'s Entra checks against the Graph simulator, which grants an app a subset of
application permissions and answers the rest as Graph does.

Graph, "Resolve Microsoft Graph authorization errors" (learn.microsoft.com/graph/resolve-auth-errors):
"401 Unauthorized error: Is your token valid? … the token is invalid or is expired" and "403 Forbidden
error: Have you chosen the right set of permissions?"; the refusal's body is
`{"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the
operation."}}`. Microsoft Entra, "How to analyze activity logs with Microsoft Graph", Common errors:
"Neither tenant is B2C or tenant doesn't have premium license: Accessing sign-in reports requires a
Microsoft Entra ID P1 or P2 license."
"""

from __future__ import annotations

import base64
import json

from connectors.entra.doctor import PROBES, entra_checks, required_permissions
from connectors.entra.permissions import READ
from connectors.entra.settings import EntraSecrets, EntraSettings
from reviews.health import CheckResult
from simulators.graph import GraphSimulator, Tenant
from tests.connectors.entra.graphing import secrets, settings

ALL_READS = tuple(required_permissions())  # every read permission the code declares


def _tenant() -> Tenant:
    tenant = Tenant()
    tenant.add_user("Olu", "olu@dept.example.gov")
    tenant.add_group("payroll")  # PIM's probe asks about one group: Graph requires the filter
    return tenant


def _by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {result.name: result for result in results}


def test_every_read_permission_the_bot_declares_has_a_probe() -> None:
    """permissions.py is the source: a permission added there without a probe fails here."""
    declared = {p for permissions in READ.values() for p in permissions}
    assert set(required_permissions()) == declared
    assert declared <= set(PROBES)


def test_a_fully_granted_app_passes_every_check() -> None:
    with GraphSimulator(_tenant(), granted_roles=ALL_READS) as sim:
        results = entra_checks(settings(sim), secrets())
    assert all(r.ok and not r.warning for r in results), results
    assert [r.name for r in results] == ["Graph token", *required_permissions()]


def test_a_permission_not_granted_fails_its_line_and_names_it() -> None:
    """403 Authorization_RequestDenied: the fix is the missing application permission, with admin consent."""
    granted = [p for p in ALL_READS if p != "GroupMember.Read.All"]
    with GraphSimulator(_tenant(), granted_roles=granted) as sim:
        results = _by_name(entra_checks(settings(sim), secrets()))
    failing = results["GroupMember.Read.All"]
    assert not failing.ok
    assert "Authorization_RequestDenied" in failing.detail
    assert "GroupMember.Read.All application permission" in failing.fix and "admin consent" in failing.fix
    assert all(results[p].ok for p in ("Graph token", "User.Read.All", "Application.Read.All"))


def test_a_broader_permission_covers_a_narrower_one() -> None:
    """Directory.Read.All includes the directory reads (Graph lists it as a higher privileged permission)."""
    granted = [
        "Directory.Read.All",
        "AuditLog.Read.All",
        "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
    ]
    with GraphSimulator(_tenant(), granted_roles=granted) as sim:
        results = entra_checks(settings(sim), secrets())
    assert all(r.ok for r in results), results


def test_a_tenant_without_p1_is_a_warning_not_a_permission_to_grant() -> None:
    with GraphSimulator(_tenant(), granted_roles=ALL_READS, premium=False) as sim:
        results = _by_name(entra_checks(settings(sim), secrets()))
    sign_in = results["AuditLog.Read.All"]
    assert sign_in.ok and sign_in.warning
    assert "Authentication_RequestFromNonPremiumTenantOrB2CTenant" in sign_in.detail
    assert "P1 or P2" in sign_in.detail and "unknown" in sign_in.detail


def test_a_token_graph_refuses_is_one_failing_line() -> None:
    """401 InvalidAuthenticationToken: every probe would say the same, so only the token line is shown."""
    with GraphSimulator(_tenant(), token="the-real-one") as sim:  # noqa: S106  (the simulator's own)
        results = entra_checks(settings(sim), secrets("a-stale-token"))
    assert len(results) == 1
    assert results[0].name == "Graph token" and not results[0].ok
    assert "InvalidAuthenticationToken" in results[0].detail
    assert "RECERTIFY_GRAPH_TOKEN" in results[0].fix


def test_no_credential_at_all_fails_with_the_settings_to_set() -> None:
    results = entra_checks(EntraSettings(), EntraSecrets.model_validate({}))
    assert len(results) == 1 and not results[0].ok
    assert "entra.tenant_id" in results[0].fix


def test_the_roles_claim_of_a_jwt_is_read_and_a_gap_is_a_warning() -> None:
    """Application permissions travel in the access token's `roles` claim; the probes decide, the claim
    explains."""
    claims = {"aud": "https://graph.microsoft.com", "roles": ["User.Read.All", "Application.Read.All"]}
    token = ".".join(
        base64.urlsafe_b64encode(part).decode().rstrip("=")
        for part in (b'{"alg":"none"}', json.dumps(claims).encode(), b"sig")
    )
    with GraphSimulator(_tenant(), token=token, granted_roles=claims["roles"]) as sim:
        results = _by_name(entra_checks(settings(sim), secrets(token)))
    roles = results["the token's roles claim"]
    assert roles.ok and roles.warning
    assert "GroupMember.Read.All" in roles.detail and "AuditLog.Read.All" in roles.detail
    assert not results["GroupMember.Read.All"].ok and results["User.Read.All"].ok


def test_pim_for_groups_is_probed_for_one_group_and_a_missing_permission_named() -> None:
    """Graph v1.0, List eligibilitySchedules: "This method requires the $filter (eq) query parameter to scope
    the request to a principalId or a groupId"; application permission
    PrivilegedEligibilitySchedule.Read.AzureADGroup."""
    granted = [p for p in ALL_READS if p != "PrivilegedEligibilitySchedule.Read.AzureADGroup"]
    with GraphSimulator(_tenant(), granted_roles=granted) as sim:
        results = _by_name(entra_checks(settings(sim), secrets()))
        asked = [r for r in sim.requests if "eligibilitySchedules" in r.path]
    pim = results["PrivilegedEligibilitySchedule.Read.AzureADGroup"]
    assert not pim.ok and "Authorization_RequestDenied" in pim.detail
    assert "PrivilegedEligibilitySchedule.Read.AzureADGroup application permission" in pim.fix
    assert asked and all("groupId eq" in str(r.query) for r in asked)


def test_a_tenant_without_pim_fails_with_the_setting_that_turns_the_read_off() -> None:
    """Without Entra ID P2 / ID Governance Graph refuses PIM for Groups (AadPremiumLicenseRequired, as the
    simulator models it): the sync would fail until [entra] pim_for_groups = false; with it, no line."""
    with GraphSimulator(_tenant(), granted_roles=ALL_READS) as sim:
        sim.tenant.pim.licensed = False
        results = _by_name(entra_checks(settings(sim), secrets()))
        off = settings(sim).model_copy(update={"pim_for_groups": False})
        without = _by_name(entra_checks(off, secrets()))
    pim = results["PrivilegedEligibilitySchedule.Read.AzureADGroup"]
    assert not pim.ok and "AadPremiumLicenseRequired" in pim.detail
    assert "pim_for_groups = false" in pim.fix
    assert "PrivilegedEligibilitySchedule.Read.AzureADGroup" not in without
    assert all(r.ok for r in without.values()), without
