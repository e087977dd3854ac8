"""PIM for Groups eligibility of the personal-data groups: reading it ("get") and the grants it gives (pure).

An eligible member or owner can activate that access at any time, without anyone's approval unless the
group's PIM policy asks for one: it is access to review like the rest. Graph lists it per group ("List
eligibilitySchedules": "This method requires the `$filter` (`eq`) query parameter to scope the request to a
**principalId** or a **groupId**"), needing `PrivilegedEligibilitySchedule.Read.AzureADGroup`. A missing
permission fails the sync, naming it (connectors/entra/graph/errors.py): a hidden reader must never be
skipped in silence. A tenant without Entra ID P2 / ID Governance has no PIM; Graph refuses the read
(`AadPremiumLicenseRequired`) and the sync fails, saying to set `entra.pim_for_groups = false`, which turns
the read off and says so in every sync's notes.

Only direct eligibilities are read: a schedule whose `memberType` is `group` is derived from a group's
eligibility, whose members are expanded here like a group's members (nested, breadth first).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from connectors.entra.client import GraphClient
from connectors.entra.graph.errors import LicenceRequired
from connectors.entra.inventory import Eligibility, EntraInventory
from connectors.entra.nesting import exists, principals_through
from reviews.entitlements import AccessLevel, Grant, PathStep
from reviews.errors import Misconfigured, SourceUnavailable

SCHEDULES = "/identityGovernance/privilegedAccess/group/eligibilitySchedules"
STEP_KINDS = {"member": "eligible_member", "owner": "eligible_owner"}
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


def read_eligibility(
    client: GraphClient, groups: Sequence[str], *, enabled: bool, now: datetime, notes: list[str]
) -> dict[str, tuple[Eligibility, ...]]:
    if not enabled:
        notes.append(
            "PIM for Groups eligibility not read (entra.pim_for_groups = false): eligible members and "
            "owners of personal-data groups are not listed"
        )
        return {}
    found: dict[str, tuple[Eligibility, ...]] = {}
    derived = 0
    for group_id in groups:
        try:
            schedules = client.get_all(SCHEDULES, {"$filter": f"groupId eq '{group_id}'"})
        except LicenceRequired as exc:
            raise Misconfigured(
                f"{exc}. PIM for Groups needs Microsoft Entra ID P2 or ID Governance; a tenant without "
                "it has no eligible members or owners: set `pim_for_groups = false` under [entra]"
            ) from None
        direct = [s for s in schedules if str(_required(s, "memberType")).lower() != "group"]
        derived += len(schedules) - len(direct)
        parsed = [_eligibility(group_id, s) for s in direct]
        found[group_id] = tuple(e for e in parsed if e.end is None or e.end > now)  # an expired one is gone
    if derived:
        notes.append(
            f"{derived} PIM eligibility schedule(s) derived from a group's eligibility: read as its members"
        )
    return found


def _eligibility(group_id: str, schedule: dict[str, Any]) -> Eligibility:
    access = _required(schedule, "accessId")
    if access not in STEP_KINDS:
        raise _unreadable(schedule, f"unknown accessId {access!r}")
    return Eligibility(group_id, _required(schedule, "principalId"), access, schedule_end(schedule))


def _required(schedule: dict[str, Any], name: str) -> Any:
    """A field the schedule must carry: its absence fails the sync, naming it (never a guessed default)."""
    if schedule.get(name) is None:
        raise _unreadable(schedule, f"no {name}")
    return schedule[name]


def _unreadable(schedule: dict[str, Any], why: str) -> SourceUnavailable:
    return SourceUnavailable(
        "entra", f"PIM eligibility schedule {schedule.get('id')}: {why}", retryable=False
    )


def schedule_end(schedule: dict[str, Any]) -> datetime | None:
    """When the eligibility ends (None: `noExpiration`), from `scheduleInfo.expiration`; anything this
    version cannot read fails the sync rather than being taken for "no end"."""
    info = _required(schedule, "scheduleInfo")
    expiration = info.get("expiration") if isinstance(info, dict) else None
    if not isinstance(expiration, dict) or not expiration.get("type"):
        raise _unreadable(schedule, "no scheduleInfo.expiration.type")
    kind = str(expiration["type"]).lower()
    if kind == "noexpiration":
        return None
    if kind == "afterdatetime" and isinstance(expiration.get("endDateTime"), str):
        return _time(expiration["endDateTime"])
    match = _DURATION.match(str(expiration.get("duration")))
    if kind == "afterduration" and match and isinstance(info.get("startDateTime"), str):
        days, hours, minutes = (int(g or 0) for g in match.groups())
        return _time(info["startDateTime"]) + timedelta(days=days, hours=hours, minutes=minutes)
    raise _unreadable(schedule, f"expiration {expiration!r} not understood")


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def eligibility_label(end: datetime | None) -> str:
    return f"eligible until {end:%Y-%m-%d}" if end else "eligible, no end"


# --- the grants eligibility gives (pure) ------------------------------------------------------------------


def eligible_grants(inventory: EntraInventory, member_level: AccessLevel) -> Iterator[Grant]:
    """Eligible owners hold admin, eligible members `member_level`, as active ones do. An eligible group's
    members are eligible through it, at any depth of nesting (breadth first: the shortest path)."""
    directory = inventory.directory
    for group_id, eligibilities in inventory.eligibility.items():
        name = directory.groups[group_id]["displayName"]
        for e in sorted(eligibilities, key=lambda e: (e.access, e.principal_id)):
            level = AccessLevel.ADMIN if e.access == "owner" else member_level
            first = PathStep(STEP_KINDS[e.access], group_id, f"{name}: {eligibility_label(e.end)}")
            kind = directory.kind(e.principal_id)
            if kind == "group" and e.principal_id in directory.groups:
                yield from _through_group(inventory, group_id, e.principal_id, level, first)
            elif exists(inventory, e.principal_id):
                yield Grant(group_id, e.principal_id, level, (first,))


def _through_group(
    inventory: EntraInventory, store: str, eligible: str, level: AccessLevel, first: PathStep
) -> Iterator[Grant]:
    start = (first, PathStep("group", eligible, inventory.directory.groups[eligible]["displayName"]))
    for member, path in principals_through(inventory, eligible, start):
        yield Grant(store, member, level, path)


def principal_ids(eligibility: dict[str, tuple[Eligibility, ...]]) -> set[str]:
    return {e.principal_id for found in eligibility.values() for e in found}
