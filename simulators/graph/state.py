"""The tenant's state: plain dicts and sets behind one lock, plus a change log that drives delta.

Objects are stored in (almost) wire shape so serving a page is a cheap projection. Every mutation made after
construction appends to `log`; delta tokens are positions in that log. The generator fills the dicts directly
and leaves the log empty, so a million memberships cost no log entries. Mutators live in `tenant.py`.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from simulators.graph.pim import PimForGroups

USER, GROUP, SP = "#microsoft.graph.user", "#microsoft.graph.group", "#microsoft.graph.servicePrincipal"
DEFAULT_APP_ROLE = "00000000-0000-0000-0000-000000000000"  # "default access": apps without roles
LogEntry = tuple[str, str, str | None]  # (op, object id, detail) — ops documented in changes.py


def iso(value: datetime) -> str:
    if value.tzinfo is None:  # naive datetimes are taken as UTC, never as local time
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TenantState:
    """Storage, lookups and read-backs. Everything takes `lock`; the server holds it while it routes."""

    def __init__(self, *, seed: int | None = None, clock: Callable[[], datetime] | None = None) -> None:
        self.lock = threading.RLock()
        self._rng = random.Random(seed)  # noqa: S311 - seeded → the same ids on every run
        self._clock = clock or (lambda: datetime.now(UTC))
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.service_principals: dict[str, dict[str, Any]] = {}
        self.others: dict[str, dict[str, Any]] = {}  # objects of a type Recertify does not know
        self.members: dict[str, set[str]] = {}  # group id -> direct member ids
        self.owners: dict[str, set[str]] = {}  # group or service principal id -> owner ids
        self.managers: dict[str, str] = {}  # user id -> manager id
        self.app_role_assignments: dict[str, dict[str, dict[str, Any]]] = {}  # sp id -> id -> wire
        self.tombstones: dict[str, tuple[str, str]] = {}  # deleted id -> (@odata.type, removal reason)
        self.log: list[LogEntry] = []
        self.revoked_sessions: list[str] = []
        self.membership_version = 0  # bumps on any membership change: invalidates transitive caches
        self._sorted: dict[str, list[str]] = {}  # sorted id lists, dropped on change
        self.pim = PimForGroups(self.new_id, lambda: iso(self._clock()))  # PIM for Groups eligibility

    def now(self) -> datetime:
        """The tenant's clock (a test may move it to age delta links)."""
        return self._clock()

    # ---- identity helpers -------------------------------------------------------------------------
    def new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def odata_type(self, object_id: str) -> str | None:
        if object_id in self.users:
            return USER
        if object_id in self.groups:
            return GROUP
        if object_id in self.service_principals:
            return SP
        other = self.others.get(object_id)
        return None if other is None else str(other["@odata.type"])

    def sorted_ids(self, key: str) -> list[str]:
        """Sorted ids of "users", "groups", "servicePrincipals" or "members:<gid>"; cached until changed."""
        cached = self._sorted.get(key)
        if cached is None:
            if key.startswith("members:"):
                cached = sorted(self.members.get(key[8:], ()))
            else:
                source = {
                    "users": self.users,
                    "groups": self.groups,
                    "servicePrincipals": self.service_principals,
                }
                cached = sorted(source[key])
            self._sorted[key] = cached
        return cached

    def _changed(self, key: str) -> None:
        self._sorted.pop(key, None)

    def _require(self, store: dict[str, Any], object_id: str, what: str) -> dict[str, Any]:
        try:
            return store[object_id]
        except KeyError:
            raise KeyError(f"no {what} {object_id}") from None

    def _membership_changed(self, gid: str, op: str, member_id: str) -> None:
        self.membership_version += 1
        self._changed(f"members:{gid}")
        self.log.append((op, gid, member_id))

    def _forget_links(self, object_id: str) -> None:
        """Drop an object being deleted from groups, owner lists and app role assignments."""
        for gid, members in self.members.items():
            if object_id in members:
                members.discard(object_id)
                self._membership_changed(gid, "m-", object_id)
        for owners in self.owners.values():
            owners.discard(object_id)
        for assignments in self.app_role_assignments.values():
            for aid in [a for a, v in assignments.items() if v["principalId"] == object_id]:
                del assignments[aid]
        self.app_role_assignments.pop(object_id, None)

    # ---- read-back for tests ----------------------------------------------------------------------
    def direct_members(self, gid: str) -> set[str]:
        with self.lock:
            return set(self.members[gid])

    def transitive_members(self, gid: str) -> set[str]:
        with self.lock:
            seen: set[str] = set()
            stack = [gid]
            while stack:
                for member in self.members.get(stack.pop(), ()):
                    if member not in seen and member != gid:
                        seen.add(member)
                        if member in self.groups:
                            stack.append(member)
            return seen

    def owners_of(self, object_id: str) -> set[str]:
        with self.lock:
            return set(self.owners.get(object_id, ()))

    def assignments(self, sp_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(a) for a in self.app_role_assignments[sp_id].values()]

    def user(self, uid: str) -> dict[str, Any]:
        with self.lock:
            return {**self.users[uid], "managerId": self.managers.get(uid)}

    def exists(self, object_id: str) -> bool:
        with self.lock:
            return self.odata_type(object_id) is not None

    def membership_count(self) -> int:
        with self.lock:
            return sum(len(m) for m in self.members.values())

    def user_ids(self) -> list[str]:
        with self.lock:
            return list(self.users)

    def group_ids(self) -> list[str]:
        with self.lock:
            return list(self.groups)

    def service_principal_ids(self) -> list[str]:
        with self.lock:
            return list(self.service_principals)
