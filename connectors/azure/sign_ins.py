"""Last sign-in of the users an Azure read names, from Microsoft Graph's `signInActivity` (issue 19 §3:
"sign-in activity of the principal from the Entra source as the upper bound … unknown stays unknown").

Azure RBAC is reached only with tokens Entra issues, so a user's last sign-in bounds the use of every role
assignment they hold, as on the Entra source (connectors/entra/transform.py `_sign_in`). `signInActivity`
"Provides the last interactive or non-interactive sign-in attempt time for a specific user"; the later of
`lastSignInDateTime` and `lastNonInteractiveSignInDateTime` is taken (token refreshes are non-interactive).
It is read per user (`GET /users/{id}?$select=id,signInActivity`, in `$batch`; Graph supports it on a user
by object id) and needs AuditLog.Read.All and a Microsoft Entra ID P1 or P2 licence: without either, Graph
answers 403 and every user's last sign-in is unknown (never "inactive"), with the reason. Service principals
and managed identities carry no `signInActivity` in Graph v1.0: theirs stays unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.azure.directory_read import Graph
from connectors.entra.graph.errors import NON_PREMIUM_CODE, GraphRefused
from reviews.errors import SourceUnavailable

SOURCE = "azure"
NOT_PERMITTED = "not permitted: AuditLog.Read.All"
NOT_LICENSED = "unavailable: the tenant has no Microsoft Entra ID P1 or P2 license"


@dataclass(frozen=True, slots=True)
class SignIns:
    """Lower-case user id -> last sign-in (None: never signed in), read at `read_at`; or `by_user` None and
    `unread` why. A user missing from `by_user` was not read (deleted between the reads)."""

    by_user: dict[str, datetime | None] | None
    read_at: datetime
    unread: str | None = None


def read_sign_ins(graph: Graph, user_ids: Iterable[str], *, now: datetime) -> SignIns:
    users = sorted({u.lower(): u for u in user_ids}.values(), key=str.lower)
    paths = [f"users/{user}?$select=id,signInActivity" for user in users]
    try:
        items = graph.batch_get(paths)
    except GraphRefused as exc:
        if exc.status != 403:
            raise
        return SignIns(None, now, NOT_LICENSED if exc.code == NON_PREMIUM_CODE else NOT_PERMITTED)
    found: dict[str, datetime | None] = {}
    for user, item in zip(users, items, strict=True):
        if item.status == 404:  # deleted since the directory read: not read, so unknown
            continue
        if item.status != 200 or not isinstance(item.body, dict):
            what = f"GET users/{user} (signInActivity): {item.status}"
            raise SourceUnavailable(SOURCE, what, retryable=False)
        found[user.lower()] = last_sign_in(item.body.get("signInActivity"))
    return SignIns(found, now)


def last_sign_in(activity: dict[str, Any] | None) -> datetime | None:
    """The later of the interactive and non-interactive sign-ins; None for a user who never signed in."""
    if not activity:
        return None
    times = [activity.get("lastSignInDateTime"), activity.get("lastNonInteractiveSignInDateTime")]
    parsed = [datetime.fromisoformat(str(t).replace("Z", "+00:00")) for t in times if t]
    return max(parsed) if parsed else None
