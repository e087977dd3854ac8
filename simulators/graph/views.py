"""Stored objects → wire JSON: default property sets, `$select`, and per-type property names.

Defaults follow Graph v1.0: a user without `$select` has only the basic profile (no accountEnabled, userType,
createdDateTime, onPremisesSyncEnabled, signInActivity), so a client must select what it needs, as on Entra.
"""

from __future__ import annotations

from typing import Any

from simulators.graph.errors import GraphError
from simulators.graph.state import GROUP, SP, USER
from simulators.graph.tenant import Tenant

USER_DEFAULT = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)
USER_PROPS = frozenset(
    USER_DEFAULT
    + (
        "accountEnabled",
        "userType",
        "createdDateTime",
        "onPremisesSyncEnabled",
        "signInActivity",
        "department",
    )
)
GROUP_PROPS = frozenset(
    (
        "id",
        "displayName",
        "description",
        "groupTypes",
        "membershipRule",
        "membershipRuleProcessingState",
        "onPremisesSyncEnabled",
        "securityEnabled",
        "mailEnabled",
        "isAssignableToRole",
        "createdDateTime",
    )
)
SP_PROPS = frozenset(
    (
        "id",
        "appId",
        "displayName",
        "accountEnabled",
        "servicePrincipalType",
        "appRoles",
        "appRoleAssignmentRequired",
    )
)
ASSIGNMENT_PROPS = frozenset(
    (
        "id",
        "deletedDateTime",
        "appRoleId",
        "createdDateTime",
        "principalDisplayName",
        "principalId",
        "principalType",
        "resourceDisplayName",
        "resourceId",
    )
)
PROPS_BY_TYPE = {USER: USER_PROPS, GROUP: GROUP_PROPS, SP: SP_PROPS}
DIRECTORY_OBJECT_PROPS = USER_PROPS | GROUP_PROPS | SP_PROPS
TYPE_NAMES = {
    USER: "microsoft.graph.user",
    GROUP: "microsoft.graph.group",
    SP: "microsoft.graph.servicePrincipal",
}
# Type-cast path segments: Graph documents "microsoft.graph.user"; the Python SDK sends "graph.user".
CASTS = {
    name: odata for odata, full in TYPE_NAMES.items() for name in (full, full.removeprefix("microsoft."))
}


def check_select(select: list[str] | None, allowed: frozenset[str], type_name: str) -> None:
    for name in select or ():
        if name not in allowed:
            raise GraphError(
                400,
                "BadRequest",
                f"Parsing OData Select and Expand failed: Could not find a property named '{name}' "
                f"on type '{type_name}'.",
            )


def _user_value(user: dict[str, Any], name: str) -> Any:
    if name == "signInActivity":
        return {
            "lastSignInDateTime": user["_signIn"],
            "lastNonInteractiveSignInDateTime": user["_nonInteractive"],
            "lastSuccessfulSignInDateTime": user["_signIn"],
        }
    if name == "businessPhones":
        return []
    return user.get(name)


def user_json(user: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    names = select or USER_DEFAULT
    out: dict[str, Any] = {"@odata.type": USER, "id": user["id"]}
    for name in names:
        if name != "id":
            out[name] = _user_value(user, name)
    return out


def plain_json(odata_type: str, stored: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    """Groups and service principals: every property by default, as Graph does."""
    out: dict[str, Any] = {"@odata.type": odata_type, "id": stored["id"]}
    if select is None:
        out.update(stored)
    else:
        for name in select:
            out[name] = stored.get(name)
    return out


def object_json(tenant: Tenant, object_id: str, select: list[str] | None) -> dict[str, Any] | None:
    """Any directory object by id; with `$select`, only the selected properties its type has."""
    odata_type = tenant.odata_type(object_id)
    if odata_type is None:
        return None
    mine = None if select is None else [n for n in select if n in PROPS_BY_TYPE.get(odata_type, ())]
    if odata_type == USER:
        return user_json(tenant.users[object_id], mine)
    if odata_type == GROUP:
        return plain_json(GROUP, tenant.groups[object_id], mine)
    if odata_type == SP:
        return plain_json(SP, tenant.service_principals[object_id], mine)
    return dict(tenant.others[object_id])  # an unknown type: only what every directory object has


def assignment_json(assignment: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    if select is None:
        return dict(assignment)
    return {"id": assignment["id"], **{name: assignment.get(name) for name in select}}
