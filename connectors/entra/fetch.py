"""All reading from Microsoft Graph for Entra ID ("get" in get → transform → load). Complete or it raises.

Users and groups (with their direct members) come from delta queries into the directory mirror (delta.py),
stored between syncs. Personal-data groups are resolved from the mirror; apps, owners and service
principals are read with `$batch` (20 requests per call); sign-in activity with one pass over the users.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from connectors.entra.access import closure_members
from connectors.entra.client import GraphClient, NotLicensed, complete
from connectors.entra.delta import STATE_KEY, read_directory
from connectors.entra.directory import Directory
from connectors.entra.eligibility import principal_ids, read_eligibility
from connectors.entra.inventory import App, AppRole, Assignment, EntraInventory, ServicePrincipalInfo
from connectors.entra.settings import EntraSettings
from reviews.errors import ConfigurationError, Misconfigured, SourceUnavailable
from reviews.ports import StateStore

APP_SELECT = "id,appId,displayName,appRoles,appRoleAssignmentRequired"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def fetch_inventory(
    client: GraphClient,
    settings: EntraSettings,
    state: StateStore | None,
    *,
    now: datetime,
    full: bool = False,
) -> EntraInventory:
    """`full`: ignore the stored mirror and its delta links (`recertify sync --full`)."""
    notes: list[str] = []
    read = read_directory(client, None if full else state, notes)
    if full and state is not None:
        notes[-1] = "full sync (asked for: the stored delta links were discarded)"
    directory = read.directory
    groups = resolve_groups(settings.personal_data_groups, directory)
    apps = read_apps(client, settings.personal_data_apps)
    owners = _owners(client, [f"/groups/{g}/owners" for g in groups])
    group_owners = {g: tuple(o["id"] for o in found) for g, found in zip(groups, owners, strict=True)}
    eligibility = read_eligibility(client, groups, enabled=settings.pim_for_groups, now=now, notes=notes)
    sp_ids = _service_principal_ids(directory, groups, apps, owners)
    sp_ids |= {p for p in principal_ids(eligibility) if directory.kind(p) not in ("user", "group")}
    service_principals = read_service_principals(client, sorted(sp_ids))
    refresh = timedelta(hours=settings.sign_in_refresh_hours)
    sign_ins, unread = read_sign_ins(client, directory, refresh, now, notes)
    if state is not None:  # after every read succeeded: a stored mirror is always a whole one
        state.save(STATE_KEY, directory.dump())
    counts = {"full_sync": int(read.full), "delta_resets": int(read.reset)}
    return EntraInventory(
        now,
        directory,
        tuple(groups),
        group_owners,
        apps,
        service_principals,
        sign_ins,
        tuple(notes),
        counts=counts,
        sign_ins_unread=unread,
        eligibility=eligibility,
    )


# --- configured groups and apps --------------------------------------------------------------------------


def resolve_groups(configured: Sequence[str], directory: Directory) -> list[str]:
    """Object ids or display names; a name matching no group, or two, is a configuration error."""
    by_name: dict[str, list[str]] = {}
    for group_id, group in directory.groups.items():
        by_name.setdefault(group.get("displayName") or "", []).append(group_id)
    resolved, problems = [], []
    for value in configured:
        if _GUID.match(value):
            if value in directory.groups:
                resolved.append(value)
            else:
                problems.append(f"entra.personal_data_groups: no group has the id {value}")
            continue
        matches = by_name.get(value, [])
        if len(matches) == 1:
            resolved.append(matches[0])
        else:
            found = "no group" if not matches else f"{len(matches)} groups ({', '.join(sorted(matches))})"
            problems.append(f"entra.personal_data_groups: {value!r} names {found}; use the object id")
    if problems:
        raise ConfigurationError(problems)
    return list(dict.fromkeys(resolved))


def read_apps(client: GraphClient, configured: Sequence[str]) -> tuple[App, ...]:
    paths = [
        f"/servicePrincipals/{v}?$select={APP_SELECT}" if _GUID.match(v) else _by_name(v) for v in configured
    ]
    problems, found = [], []
    for value, item in zip(configured, client.batch_get(paths), strict=True):
        body = item.body or {}
        matches = body.get("value", [body]) if item.status == 200 else []
        if len(matches) != 1:
            what = "no service principal" if not matches else f"{len(matches)} service principals"
            problems.append(f"entra.personal_data_apps: {value!r} names {what}; use the object id")
            continue
        found.append(matches[0])
    if problems:
        raise ConfigurationError(problems)
    assigned = _collections(
        client, [f"/servicePrincipals/{sp['id']}/appRoleAssignedTo" for sp in found], counted=True
    )
    owners = _owners(client, [f"/servicePrincipals/{sp['id']}/owners" for sp in found])
    return tuple(_app(sp, a, o) for sp, a, o in zip(found, assigned, owners, strict=True))


def _by_name(name: str) -> str:
    """The `$batch` item url that finds a service principal by display name. A `$batch` url is a relative
    URL, parsed like any request's: the filter is percent-encoded whole, or a name holding `&`, `#`, `+` or
    `%` would end the value, start a fragment, read as a space or as an escape."""
    quoted = name.replace("'", "''")  # OData escapes a quote by doubling it
    condition = quote(f"displayName eq '{quoted}'", safe="")
    return f"/servicePrincipals?$filter={condition}&$select={APP_SELECT}"


def _app(sp: dict[str, Any], assigned: list[dict[str, Any]], owners: list[dict[str, Any]]) -> App:
    roles = tuple(
        AppRole(r["id"], r.get("value") or "", r.get("displayName") or "") for r in sp.get("appRoles", ())
    )
    assignments = tuple(
        Assignment(a["id"], a["principalId"], a["principalType"], a["appRoleId"]) for a in assigned
    )
    return App(
        sp["id"],
        sp.get("appId") or "",
        sp["displayName"],
        roles,
        assignments,
        tuple(o["id"] for o in owners),
        assignment_required=sp["appRoleAssignmentRequired"],  # selected: its absence fails the sync
    )


# --- batched collections ---------------------------------------------------------------------------------


def _collections(
    client: GraphClient, paths: list[str], *, counted: bool = False
) -> list[list[dict[str, Any]]]:
    """Each path's whole collection: one `$batch` for the first pages, then any nextLinks followed.
    `counted` (paths without a query): each is asked `$count=true` and checked against the count
    (client.complete); short once, it is read again alone (GraphClient.get_counted), which fails the sync
    if it is short again. A lost page must never read as people without access."""
    results = []
    asked = [f"{path}?$count=true" for path in paths] if counted else paths
    for path, item in zip(paths, client.batch_get(asked), strict=True):
        if item.status != 200 or item.body is None or "value" not in item.body:
            raise SourceUnavailable(
                "entra", f"GET {path} answered {item.status} inside $batch", retryable=False
            )
        values = list(item.body["value"])
        if "@odata.nextLink" in item.body:
            values += client.get_all(item.body["@odata.nextLink"])
        if counted and not complete(path, values, item.body.get("@odata.count"), final=False):
            values = client.get_counted(path)
        results.append(values)
    return results


def _owners(client: GraphClient, paths: list[str]) -> list[list[dict[str, Any]]]:
    return _collections(client, [f"{p}?$select=id" for p in paths])


def _service_principal_ids(
    directory: Directory, groups: list[str], apps: tuple[App, ...], owners: list[list[dict[str, Any]]]
) -> set[str]:
    ids = {m for m in closure_members(directory, groups) if directory.kind(m) == "servicePrincipal"}
    for app in apps:
        ids |= {a.principal_id for a in app.assignments if a.principal_type == "ServicePrincipal"}
        ids |= {o for o in app.owners if o not in directory.users}
        for assignment in app.assignments:  # members of assigned groups (direct only)
            if assignment.principal_type == "Group":
                ids |= {
                    m
                    for m in directory.members.get(assignment.principal_id, ())
                    if directory.kind(m) == "servicePrincipal"
                }
    ids |= {
        o["id"]
        for found in owners
        for o in found
        if o.get("@odata.type") == "#microsoft.graph.servicePrincipal"
    }
    return ids


def read_service_principals(client: GraphClient, ids: list[str]) -> dict[str, ServicePrincipalInfo]:
    paths = [f"/servicePrincipals/{i}?$select=id,displayName,accountEnabled" for i in ids]
    found = {}
    for object_id, item in zip(ids, client.batch_get(paths), strict=True):
        if item.status == 404:
            continue  # deleted since it was listed: it holds nothing any more
        if item.status != 200 or item.body is None:
            raise SourceUnavailable("entra", f"service principal {object_id}: {item.status}", retryable=False)
        found[object_id] = ServicePrincipalInfo(
            object_id, item.body["displayName"], item.body.get("accountEnabled")
        )
    return found


def read_sign_ins(
    client: GraphClient, directory: Directory, refresh: timedelta, now: datetime, notes: list[str]
) -> tuple[dict[str, datetime | None] | None, str | None]:
    """Last sign-in per user; or None and why it could not be read (then unknown, never "inactive"): the app
    lacks AuditLog.Read.All, or the tenant lacks the Microsoft Entra ID P1/P2 licence signInActivity needs.

    Graph has no delta for sign-in activity, and reading it costs a pass over every user; it is reread
    when older than `refresh` (a day by default: the resolution "inactive for N days" needs)."""
    read_at = datetime.fromisoformat(directory.sign_ins_read_at) if directory.sign_ins_read_at else None
    if directory.sign_ins is None or read_at is None or now - read_at >= refresh:
        try:
            users = client.get_all("/users", {"$select": "id,signInActivity", "$top": "999"})
        except NotLicensed as exc:
            notes.append(
                "sign-in activity unavailable: the tenant has no Microsoft Entra ID P1 or P2 license "
                f"({exc}); last sign-in is unknown, never 'inactive'"
            )
            directory.sign_ins, directory.sign_ins_read_at = None, None
            return None, "unavailable: the tenant has no Microsoft Entra ID P1 or P2 license"
        except Misconfigured as exc:
            notes.append(f"sign-in activity not readable ({exc}): last sign-in is unknown, never 'inactive'")
            directory.sign_ins, directory.sign_ins_read_at = None, None
            return None, "not permitted: AuditLog.Read.All"
        directory.sign_ins = {u["id"]: _last_sign_in(u.get("signInActivity")) for u in users}
        directory.sign_ins_read_at = now.isoformat()
    else:
        notes.append(f"sign-in activity as read at {directory.sign_ins_read_at} (refreshed every {refresh})")
    return {user: datetime.fromisoformat(t) if t else None for user, t in directory.sign_ins.items()}, None


def _last_sign_in(activity: dict[str, Any] | None) -> str | None:
    if not activity:
        return None
    times = [activity.get("lastSignInDateTime"), activity.get("lastNonInteractiveSignInDateTime")]
    parsed = [datetime.fromisoformat(t.replace("Z", "+00:00")) for t in times if t]
    return max(parsed).isoformat() if parsed else None
