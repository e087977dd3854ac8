"""Ending a PIM for Groups eligibility, and restoring it (the undo), with the read that verifies either.

"`adminRemove`: For administrators to remove principals from group membership or ownership eligibilities"
and "`adminAssign`: For administrators to assign group membership or ownership eligibility to principals"
(Graph v1.0, "Create eligibilityScheduleRequest": `POST /identityGovernance/privilegedAccess/group/
eligibilityScheduleRequests`, permission `PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup`). The undo
assigns the eligibility again with the end date it had. Only a direct eligibility is ended: one held through
an eligible group serves every member of that group (planning refuses it, naming what to change).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from connectors.entra.client import GraphClient
from connectors.entra.eligibility import SCHEDULES, eligibility_label, schedule_end
from reviews.entitlements import Grant, PathStep, RevocationAction, System
from reviews.errors import NotFound

REMOVE_ELIGIBILITY, ADD_ELIGIBILITY = "remove_group_eligibility", "add_group_eligibility"
REQUESTS = "/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests"


def _schedules(client: GraphClient, group_id: str, principal_id: str, access: str) -> list[dict[str, Any]]:
    found = client.get_all(
        SCHEDULES, {"$filter": f"groupId eq '{group_id}' and principalId eq '{principal_id}'"}
    )
    return [s for s in found if s["accessId"] == access and str(s["memberType"]).lower() != "group"]


def plan_remove_eligibility(
    client: GraphClient, *, grant: Grant, step: PathStep
) -> tuple[RevocationAction, RevocationAction]:
    """The adminRemove of this principal's direct eligibility, and the adminAssign that restores it."""
    access = "owner" if step.kind == "eligible_owner" else "member"
    group, principal = step.id, grant.principal_provider_id
    found = _schedules(client, group, principal, access)
    if not found:
        raise NotFound(f"{principal} is no longer eligible {access} of {step.name}: nothing to revoke")
    end = schedule_end(found[0])
    group_name = grant.store_name or group
    who = f"{grant.principal_name} ({principal})" if grant.principal_name else principal
    params = tuple(
        sorted(
            {
                "group_id": group,
                "principal_id": principal,
                "access_id": access,
                "end": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if end else "",  # Graph's form
            }.items()
        )
    )
    return (
        RevocationAction(
            System.ENTRA,
            REMOVE_ELIGIBILITY,
            params,
            f"end {who}'s eligible {access}ship of group {group_name}",
        ),
        RevocationAction(
            System.ENTRA,
            ADD_ELIGIBILITY,
            params,
            f"make {who} eligible {access} of group {group_name} again ({eligibility_label(end)})",
        ),
    )


def has_eligibility(client: GraphClient, action: RevocationAction) -> bool:
    return bool(
        _schedules(client, action.param("group_id"), action.param("principal_id"), action.param("access_id"))
    )


def remove_eligibility(client: GraphClient, action: RevocationAction) -> None:
    client.post(REQUESTS, {**_target(action), "action": "adminRemove", "justification": _WHY})


def add_eligibility(client: GraphClient, action: RevocationAction) -> None:
    end = action.param("end")
    expiration = {"type": "afterDateTime", "endDateTime": end} if end else {"type": "noExpiration"}
    client.post(
        REQUESTS,
        {
            **_target(action),
            "action": "adminAssign",
            "scheduleInfo": {"expiration": expiration},
            "justification": "Recertify: a revocation undone",
        },
    )


_WHY = "Recertify: revoked by an access review"


def _target(action: RevocationAction) -> dict[str, str]:
    return {
        "groupId": action.param("group_id"),
        "principalId": action.param("principal_id"),
        "accessId": action.param("access_id"),
    }
