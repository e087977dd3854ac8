"""Entra revocation primitives: remove a direct group membership, remove an app role assignment, end a PIM
for Groups eligibility (eligibility_revoke.py), revoke a user's sign-in sessions. Each is idempotent (already
absent = done, after a confirming read), keeps its inverse for undo where one exists, and has a verify read.
A dry run reads and never writes.

Only *direct* membership is ever removed, with `DELETE /groups/{id}/members/{member}/$ref` (without `$ref`
Graph would delete the object itself). Access inherited through a nested group is refused with the direct
membership that would have to change instead; dynamic and on-premises-synced groups are refused with why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from connectors.entra.client import GraphClient, GraphNotFound
from connectors.entra.eligibility_revoke import (
    ADD_ELIGIBILITY,
    REMOVE_ELIGIBILITY,
    add_eligibility,
    has_eligibility,
    remove_eligibility,
)
from reviews.entitlements import Grant, RevocationAction, RevocationResult, System
from reviews.errors import RevocationRefused

REMOVE_MEMBER, ADD_MEMBER = "remove_group_member", "add_group_member"
REMOVE_ASSIGNMENT, ADD_ASSIGNMENT = "remove_app_role_assignment", "add_app_role_assignment"
REVOKE_SESSIONS = "revoke_sign_in_sessions"


@dataclass(frozen=True, slots=True)
class PlannedRevocation:
    action: RevocationAction
    inverse: RevocationAction | None  # None: nothing to restore (signed-out sessions come back by signing in)


def _action(kind: str, description: str, **params: str) -> RevocationAction:
    return RevocationAction(System.ENTRA, kind, tuple(sorted(params.items())), description)


def plan_for_group_grant(grant: Grant, *, unchangeable: str | None) -> PlannedRevocation:
    """The one direct membership whose removal ends this grant, or a refusal that says what to change."""
    first = grant.path[0]
    if first.kind != "group":
        raise RevocationRefused(
            f"{grant.principal_provider_id} holds {first.name} as {first.kind}, not by membership"
        )
    if len(grant.path) > 1:
        via = grant.path[-1]
        raise RevocationRefused(
            f"{grant.principal_provider_id} is in {first.name} through nested group {via.name}: remove it "
            f"from {via.name} (or {grant.path[1].name} from {first.name}); inherited membership is not "
            "removed by force"
        )
    if unchangeable:
        raise RevocationRefused(f"{first.name} cannot be changed here: {unchangeable}")
    group, member = first.id, grant.principal_provider_id
    who = named(grant.principal_name, member)
    return PlannedRevocation(
        _action(REMOVE_MEMBER, f"remove {who} from group {first.name}", group_id=group, member_id=member),
        _action(ADD_MEMBER, f"add {who} back to group {first.name}", group_id=group, member_id=member),
    )


def named(name: str, object_id: str) -> str:
    """A directory object as people read it: its name, with the id that identifies it for sure."""
    return f"{name} ({object_id})" if name and name != object_id else object_id


def plan_remove_assignment(
    sp_id: str,
    assignment_id: str,
    principal_id: str,
    app_role_id: str,
    *,
    names: tuple[str, str, str] = ("", "", ""),
) -> PlannedRevocation:
    """`names`: the app role's, the principal's and the app's, for the description (ids when unknown)."""
    keys = {"sp_id": sp_id, "principal_id": principal_id, "app_role_id": app_role_id}
    role, who, app = (named(n, i) for n, i in zip(names, (app_role_id, principal_id, sp_id), strict=True))
    return PlannedRevocation(
        _action(
            REMOVE_ASSIGNMENT,
            f"remove app role {role} of {who} on {app}",
            assignment_id=assignment_id,
            **keys,
        ),
        _action(ADD_ASSIGNMENT, f"assign app role {role} to {who} on {app} again", **keys),
    )


def plan_revoke_sessions(user_id: str) -> PlannedRevocation:
    return PlannedRevocation(
        _action(REVOKE_SESSIONS, f"sign {user_id} out of every session", user_id=user_id), None
    )


# --- state reads: is the access there? -------------------------------------------------------------------


def _is_member(client: GraphClient, action: RevocationAction) -> bool:
    # Counted: a lost page would read as "not a member", and a revocation as done while the access stays.
    members = client.get_counted(f"/groups/{action.param('group_id')}/members", {"$select": "id"})
    return any(m["id"] == action.param("member_id") for m in members)


