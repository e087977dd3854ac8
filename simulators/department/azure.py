"""The department's Azure subscription in the ARM simulator: its three tagged stores and the role assignments,
Entra admin and subscription-wide Contributor that reach them; and read-backs.

Principals are the Entra object ids the Graph simulator holds (the same tenant: Azure RBAC names Entra users
and groups by object id, "principalId: The principal ID", Role Assignments - Get). Tags as on AWS:
`data-classification` and `data-owner` (the owner's email). The storage account allows shared keys (ARM
leaves `allowSharedKeyAccess` out: "The default value is null, which is equivalent to true"), so the
subscription's Contributor, who may list its keys, reads and writes everything in it.
"""

from __future__ import annotations

from simulators.arm import ArmState, builtin_role_id
from simulators.department.entra import EntraDepartment
from simulators.department.people import person
from simulators.department.stores import PLATFORM_ADMIN, STORES, SUBSCRIPTION, StoreSpec

SUBSCRIPTION_NAME = "Department for Citizen Services"


def resource_id(spec: StoreSpec) -> str:
    provider = {
        "storage": "Microsoft.Storage/storageAccounts",
        "keyvault": "Microsoft.KeyVault/vaults",
        "sql": "Microsoft.Sql/servers",
    }[spec.kind]
    group = spec.extra["resource_group"]
    return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers/{provider}/{spec.name}"


def build_estate(entra: EntraDepartment) -> ArmState:
    """The subscription, its stores (and an untagged resource beside them), and every holding's path."""
    state = ArmState()
    state.add_subscription(SUBSCRIPTION, SUBSCRIPTION_NAME)
    state.add_storage_account(SUBSCRIPTION, "rg-casework", "caseworkbuild", tags={"purpose": "build cache"})
    for spec in STORES:
        if spec.system == "azure":
            _seed_store(state, entra, spec)
    contributor = builtin_role_id("Contributor")
    state.add_role_assignment(f"/subscriptions/{SUBSCRIPTION}", contributor, entra.ids[PLATFORM_ADMIN])
    return state


def _seed_store(state: ArmState, entra: EntraDepartment, spec: StoreSpec) -> None:
    tags = {"data-classification": spec.classification, "data-owner": person(spec.owner).email}
    group = spec.extra["resource_group"]
    if spec.kind == "storage":
        state.add_storage_account(SUBSCRIPTION, group, spec.name, tags=tags)
    elif spec.kind == "keyvault":
        state.add_key_vault(SUBSCRIPTION, group, spec.name, tags=tags, enable_rbac_authorization=True)
    else:
        (admin,) = [h.holder for h in spec.holdings if h.via == "sql-admin"]
        login = person(admin).user_principal_name
        state.add_sql_server(SUBSCRIPTION, group, spec.name, tags=tags, entra_admin=(login, entra.ids[admin]))
    groups_done: set[str] = set()
    for held in spec.holdings:
        if held.via.startswith("role:"):
            role = builtin_role_id(held.via.removeprefix("role:"))
            state.add_role_assignment(resource_id(spec), role, entra.ids[held.holder])
        elif held.via.startswith("group:"):
            name, role_name = held.via.removeprefix("group:").split(":")
            if name not in groups_done:  # one assignment to the group, whoever is in it
                groups_done.add(name)
                role = builtin_role_id(role_name)
                state.add_role_assignment(resource_id(spec), role, entra.ids[name], principal_type="Group")


# ---- read-backs: what ARM (the simulator) and the tenant say now -----------------------------------------
def has_access(state: ArmState, entra: EntraDepartment, spec: StoreSpec, holder: str) -> bool:
    """Whether the path that granted `holder` access to `spec` is still there, read from the simulators."""
    (held,) = [h for h in spec.holdings if h.holder == holder]
    user = entra.ids[holder]
    if held.via == "sql-admin":
        admin = state.resources.get(f"{resource_id(spec)}/administrators/ActiveDirectory".lower())
        return admin is not None and admin["properties"]["sid"] == user
    if held.via.startswith("group:"):
        name, role_name = held.via.removeprefix("group:").split(":")
        in_group = user in entra.tenant.transitive_members(entra.ids[name])
        return in_group and _assigned(state, resource_id(spec), role_name, entra.ids[name])
    if held.via.startswith("subscription:"):
        return _assigned(state, f"/subscriptions/{SUBSCRIPTION}", held.via.split(":", 1)[1], user)
    return _assigned(state, resource_id(spec), held.via.removeprefix("role:"), user)


def _assigned(state: ArmState, scope: str, role_name: str, principal: str) -> bool:
    role = builtin_role_id(role_name).lower()
    with state.lock:
        return any(
            wire["properties"]["scope"].lower() == scope.lower()
            and wire["properties"]["principalId"] == principal
            and wire["properties"]["roleDefinitionId"].lower().endswith(role)
            for wire in state.role_assignments.values()
        )
