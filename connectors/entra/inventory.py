"""What the Entra fetch hands to the pure access computation: the directory mirror plus what only matters
for the configured personal-data groups and apps (their owners, app roles and assignments) and the sign-in
activity of users. Plain values: no SDK object crosses this line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from connectors.entra.directory import Directory


@dataclass(frozen=True, slots=True)
class AppRole:
    id: str
    value: str  # "" for the default access role (all zeros id)
    display_name: str


@dataclass(frozen=True, slots=True)
class Assignment:
    id: str
    principal_id: str
    principal_type: str  # User | Group | ServicePrincipal
    app_role_id: str


@dataclass(frozen=True, slots=True)
class App:
    """A personal-data enterprise app (service principal)."""

    id: str
    app_id: str
    display_name: str
    roles: tuple[AppRole, ...]
    assignments: tuple[Assignment, ...]
    owners: tuple[str, ...]  # object ids
    # `appRoleAssignmentRequired`: False lets every user of the tenant sign in, assigned or not
    assignment_required: bool = True


@dataclass(frozen=True, slots=True)
class Eligibility:
    """A PIM for Groups eligibility: `principal_id` may activate `access` (member | owner) of the group
    at any time until `end` (None: no end). A principal that is a group makes its members eligible."""

    group_id: str
    principal_id: str
    access: str
    end: datetime | None


@dataclass(frozen=True, slots=True)
class ServicePrincipalInfo:
    id: str
    display_name: str
    enabled: bool | None


@dataclass(frozen=True)
class EntraInventory:
    taken_at: datetime
    directory: Directory
    groups: tuple[str, ...]  # personal-data group ids
    group_owners: dict[str, tuple[str, ...]]
    apps: tuple[App, ...]
    service_principals: dict[str, ServicePrincipalInfo]  # every service principal that holds access
    # user id -> last sign-in (None: never signed in); None for the whole map: not permitted to read it
    sign_ins: dict[str, datetime | None] | None
    notes: tuple[str, ...] = field(default=())
    counts: dict[str, int] = field(default_factory=dict)  # how it was read: full_sync, delta_resets
    # why `sign_ins` is None: "not permitted: AuditLog.Read.All", or the tenant lacks Entra ID P1/P2
    sign_ins_unread: str | None = "not permitted: AuditLog.Read.All"
    # PIM for Groups: personal-data group id -> its direct eligibilities (empty when not read: see notes)
    eligibility: dict[str, tuple[Eligibility, ...]] = field(default_factory=dict)

    @property
    def sign_ins_read_at(self) -> datetime | None:
        """When `sign_ins` was read from Graph (it is reread only every `sign_in_refresh_hours`): no sign-in
        after it is in the map. None: not read."""
        read_at = self.directory.sign_ins_read_at
        return datetime.fromisoformat(read_at) if read_at and self.sign_ins is not None else None
