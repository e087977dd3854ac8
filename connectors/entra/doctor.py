"""Entra's live checks for `recertify doctor` and `serve`'s start: a Graph token, then every read
application permission the bot needs (connectors/entra/permissions.py READ) exercised by one cheap GET.

Read-only: every probe is a GET of at most one object. A permission that permissions.py declares but no
probe covers fails here (and in tests/connectors/entra/test_doctor.py), so a new permission cannot go
unchecked.

Graph's answers, as documented:
- 401 InvalidAuthenticationToken: the token is missing, invalid or expired ("Resolve Microsoft Graph
  authorization errors": "401 Unauthorized error: Is your token valid?").
- 403 Authorization_RequestDenied: the app lacks the permission ("403 Forbidden error: Have you chosen the
  right set of permissions?"); the fix is to grant it, with admin consent.
- 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant on sign-in activity: "Accessing sign-in
  reports requires a Microsoft Entra ID P1 or P2 license" (Microsoft Entra, "How to analyze activity logs
  with Microsoft Graph", Common errors). No permission fixes that, so it is a warning: last sign-in stays
  unknown.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping

from connectors.entra.client import GraphClient
from connectors.entra.graph.errors import NON_PREMIUM_CODE, GraphRefused
from connectors.entra.permissions import READ
from connectors.entra.settings import EntraSecrets, EntraSettings
from reviews.errors import RecertifyError
from reviews.health import CheckResult

SOURCE = "entra"
NO_PIM_LICENCE = "AadPremiumLicenseRequired"  # PIM for Groups: Entra ID P2 or ID Governance
PIM_READ = "PrivilegedEligibilitySchedule.Read.AzureADGroup"
PIM_SCHEDULES = "identityGovernance/privilegedAccess/group/eligibilitySchedules"
# One cheap read per application permission: (path, query).
PROBES: Mapping[str, tuple[str, Mapping[str, str]]] = {
    "User.Read.All": ("users", {"$top": "1", "$select": "id"}),
    "GroupMember.Read.All": ("groups", {"$top": "1", "$select": "id"}),
    "Application.Read.All": ("servicePrincipals", {"$top": "1", "$select": "id"}),
    "AuditLog.Read.All": ("users", {"$top": "1", "$select": "id,signInActivity"}),
    # Graph requires a groupId (or principalId) filter here: the group is one the GroupMember probe can list.
    PIM_READ: (PIM_SCHEDULES, {"$filter": "groupId eq '{group}'"}),
}
_CONSENT = (
    "grant the app registration the {permission} application permission (Microsoft Graph) and grant admin "
    "consent (Entra admin center → App registrations → API permissions; `recertify permissions entra`)"
)
_CREDENTIAL_ADVICE = (
    "set entra.tenant_id and entra.client_id with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH "
    "(a current secret or certificate of that app registration), or a valid RECERTIFY_GRAPH_TOKEN"
)


def required_permissions() -> list[str]:
    """Every read permission permissions.py declares, in order, once."""
    return list(dict.fromkeys(p for permissions in READ.values() for p in permissions))


def entra_checks(settings: EntraSettings, secrets: EntraSecrets) -> list[CheckResult]:
    try:
        graph = GraphClient(settings, secrets)
    except RecertifyError as exc:  # no credential configured, or an unreadable certificate
        return [CheckResult(SOURCE, "Graph token", False, str(exc), _CREDENTIAL_ADVICE)]
    with graph:
        try:
            token = graph.access_token()
        except RecertifyError as exc:
            return [CheckResult(SOURCE, "Graph token", False, str(exc), _CREDENTIAL_ADVICE)]
        how = "RECERTIFY_GRAPH_TOKEN" if secrets.graph_token is not None else "client credentials"
        results = [CheckResult(SOURCE, "Graph token", True, f"{how}: accepted by Graph")]
        roles = token_roles(token)
        if roles is not None:
            results.append(_roles_check(roles))
        for permission in required_permissions():
            if permission == PIM_READ and not settings.pim_for_groups:
                continue  # [entra] pim_for_groups = false: the sync never asks for it
            result = _probe(graph, permission)
            if result.name == "Graph token":  # 401: the token itself; every other probe would say the same
                return [result]
            results.append(result)
    return results


def _any_group(graph: GraphClient) -> str | None:
    try:
        found = graph.get("groups", {"$top": "1", "$select": "id"}).get("value") or []
    except RecertifyError:
        return None  # the GroupMember.Read.All line says why
    return str(found[0]["id"]) if found else None


def token_roles(token: str) -> set[str] | None:
    """The application permissions in a JWT access token's `roles` claim; None when the token is not a
    JWT carrying one (the claim is read, not verified: Graph verifies it, the probes show what it allows)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    roles = claims.get("roles") if isinstance(claims, dict) else None
    return {str(role) for role in roles} if isinstance(roles, list) else None


def _roles_check(roles: set[str]) -> CheckResult:
    missing = [p for p in required_permissions() if p not in roles]
    name = "the token's roles claim"
    if not missing:
        return CheckResult(SOURCE, name, True, f"holds {', '.join(required_permissions())}")
    # A broader permission (Directory.Read.All, …) may cover what is missing: the probes decide.
    detail = f"lacks {', '.join(missing)} (the probes below show whether a broader permission covers it)"
    return CheckResult(SOURCE, name, True, detail, warning=True)


def _probe(graph: GraphClient, permission: str) -> CheckResult:
    name = permission
    if permission not in PROBES:
        return CheckResult(
            SOURCE, name, False, "no probe is defined for it", "add one to connectors/entra/doctor.py PROBES"
        )
    path, query = PROBES[permission]
    if "{group}" in query.get("$filter", ""):
        group = _any_group(graph)
        if group is None:
            return CheckResult(
                SOURCE, name, True, "not probed: no group could be listed to ask about", warning=True
            )
        query = {**query, "$filter": query["$filter"].format(group=group)}
    what = f"GET /{path}?{'&'.join(f'{k}={v}' for k, v in query.items())}"
    try:
        graph.get(path, query)
    except GraphRefused as exc:
        if exc.code == NO_PIM_LICENCE:
            detail = f"{what}: the tenant has no PIM for Groups licence ({exc.code}); the sync would fail"
            fix = "set [entra] pim_for_groups = false (the tenant has no PIM: no eligibility to read)"
            return CheckResult(SOURCE, name, False, detail, fix)
        if exc.status == 401:
            return CheckResult(
                SOURCE, "Graph token", False, f"Graph refused the token ({exc.code})", _CREDENTIAL_ADVICE
            )
        if exc.code == NON_PREMIUM_CODE:
            detail = (
                f"{what}: the tenant has no Microsoft Entra ID P1 or P2 licence ({exc.code}); last sign-in "
                "stays unknown (never read as inactive)"
            )
            return CheckResult(SOURCE, name, True, detail, warning=True)
        return CheckResult(
            SOURCE, name, False, f"{what}: 403 {exc.code}", _CONSENT.format(permission=permission)
        )
    except RecertifyError as exc:
        return CheckResult(SOURCE, name, False, f"{what}: {exc}", "check that Microsoft Graph is reachable")
    return CheckResult(SOURCE, name, True, what)
