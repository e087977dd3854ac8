"""The bot's own least-privilege Azure role, generated from what the code calls (for the README, the
quickstart and `recertify permissions azure read`).

Every operation comes from the module that calls it: fetch.py (subscriptions, resources), rbac_read.py
(role assignments, role definitions, deny assignments) and each store kind's SPEC (its properties and any
further read). tests/connectors/azure/test_permissions.py proves the role is enough (the whole estate reads
with exactly these actions) and that no action is spare (without any one of them the read fails, naming it).

The role holds control-plane `Actions` only: no `DataActions`, so it can read who may reach the data but
never the data itself ("Understand Azure role definitions": data actions are granted separately).
The write role (`recertify permissions azure write`, revoke.py's WRITE_PERMISSIONS) deletes and creates role
assignments ("To remove role assignments, you must have: Microsoft.Authorization/roleAssignments/delete
permissions", Remove Azure role assignments; creating one for an undo needs .../roleAssignments/write) and
reads them back; assign it apart from the read role, only where `[enforcement] mode = "live"` should act.
Group memberships are removed through Graph with the Entra app's GroupMember.ReadWrite.All
(`recertify permissions entra`). test_write_permissions.py proves it enough and minimal.
"""

from __future__ import annotations

from typing import Any

from connectors.azure.fetch import READ_PERMISSIONS as FETCH_READ
from connectors.azure.rbac_read import READ_PERMISSIONS as RBAC_READ
from connectors.azure.revoke import WRITE_PERMISSIONS
from connectors.azure.stores import SPECS

ROLE_NAME = "Recertify reader"
WRITE_ROLE_NAME = "Recertify revoker"
PLACEHOLDER_SCOPE = "/subscriptions/00000000-0000-0000-0000-000000000000"


def read_actions() -> tuple[str, ...]:
    """Every operation the Azure read calls, once, sorted without regard to case."""
    actions = {*FETCH_READ, *RBAC_READ, *(action for spec in SPECS for action in spec.permissions)}
    return tuple(sorted(actions, key=str.lower))


def read_role(assignable_scopes: list[str]) -> dict[str, Any]:
    """A custom role definition in the shape `az role definition create --role-definition` reads."""
    return {
        "Name": ROLE_NAME,
        "IsCustom": True,
        "Description": "Reads who can access personal-data stores (Azure RBAC, store settings); no data.",
        "Actions": list(read_actions()),
        "NotActions": [],
        "DataActions": [],
        "NotDataActions": [],
        "AssignableScopes": assignable_scopes or [PLACEHOLDER_SCOPE],
    }


def write_actions() -> tuple[str, ...]:
    """Every operation Azure revocation calls (plan, revoke, verify, undo), once, sorted."""
    return tuple(sorted(set(WRITE_PERMISSIONS), key=str.lower))


def write_role(assignable_scopes: list[str]) -> dict[str, Any]:
    """The write role, in the same shape as the read role."""
    return {
        "Name": WRITE_ROLE_NAME,
        "IsCustom": True,
        "Description": "Deletes (and, to undo, recreates) role assignments a review revoked; no data.",
        "Actions": list(write_actions()),
        "NotActions": [],
        "DataActions": [],
        "NotDataActions": [],
        "AssignableScopes": assignable_scopes or [PLACEHOLDER_SCOPE],
    }
