"""The bot's own least-privilege Azure role, generated from what the code calls (for the README, the
quickstart and `recertify permissions azure read`).

Every operation comes from the module that calls it: fetch.py (subscriptions, resources), rbac_read.py
(role assignments, role definitions, deny assignments) and each store kind's SPEC (its properties and any
further read). tests/connectors/azure/test_permissions.py proves the role is enough (the whole estate reads
with exactly these actions) and that no action is spare (without any one of them the read fails, naming it).

The role holds control-plane `Actions` only: no `DataActions`, so it can read who may reach the data but
never the data itself ("Understand Azure role definitions": data actions are granted separately).
Revocation is not automated for Azure yet, so there is no write role.
"""

from __future__ import annotations

from typing import Any

from connectors.azure.fetch import READ_PERMISSIONS as FETCH_READ
from connectors.azure.rbac_read import READ_PERMISSIONS as RBAC_READ
from connectors.azure.stores import SPECS

ROLE_NAME = "Recertify reader"
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
