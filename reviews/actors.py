"""Who is acting, as the use cases see it. Authorization is decided in the use cases from this, never in a
Slack handler or a CLI command (DESIGN §3.10).

The CLI runs with the database's own credentials, so its operator is an admin (whoever can run it could
also edit the tables), unless it runs with `--role auditor` (or RECERTIFY_ROLE=auditor): then every use case
refuses what writes, and the database connection itself is read-only. Slack users get their roles from
`[slack] admins` / `auditors`.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # defines cycles, starts and closes campaigns, approves held revocations
    AUDITOR = "auditor"  # reads everything, writes nothing


@dataclass(frozen=True, slots=True)
class Actor:
    """`id` is what the audit chain records: "cli:<os user>", "slack:<user id>", "system:scheduler"."""

    id: str
    person_id: int | None = None  # the person behind it, when known (decisions need one)
    roles: frozenset[Role] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles


SCHEDULER = Actor("system:scheduler", roles=frozenset({Role.ADMIN}))


def cli_operator(role: Role = Role.ADMIN) -> Actor:
    """Admins read everything auditors read (as in Slack)."""
    roles = {Role.ADMIN, Role.AUDITOR} if role is Role.ADMIN else {role}
    return Actor(f"cli:{_login_name()}", roles=frozenset(roles))


def _login_name() -> str:
    """The operator's login name; a uid with no passwd entry (a container run with an arbitrary uid, as
    OpenShift does) is named by its number rather than stopping every command."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid{os.getuid()}"
