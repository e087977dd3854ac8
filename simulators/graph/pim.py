"""Privileged Identity Management for Groups, as the simulated tenant holds it: eligibility schedules.

An eligibility is access its holder can activate at any time ("eligible member/owner"); Graph lists it as a
`privilegedAccessGroupEligibilitySchedule` (Graph v1.0, privilegedAccessGroupEligibilitySchedule resource
type): `groupId`, `principalId`, `accessId` (member | owner), `memberType`, `status` and `scheduleInfo` with
its `expiration` (`noExpiration`, or `afterDateTime` with an `endDateTime`).

`licensed` False stands for a tenant without Microsoft Entra ID P2 / ID Governance (a test control: Graph
decides it from the tenant's licences). The app's PIM permissions are the simulator's like any other
(`GraphSimulator.permissions`, checked by permissions.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

READ = "PrivilegedEligibilitySchedule.Read.AzureADGroup"
WRITE = "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup"


class PimForGroups:
    def __init__(self, new_id: Callable[[], str], now: Callable[[], str]) -> None:
        self._new_id, self._now = new_id, now
        self.schedules: dict[str, dict[str, Any]] = {}  # schedule id -> wire shape
        self.licensed = True

    def add_eligibility(
        self,
        group_id: str,
        principal_id: str,
        *,
        access: str = "member",
        end: datetime | str | None = None,
        member_type: str = "Direct",
    ) -> str:
        """A direct eligibility (as an admin's `adminAssign` makes one); `end` None: it never expires."""
        if access not in ("member", "owner"):
            raise ValueError(f"accessId is owner or member, not {access!r}")
        request_id = self._new_id()
        schedule_id = f"{group_id}_{access}_{request_id}"  # Graph's shape: {groupId}_{accessId}_{requestId}
        end_text = end if isinstance(end, str) or end is None else end.strftime("%Y-%m-%dT%H:%M:%SZ")
        expiration = (
            {"type": "noExpiration", "endDateTime": None, "duration": None}
            if end_text is None
            else {"type": "afterDateTime", "endDateTime": end_text, "duration": None}
        )
        now = self._now()
        self.schedules[schedule_id] = {
            "id": schedule_id,
            "scheduleInfo": {"startDateTime": now, "recurrence": None, "expiration": expiration},
            "createdUsing": request_id,
            "createdDateTime": now,
            "modifiedDateTime": None,
            "status": "Provisioned",
            "memberType": member_type,
            "accessId": access,
            "principalId": principal_id,
            "groupId": group_id,
        }
        return schedule_id

    def find(self, group_id: str, principal_id: str, access: str) -> list[str]:
        """The direct eligibilities of this principal to this group (derived ones cannot be removed alone)."""
        return sorted(
            sid
            for sid, s in self.schedules.items()
            if (s["groupId"], s["principalId"], s["accessId"]) == (group_id, principal_id, access)
            and s["memberType"].lower() == "direct"
        )

    def remove(self, schedule_id: str) -> None:
        del self.schedules[schedule_id]

    def eligible(self, group_id: str) -> list[dict[str, Any]]:
        """Read-back for tests: the group's eligibility schedules."""
        return [dict(s) for s in self.schedules.values() if s["groupId"] == group_id]