def _has_assignment(client: GraphClient, action: RevocationAction) -> bool:
    assigned = client.get_counted(f"/servicePrincipals/{action.param('sp_id')}/appRoleAssignedTo")
    return any(
        a["principalId"] == action.param("principal_id") and a["appRoleId"] == action.param("app_role_id")
        for a in assigned
    )


# --- writes ----------------------------------------------------------------------------------------------


def _remove_member(client: GraphClient, action: RevocationAction) -> None:
    client.delete(f"/groups/{action.param('group_id')}/members/{action.param('member_id')}/$ref")


def _add_member(client: GraphClient, action: RevocationAction) -> None:
    base = client.base_url.rstrip("/")
    client.post(
        f"/groups/{action.param('group_id')}/members/$ref",
        {"@odata.id": f"{base}/directoryObjects/{action.param('member_id')}"},
    )


def _remove_assignment(client: GraphClient, action: RevocationAction) -> None:
    assigned = client.get_counted(f"/servicePrincipals/{action.param('sp_id')}/appRoleAssignedTo")
    for a in assigned:  # the planned id, or (after an undo re-created it) the current one for the same role
        if a["principalId"] == action.param("principal_id") and a["appRoleId"] == action.param("app_role_id"):
            client.delete(f"/servicePrincipals/{action.param('sp_id')}/appRoleAssignedTo/{a['id']}")


def _add_assignment(client: GraphClient, action: RevocationAction) -> None:
    client.post(
        f"/servicePrincipals/{action.param('sp_id')}/appRoleAssignedTo",
        {
            "principalId": action.param("principal_id"),
            "resourceId": action.param("sp_id"),
            "appRoleId": action.param("app_role_id"),
        },
    )


def _revoke_sessions(client: GraphClient, action: RevocationAction) -> None:
    client.post(f"/users/{action.param('user_id')}/revokeSignInSessions", {})


@dataclass(frozen=True, slots=True)
class _Primitive:
    present: Callable[[GraphClient, RevocationAction], bool]  # does the state the action changes still hold?
    write: Callable[[GraphClient, RevocationAction], None]
    removes: bool  # True: done when absent; False (an undo): done when present again


PRIMITIVES: dict[str, _Primitive] = {
    REMOVE_MEMBER: _Primitive(_is_member, _remove_member, removes=True),
    ADD_MEMBER: _Primitive(_is_member, _add_member, removes=False),
    REMOVE_ASSIGNMENT: _Primitive(_has_assignment, _remove_assignment, removes=True),
    ADD_ASSIGNMENT: _Primitive(_has_assignment, _add_assignment, removes=False),
    REMOVE_ELIGIBILITY: _Primitive(has_eligibility, remove_eligibility, removes=True),
    ADD_ELIGIBILITY: _Primitive(has_eligibility, add_eligibility, removes=False),
}


def apply(client: GraphClient, action: RevocationAction, *, dry_run: bool) -> RevocationResult:
    if action.kind == REVOKE_SESSIONS:  # no state to read back: sessions are revoked, or not at all
        if not dry_run:
            _revoke_sessions(client, action)
        return RevocationResult.DRY_RUN if dry_run else RevocationResult.APPLIED
    primitive = _primitive(action)
    if _done(client, primitive, action):
        return RevocationResult.ALREADY_ABSENT
    if dry_run:
        return RevocationResult.DRY_RUN
    try:
        primitive.write(client, action)
    except GraphNotFound:
        if not _done(client, primitive, action):  # gone for another reason: that is a failure, not success
            raise
        return RevocationResult.ALREADY_ABSENT
    return RevocationResult.APPLIED


def verify(client: GraphClient, action: RevocationAction) -> bool:
    if action.kind == REVOKE_SESSIONS:
        return True  # Graph offers no read-back for revoked sessions; the call's success is the evidence
    return _done(client, _primitive(action), action)


def _primitive(action: RevocationAction) -> _Primitive:
    if action.system is not System.ENTRA or action.kind not in PRIMITIVES:
        raise RevocationRefused(f"not an Entra revocation this version knows: {action.system}:{action.kind}")
    return PRIMITIVES[action.kind]


def _done(client: GraphClient, primitive: _Primitive, action: RevocationAction) -> bool:
    return primitive.present(client, action) != primitive.removes
