"""The department's Entra tenant for the Graph simulator: everyone in the directory, their managers, the
personal-data groups and the enterprise application with owners, members and assignments; and read-backs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from simulators.department.people import PEOPLE
from simulators.department.stores import STORES, StoreSpec
from simulators.graph import Tenant


@dataclass
class EntraDepartment:
    tenant: Tenant
    ids: dict[str, str] = field(default_factory=dict)  # person key or group/app name → object id

    @property
    def personal_data_groups(self) -> list[str]:
        return [s.name for s in STORES if s.system == "entra" and s.kind == "group"]

    @property
    def personal_data_apps(self) -> list[str]:
        return [s.name for s in STORES if s.system == "entra" and s.kind == "app"]

    def has_access(self, spec: StoreSpec, holder: str) -> bool:
        """Whether the path that granted `holder` access to `spec` is still there, read from the tenant."""
        store_provider_id, user_id = self.ids[spec.name], self.ids[holder]
        (held,) = [h for h in spec.holdings if h.holder == holder]
        if held.via == "member":
            return user_id in self.tenant.direct_members(store_provider_id)
        if held.via.startswith("nested:"):
            return user_id in self.tenant.transitive_members(store_provider_id)
        return any(a["principalId"] == user_id for a in self.tenant.assignments(store_provider_id))


def build_tenant(start: datetime) -> EntraDepartment:
    """Sign-ins are dated relative to `start` (the demo's first day), so "inactive for months" stays true
    whenever the demo runs."""
    tenant = Tenant(seed=2026, clock=lambda: start - timedelta(days=700))
    department = EntraDepartment(tenant)
    ids = department.ids
    for someone in PEOPLE:
        days = someone.last_sign_in_days
        ids[someone.key] = tenant.add_user(
            someone.name,
            someone.user_principal_name,
            mail=someone.email,
            enabled=someone.enabled,
            guest=someone.guest,
            last_sign_in=None if days is None else start - timedelta(days=days, hours=3),
        )
    for someone in PEOPLE:
        if someone.manager is not None:
            tenant.set_manager(ids[someone.key], ids[someone.manager])
    for spec in STORES:
        if spec.system == "entra":
            _seed_store(department, spec)
    return department


def _seed_store(department: EntraDepartment, spec: StoreSpec) -> None:
    tenant, ids = department.tenant, department.ids
    if spec.kind == "app":
        role_id, role = spec.extra["app_role_id"], spec.extra["app_role"]
        store_provider_id = tenant.add_service_principal(spec.name, app_roles=[(role_id, role)])
        for held in spec.holdings:
            tenant.assign_app_role(store_provider_id, ids[held.holder], role_id)
    else:
        store_provider_id = tenant.add_group(spec.name)
        for held in spec.holdings:
            target = store_provider_id
            if held.via.startswith("nested:"):
                nested = held.via.removeprefix("nested:")
                if nested not in ids:
                    ids[nested] = tenant.add_group(nested)
                    tenant.add_member(store_provider_id, ids[nested])
                target = ids[nested]
            tenant.add_member(target, ids[held.holder])
    tenant.add_owner(store_provider_id, ids[spec.owner])
    ids[spec.name] = store_provider_id
