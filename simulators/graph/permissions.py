"""Application permissions (the token's `roles`) and the tenant's licence, enforced as Graph does.

A simulator built with `granted_roles` answers a request its app was not granted with Graph's refusal:
403 `Authorization_RequestDenied`, "Insufficient privileges to complete the operation." (Graph, "Resolve
Microsoft Graph authorization errors": "403 Forbidden error: Have you chosen the right set of
permissions?"). Without `granted_roles` every request is allowed, as before.

A tenant without Entra ID P1 refuses sign-in activity with 403
`Authentication_RequestFromNonPremiumTenantOrB2CTenant` (Microsoft Entra, "How to analyze activity logs
with Microsoft Graph", Common errors: "Neither tenant is B2C or tenant doesn't have premium license:
Accessing sign-in reports requires a Microsoft Entra ID P1 or P2 license.").

Each rule lists alternatives, any one of which suffices: the least privileged permission first, then the
broader ones that include it (Graph's permissions reference lists them per API as "Higher privileged
permissions").
"""

from __future__ import annotations

import re

from simulators.graph.errors import GraphError
from simulators.graph.pim import READ as PIM_READ
from simulators.graph.pim import WRITE as PIM_WRITE

_DIRECTORY_READ = ("Directory.Read.All", "Directory.ReadWrite.All")
_RULES: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    (
        "POST",
        re.compile(r"^/groups/[^/]+/(members|owners)/\$ref$"),
        ("GroupMember.ReadWrite.All", "Group.ReadWrite.All"),
    ),
    (
        "DELETE",
        re.compile(r"^/groups/[^/]+/(members|owners)/"),
        ("GroupMember.ReadWrite.All", "Group.ReadWrite.All"),
    ),
    ("POST", re.compile(r"appRoleAssign"), ("AppRoleAssignment.ReadWrite.All",)),
    ("DELETE", re.compile(r"appRoleAssign"), ("AppRoleAssignment.ReadWrite.All",)),
    (
        "POST",
        re.compile(r"^/users/[^/]+/revokeSignInSessions$"),
        ("User.RevokeSessions.All", "User.ReadWrite.All"),
    ),
    ("PATCH", re.compile(r"^/users/"), ("User.ReadWrite.All",)),
    (
        "GET",
        re.compile(r"^/(servicePrincipals|applications)"),
        ("Application.Read.All", "Application.ReadWrite.All", *_DIRECTORY_READ),
    ),
    (
        "GET",
        re.compile(r"^/groups"),
        ("GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", *_DIRECTORY_READ),
    ),
    ("GET", re.compile(r"^/users"), ("User.Read.All", "User.ReadWrite.All", *_DIRECTORY_READ)),
    ("GET", re.compile(r"^/directoryObjects"), ("User.Read.All", *_DIRECTORY_READ)),
    (  # Graph v1.0, List eligibilitySchedules: application permission PrivilegedEligibilitySchedule.Read.…
        "GET",
        re.compile(r"^/identityGovernance/privilegedAccess/group/eligibility"),
        (PIM_READ, PIM_WRITE, "PrivilegedAccess.Read.AzureADGroup"),
    ),
    (
        "POST",
        re.compile(r"^/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests$"),
        (PIM_WRITE,),
    ),
)
_SIGN_IN = ("AuditLog.Read.All",)

DENIED = "Insufficient privileges to complete the operation."
NON_PREMIUM = "Neither tenant is B2C or tenant doesn't have premium license"


def required(method: str, path: str, query: dict[str, str]) -> list[tuple[str, ...]]:
    """Each entry: permissions any one of which the request needs."""
    needs = [roles for verb, pattern, roles in _RULES if verb == method and pattern.search(path)][:1]
    if method == "GET" and _selects_sign_in(query):
        needs.append(_SIGN_IN)
    return needs


def authorize(
    method: str, path: str, query: dict[str, str], granted: frozenset[str] | None, *, premium: bool
) -> None:
    """Raises Graph's 403 for a permission the app lacks, then for sign-in activity without a licence."""
    if granted is not None:
        for alternatives in required(method, path, query):
            if not granted.intersection(alternatives):
                raise GraphError(403, "Authorization_RequestDenied", DENIED)
    if not premium and method == "GET" and _selects_sign_in(query):
        raise GraphError(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", NON_PREMIUM)


def _selects_sign_in(query: dict[str, str]) -> bool:
    fields = query.get("$select", "") + "," + query.get("$filter", "")
    return "signinactivity" in fields.lower()
