"""Which operations a role definition (or deny assignment) covers, as Azure RBAC computes it. Pure.

Per permission block, `Actions - NotActions` gives the control-plane operations and, separately,
`DataActions - NotDataActions` the data-plane ones; a role covers the union over its blocks ("Understand
Azure role definitions", Microsoft Learn). The planes never mix: a control-plane wildcard (`*`, `*/read`)
matches no data action. `*` matches any run of characters, `/` included (`Microsoft.Network/*/read`), and
operation strings compare case-insensitively (the built-in Contributor's `Microsoft.Authorization/*/Write`
is what excludes `Microsoft.Authorization/roleAssignments/write`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from functools import lru_cache

from connectors.azure.model import Permission


class Plane(StrEnum):
    CONTROL = "control"  # Actions / NotActions, authorized by Azure Resource Manager
    DATA = "data"  # DataActions / NotDataActions


@lru_cache(maxsize=65536)
def _compiled(pattern: str) -> re.Pattern[str]:
    if not pattern:
        raise ValueError("an empty action string in a role definition")
    parts = (re.escape(part) for part in pattern.split("*"))
    return re.compile(".*".join(parts), re.IGNORECASE | re.DOTALL)


def matches(pattern: str, operation: str) -> bool:
    """Whether an action string (maybe with `*` wildcards) covers one concrete operation."""
    return _compiled(pattern).fullmatch(operation) is not None


def _any(patterns: Iterable[str], operation: str) -> bool:
    return any(matches(pattern, operation) for pattern in patterns)


def block_covers(block: Permission, operation: str, plane: Plane) -> bool:
    """One permission block: the operation is in its allowed list and not in its excluded one."""
    if plane is Plane.CONTROL:
        return _any(block.actions, operation) and not _any(block.not_actions, operation)
    return _any(block.data_actions, operation) and not _any(block.not_data_actions, operation)


def covers(permissions: Iterable[Permission], operation: str, plane: Plane) -> bool:
    """The union over blocks: `NotActions` of one block never takes away what another block allows."""
    return any(block_covers(block, operation, plane) for block in permissions)
