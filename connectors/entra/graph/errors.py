"""Where Graph's answers become Recertify's errors: the one translation point of the Entra connector.

Messages name the method, the path (never the query: skip tokens are long and say nothing) and Graph's own
error code and message. Tokens never reach a message: requests carry them in a header we never print.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from reviews.errors import Misconfigured, NotFound, RecertifyError, SourceUnavailable

SOURCE = "entra"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A 400 means an expired delta link only with this code (Microsoft Graph blog, "Duration of change tracking
# tokens for identity and education resources": "a BadRequest response with the error code
# “syncStateNotFound”"); any other 400 is a real error and fails the sync. A 410 on a delta link is
# Graph's documented synchronization reset, whatever its code.
DELTA_EXPIRED_CODES = frozenset({"syncStateNotFound"})

# Least-privilege application permissions, most specific path first (the bot's own permissions module
# documents the full set; this only makes a 403 actionable).
_PERMISSIONS: tuple[tuple[str, str, str], ...] = (
    (
        "POST",
        r"privilegedAccess/group/eligibilityScheduleRequests",
        "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
    ),
    ("GET", r"privilegedAccess/group/eligibilitySchedule", "PrivilegedEligibilitySchedule.Read.AzureADGroup"),
    ("DELETE", r"groups/[^/]+/(members|owners)/[^/]+/\$ref$", "GroupMember.ReadWrite.All"),
    ("POST", r"groups/[^/]+/(members|owners)/\$ref$", "GroupMember.ReadWrite.All"),
    ("DELETE", r"(servicePrincipals|users|groups)/[^/]+/appRoleAssign", "AppRoleAssignment.ReadWrite.All"),
    ("GET", r"auditLogs/|signInActivity", "AuditLog.Read.All"),
    ("GET", r"^(servicePrincipals|applications)|appRoleAssign", "Application.Read.All"),
    ("GET", r"^groups/[^/]+/(transitiveMembers|members|owners)", "GroupMember.Read.All"),
    ("GET", r"^groups", "GroupMember.Read.All"),
    ("GET", r"^users", "User.Read.All"),
    ("GET", r"^(directoryRoles|roleManagement)", "RoleManagement.Read.Directory"),
)


class GraphNotFound(NotFound):
    """Graph answered 404 for this path."""

    def __init__(self, path: str, code: str = "", message: str = "") -> None:
        self.path = path
        detail = f" ({code}: {message})" if code else ""
        super().__init__(f"entra: {path} does not exist{detail}")


class GraphRefused(Misconfigured):
    """Graph refused the credentials (401) or the request (403); `code` is Graph's own error code, which
    tells a missing permission (Authorization_RequestDenied) from a missing licence."""

    def __init__(self, message: str, *, status: int, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class LicenceRequired(GraphRefused):
    """Graph refused a feature the tenant has no licence for (`AadPremiumLicenseRequired`: PIM needs Entra ID
    P2 or ID Governance). Not retried: a licence does not arrive between two attempts."""


class DeltaExpired(SourceUnavailable):
    """The delta link is no longer valid (400 syncStateNotFound, or 410 Gone): the caller must fall back to a
    full sync."""

    def __init__(self, path: str, status: int, code: str) -> None:
        self.status, self.code = status, code
        super().__init__(
            SOURCE,
            f"the delta link for {path} is no longer valid (HTTP {status} {code}); a full sync is needed",
            retryable=False,
        )


class NotLicensed(GraphRefused):
    """The tenant lacks the licence a read needs (sign-in activity: Microsoft Entra ID P1 or P2)."""


# Graph's answer to signInActivity in a tenant without Microsoft Entra ID P1/P2 (the Entra reporting docs,
# "Common errors": "Neither tenant is B2C or tenant doesn't have premium license: Accessing sign-in reports
# requires a Microsoft Entra ID P1 or P2 license").
NON_PREMIUM_CODE = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"


def graph_error(body: bytes) -> tuple[str, str]:
    """Graph's `{"error": {"code", "message"}}`, or ("", "") when the body is not one (a gateway page)."""
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        return "", ""
    return _error_of(parsed)


def _error_of(parsed: Any) -> tuple[str, str]:
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("code") or ""), str(error.get("message") or "")[:300]


def translate(method: str, path: str, status: int, body: Any, query: str = "") -> RecertifyError:
    """The error for a final (non-retried, or retried to exhaustion) failure.

    `body` is the raw bytes of an HTTP response or the parsed body of a $batch item. `query` (never put in a
    message: skip tokens) only helps name the permission a 403 lacks (`$select=signInActivity`).
    """
    code, message = graph_error(body) if isinstance(body, bytes) else _error_of(body)
    what = f"{method} {path}"
    detail = f"{code}: {message}" if code else f"HTTP {status}"
    if status == 404:
        return GraphNotFound(path, code, message)
    if status == 410 or (status == 400 and code in DELTA_EXPIRED_CODES):
        return DeltaExpired(path, status, code or "Gone")
    if code == "AadPremiumLicenseRequired":
        return LicenceRequired(
            f"entra: Microsoft Graph refused {what} for want of a licence ({detail})",
            status=status,
            code=code,
        )
    if status == 401:
        return GraphRefused(
            f"entra: Microsoft Graph refused the credentials for {what} ({detail}); check "
            "RECERTIFY_GRAPH_TOKEN, or entra.tenant_id, entra.client_id and the app's secret or certificate",
            status=status,
            code=code,
        )
    if status == 403 and code == NON_PREMIUM_CODE:
        return NotLicensed(
            f"entra: Microsoft Graph refused {what} ({detail}): the tenant has no Microsoft Entra ID P1 "
            "or P2 license, which reading sign-in activity requires",
            status=status,
            code=code,
        )
    if status == 403:
        hint = likely_permission(method, f"{path}?{unquote(query)}" if query else path)
        needs = f"; the app registration likely lacks the {hint} application permission (with admin consent)"
        message = f"entra: Microsoft Graph denied {what} ({detail}){needs if hint else ''}"
        return GraphRefused(message, status=status, code=code)
    retryable = status in RETRY_STATUSES or status >= 500
    return SourceUnavailable(SOURCE, f"{what} failed: {detail}", retryable=retryable)


def likely_permission(method: str, path: str) -> str | None:
    path = path.lstrip("/")
    for verb, pattern, permission in _PERMISSIONS:
        if verb == method and re.search(pattern, path):
            return permission
    return None


def exhausted(what: str, reason: str, attempts: int) -> SourceUnavailable:
    return SourceUnavailable(SOURCE, f"{what}: {reason} (gave up after {attempts} attempts)", retryable=True)
