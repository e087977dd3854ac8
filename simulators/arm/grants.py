"""Builders for Microsoft.Authorization objects: custom role definitions, role and deny assignments.

Mixed into ArmState. Wire shapes follow "Role Assignments - Get" and "Deny Assignments - Get" (api-version
2022-04-01): a role assignment's `roleDefinitionId` is subscription-qualified when its scope lies in a
subscription, its `scope` is "/" at the root.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from simulators.arm import scopes

AUTH = "/providers/Microsoft.Authorization"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class GrantBuilders:
    lock: threading.RLock
    caller_id: str
    role_definitions: dict[str, dict[str, Any]]
    role_assignments: dict[str, dict[str, Any]]
    deny_assignments: dict[str, dict[str, Any]]
    eligible_assignments: dict[str, dict[str, Any]]

    def add_role_definition(
        self,
        role_name: str,
        *,
        actions: Iterable[str] = (),
        not_actions: Iterable[str] = (),
        data_actions: Iterable[str] = (),
        not_data_actions: Iterable[str] = (),
        assignable_scopes: Iterable[str] = ("/",),
        guid: str | None = None,
    ) -> str:
        """A custom role (roleType CustomRole); returns its GUID."""
        with self.lock:
            name = guid or str(uuid.uuid4())
            permission = {
                "actions": list(actions),
                "notActions": list(not_actions),
                "dataActions": list(data_actions),
                "notDataActions": list(not_data_actions),
            }
            self.role_definitions[name.lower()] = {
                "assignableScopes": [scopes.normalize(s) or "/" for s in assignable_scopes],
                "description": "",
                "id": f"{AUTH}/roleDefinitions/{name}",
                "name": name,
                "permissions": [permission],
                "roleName": role_name,
                "roleType": "CustomRole",
                "type": "Microsoft.Authorization/roleDefinitions",
            }
            return name

    def add_role_assignment(
        self,
        scope: str,
        role_definition: str,
        principal_id: str,
        *,
        principal_type: str = "User",
        condition: str | None = None,
        condition_version: str | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """`role_definition`: a GUID or a role definition id (its last segment is the GUID)."""
        with self.lock:
            guid = role_definition.rstrip("/").split("/")[-1]
            if guid.lower() not in self.role_definitions:
                raise KeyError(f"no role definition {guid}")
            scope = scopes.normalize(scope)
            subscription = scopes.subscription_of(scope)
            prefix = f"/subscriptions/{subscription}" if subscription else ""
            name = name or str(uuid.uuid4())
            stamp = now_iso()
            wire = {
                "id": f"{scope}{AUTH}/roleAssignments/{name}",
                "name": name,
                "type": "Microsoft.Authorization/roleAssignments",
                "properties": {
                    "roleDefinitionId": f"{prefix}{AUTH}/roleDefinitions/{guid}",
                    "principalId": principal_id,
                    "principalType": principal_type,
                    "scope": scope or "/",
                    "condition": condition,
                    "conditionVersion": condition_version
                    if condition is None
                    else condition_version or "2.0",
                    "description": None,
                    "createdOn": stamp,
                    "updatedOn": stamp,
                    "createdBy": self.caller_id,
                    "updatedBy": self.caller_id,
                    "delegatedManagedIdentityResourceId": None,
                },
            }
            self.role_assignments[name.lower()] = wire
            return wire

    def add_deny_assignment(
        self,
        scope: str,
        *,
        actions: Iterable[str] = (),
        data_actions: Iterable[str] = (),
        principals: Iterable[tuple[str, str]] = (("00000000-0000-0000-0000-000000000000", "SystemDefined"),),
        exclude_principals: Iterable[tuple[str, str]] = (),
        name: str | None = None,
    ) -> dict[str, Any]:
        """A deny assignment (in Azure only Azure itself creates them: blueprints, managed apps); principals
        as (object id, type); "00000000-…" of type SystemDefined is "Everyone"."""
        with self.lock:
            scope = scopes.normalize(scope)
            name = name or str(uuid.uuid4())
            wire = {
                "id": f"{scope}{AUTH}/denyAssignments/{name}",
                "name": name,
                "type": "Microsoft.Authorization/denyAssignments",
                "properties": {
                    "denyAssignmentName": f"Deny assignment {name}",
                    "description": "",
                    "permissions": [
                        {
                            "actions": list(actions),
                            "notActions": [],
                            "dataActions": list(data_actions),
                            "notDataActions": [],
                        }
                    ],
                    "scope": scope or "/",
                    "doNotApplyToChildScopes": False,
                    "principals": [{"id": i, "type": t} for i, t in principals],
                    "excludePrincipals": [{"id": i, "type": t} for i, t in exclude_principals],
                    "isSystemProtected": True,
                },
            }
            self.deny_assignments[name.lower()] = wire
            return wire

    def add_eligible_assignment(
        self,
        scope: str,
        role_definition: str,
        principal_id: str,
        *,
        principal_type: str = "User",
        name: str | None = None,
    ) -> dict[str, Any]:
        """A PIM eligibility, as "Role Eligibility Schedule Instances - Get" (api-version 2020-10-01) returns
        it: the principal may activate the role at the scope at will (status Provisioned, no end)."""
        with self.lock:
            guid = role_definition.rstrip("/").split("/")[-1]
            if guid.lower() not in self.role_definitions:
                raise KeyError(f"no role definition {guid}")
            scope = scopes.normalize(scope)
            subscription = scopes.subscription_of(scope)
            prefix = f"/subscriptions/{subscription}" if subscription else ""
            name = name or str(uuid.uuid4())
            schedule = str(uuid.uuid4())
            wire = {
                "id": f"{scope}{AUTH}/roleEligibilityScheduleInstances/{name}",
                "name": name,
                "type": "Microsoft.Authorization/roleEligibilityScheduleInstances",
                "properties": {
                    "scope": scope or "/",
                    "roleDefinitionId": f"{prefix}{AUTH}/roleDefinitions/{guid}",
                    "principalId": principal_id,
                    "principalType": principal_type,
                    "roleEligibilityScheduleId": f"{scope}{AUTH}/roleEligibilitySchedules/{schedule}",
                    "status": "Provisioned",
                    "startDateTime": now_iso(),
                    "endDateTime": None,
                    "memberType": "Direct",
                    "condition": None,
                    "conditionVersion": None,
                    "createdOn": now_iso(),
                },
            }
            self.eligible_assignments[name.lower()] = wire
            return wire

    def role_assignment(self, name: str) -> dict[str, Any] | None:
        with self.lock:
            return self.role_assignments.get(name.lower())
