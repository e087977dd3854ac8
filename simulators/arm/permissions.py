"""The caller's own Azure RBAC permissions: an action it lacks answers 403 `AuthorizationFailed`, as ARM does.

`allowed` holds action patterns as role definitions write them ("*/read", "Microsoft.Authorization/*");
None allows everything. Wildcards match any characters, across segments, and actions compare without regard
to case ("Azure resource provider operations": operation strings are case-insensitive; the built-in role
Contributor's NotActions spell "Microsoft.Authorization/*/Write"). The check is not scope-aware: the
simulator's caller either holds an action everywhere or nowhere, which is what a least-privilege test needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from simulators.arm.errors import ArmError


@lru_cache(maxsize=1024)
def _pattern(action: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in action.split("*")), re.IGNORECASE)


def action_matches(pattern: str, action: str) -> bool:
    """Whether a role's action pattern (with `*` wildcards) covers an operation."""
    return _pattern(pattern).fullmatch(action) is not None


def authorize(action: str, scope: str, allowed: Iterable[str] | None, caller: str) -> None:
    """Raises ARM's 403 when no allowed pattern covers the action."""
    if allowed is None or any(action_matches(p, action) for p in allowed):
        return
    raise ArmError(
        403,
        "AuthorizationFailed",
        f"The client '{caller}' with object id '{caller}' does not have authorization to perform action "
        f"'{action}' over scope '{scope or '/'}' or the scope is invalid. If access was recently granted, "
        "please refresh your credentials.",
    )
