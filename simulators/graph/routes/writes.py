"""Write routes: membership references, app role assignments, user updates and session revocation.

Entra's refusals are reproduced because Recertify must handle them: dynamic and on-premises-synced groups
refuse membership changes (400), so do mail-enabled security groups and distribution lists (403, read-only
through Graph) and role-assignable groups unless the app holds RoleManagement.ReadWrite.Directory (403);
adding an existing member is 400, removing an absent one is 404. `DELETE /groups/{id}/members/{id}` without
`/$ref` would delete the member object itself on Entra; the simulator refuses it with 400 so such a client
bug cannot pass unnoticed.
"""

from __future__ import annotations

import re
from typing import Any

from simulators.graph.errors import GraphError, not_found
from simulators.graph.protocol import Context, Request, Response
from simulators.graph.state import DEFAULT_APP_ROLE

_REF = re.compile(r".*/(?:directoryObjects|users|groups|servicePrincipals)/([^/?]+)")
_PATCHABLE = {"accountEnabled": "enabled", "displayName": "display_name", "mail": "mail"}


def _bad(message: str) -> GraphError:
    return GraphError(400, "Request_BadRequest", message)


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.body, dict):
        raise _bad("The request body must be a JSON object.")
    return request.body


def _changeable_group(ctx: Context, gid: str) -> None:
    group = ctx.tenant.groups.get(gid)
    if group is None:
        raise not_found(gid)
    if "DynamicMembership" in group["groupTypes"]:
        raise _bad(
            "Insufficient privileges to complete the operation: "
            "the members of a dynamic group are set by its rule."
        )
    if group["onPremisesSyncEnabled"]:
        raise _bad(
            "Unable to update the specified properties for on-premises mastered Directory Sync objects "
            "or objects currently undergoing migration."
        )
    # "Troubleshoot 403 error when adding a user to a group by using Microsoft Graph API": 403
    # Authorization_RequestDenied "Insufficient privileges to complete the operation." when "the group …
    # can't be managed by Microsoft Graph. Microsoft Graph supports only Microsoft 365 groups and Security
    # groups" ("Working with groups in Microsoft Graph": mail-enabled security groups and distribution
    # groups are read-only through Microsoft Graph).
    if group["mailEnabled"] and "Unified" not in group["groupTypes"]:
        raise _denied()
    # Add members: "To add members to a role-assignable group, the app must also be assigned the
    # RoleManagement.ReadWrite.Directory permission".
    granted = ctx.permissions or frozenset()
    if group.get("isAssignableToRole") and "RoleManagement.ReadWrite.Directory" not in granted:
        raise _denied()


def _denied() -> GraphError:
    return GraphError(
        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
    )


def add_member_ref(ctx: Context, request: Request, gid: str) -> Response:
    _changeable_group(ctx, gid)
    match = _REF.fullmatch(str(_body(request).get("@odata.id", "")))
    if not match:
        raise _bad("Invalid object identifier: @odata.id must reference a directory object.")
    member = match.group(1)
    if not ctx.tenant.exists(member):
        raise not_found(member)
    if not ctx.tenant.add_member(gid, member):
        raise _bad(
            "One or more added object references already exist "
            "for the following modified properties: 'members'."
        )
    return Response(204)


def remove_member_ref(ctx: Context, request: Request, gid: str, member: str) -> Response:
    _changeable_group(ctx, gid)
    if not ctx.tenant.remove_member(gid, member):
        raise not_found(member)
    return Response(204)


def refuse_member_object_delete(ctx: Context, request: Request, gid: str, member: str) -> Response:
    raise _bad(
        "DELETE /groups/{id}/members/{id} without /$ref deletes the member object itself; the simulator "
        "refuses it. Remove a membership with DELETE /groups/{id}/members/{id}/$ref."
    )


def assign(ctx: Context, request: Request, spid: str) -> Response:
    sp = ctx.tenant.service_principals.get(spid)
    if sp is None:
        raise not_found(spid)
    body = _body(request)
    principal, resource, role = body.get("principalId"), body.get("resourceId"), body.get("appRoleId")
    if not (isinstance(principal, str) and isinstance(resource, str) and isinstance(role, str)):
        raise _bad("principalId, resourceId and appRoleId are required.")
    if resource != spid:
        raise _bad("resourceId must be the service principal in the request URL.")
    if ctx.tenant.odata_type(principal) not in ("#microsoft.graph.user", "#microsoft.graph.group",
                                                 "#microsoft.graph.servicePrincipal"):  # fmt: skip
        raise not_found(principal)
    if role != DEFAULT_APP_ROLE and role not in {r["id"] for r in sp["appRoles"]}:
        raise _bad("Permission being assigned was not found on application.")
    existing = ctx.tenant.app_role_assignments[spid].values()
    if any(a["principalId"] == principal and a["appRoleId"] == role for a in existing):
        raise _bad("Permission being assigned already exists on the object.")
    aid = ctx.tenant.assign_app_role(spid, principal, role)
    created = ctx.tenant.app_role_assignments[spid][aid]
    return Response(
        201, {"@odata.context": f"{ctx.base_url}/$metadata#appRoleAssignments/$entity", **created}
    )


def unassign(ctx: Context, request: Request, spid: str, aid: str) -> Response:
    if spid not in ctx.tenant.service_principals:
        raise not_found(spid)
    if not ctx.tenant.unassign_app_role(spid, aid):
        raise not_found(aid)
    return Response(204)


def revoke_sessions(ctx: Context, request: Request, uid: str) -> Response:
    if uid not in ctx.tenant.users:
        raise not_found(uid)
    ctx.tenant.revoke_sign_in_sessions(uid)
    return Response(200, {"@odata.context": f"{ctx.base_url}/$metadata#Edm.Boolean", "value": True})


def patch_user(ctx: Context, request: Request, uid: str) -> Response:
    if uid not in ctx.tenant.users:
        raise not_found(uid)
    body = _body(request)
    unknown = sorted(set(body) - set(_PATCHABLE))
    if unknown:
        raise _bad(f"Property '{unknown[0]}' cannot be updated by this simulator.")
    ctx.tenant.update_user(uid, **{_PATCHABLE[k]: v for k, v in body.items()})
    return Response(204)


def register(ctx: Context) -> None:
    ctx.route("POST", "/groups/{}/members/$ref", add_member_ref)
    ctx.route("DELETE", "/groups/{}/members/{}/$ref", remove_member_ref)
    ctx.route("DELETE", "/groups/{}/members/{}", refuse_member_object_delete)
    ctx.route("POST", "/servicePrincipals/{}/appRoleAssignedTo", assign)
    ctx.route("DELETE", "/servicePrincipals/{}/appRoleAssignedTo/{}", unassign)
    ctx.route("POST", "/users/{}/revokeSignInSessions", revoke_sessions)
    ctx.route("PATCH", "/users/{}", patch_user)
