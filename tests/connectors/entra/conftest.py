"""A small fictional tenant on the Graph simulator, and the settings that point the real client at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from connectors.entra.settings import EntraSecrets, EntraSettings
from simulators.graph import GraphSimulator, Tenant

TOKEN = "test-token"


@dataclass
class Department:
    tenant: Tenant
    ids: dict[str, str]


class MemoryState:
    """reviews.ports.StateStore in memory."""

    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}

    def load(self, key: str) -> bytes | None:
        return self.values.get(key)

    def save(self, key: str, value: bytes) -> None:
        self.values[key] = value


def build_department() -> Department:
    t = Tenant()
    ids: dict[str, str] = {}
    for name, extra in (
        ("ana", {}),
        ("ben", {}),
        ("cat", {}),
        ("olu", {}),
        ("boss", {}),
        ("dee", {"enabled": False}),
        ("gus", {"guest": True}),
    ):
        mail = None if name == "gus" else f"{name}@dept.example.gov"
        upn = "gus_partner.org#EXT#@dept.onmicrosoft.com" if name == "gus" else f"{name}@dept.example.gov"
        ids[name] = t.add_user(name.title(), upn, mail=mail, **extra)
    t.update_user(ids["ana"], manager_id=ids["boss"])
    for name in ("payroll", "finance", "clerks", "casework-readers", "nested-readers", "all-staff"):
        ids[name] = t.add_group(name)
    ids["dynamic"] = t.add_group("dynamic-payroll", dynamic=True)
    t.add_member(ids["payroll"], ids["finance"])
    t.add_member(ids["finance"], ids["clerks"])
    t.add_member(ids["clerks"], ids["ana"])
    t.add_member(ids["clerks"], ids["payroll"])  # a loop in nesting
    t.add_member(ids["finance"], ids["ben"])
    t.add_member(ids["payroll"], ids["ben"])  # ben: two paths, the direct one is shorter
    t.add_member(ids["payroll"], ids["dee"])
    t.add_member(ids["payroll"], ids["gus"])
    t.add_member(ids["payroll"], t.add_unknown_object("#microsoft.graph.somethingNew"))
    t.add_member(ids["dynamic"], ids["cat"])
    t.add_owner(ids["payroll"], ids["olu"])
    ids["app"] = t.add_service_principal(
        "Casework", app_roles=[("11111111-1111-1111-1111-111111111111", "Case.Read")]
    )
    ids["etl"] = t.add_service_principal("etl-job")
    t.add_member(ids["casework-readers"], ids["cat"])
    t.add_member(ids["casework-readers"], ids["nested-readers"])
    t.add_member(ids["nested-readers"], ids["boss"])
    t.assign_app_role(ids["app"], ids["casework-readers"], "11111111-1111-1111-1111-111111111111")
    t.assign_app_role(ids["app"], ids["etl"], "11111111-1111-1111-1111-111111111111")
    t.add_owner(ids["app"], ids["olu"])
    for i in range(250):  # enough users that paging is exercised at small page sizes
        t.add_user(f"Staff {i}", f"staff{i}@dept.example.gov", mail=f"staff{i}@dept.example.gov")
    return Department(t, ids)


@pytest.fixture
def department() -> Department:
    return build_department()


@pytest.fixture
def simulator(department: Department) -> Iterator[GraphSimulator]:
    with GraphSimulator(department.tenant, token=TOKEN, page_size=50) as sim:
        yield sim


def settings_for(sim: GraphSimulator, **extra: object) -> EntraSettings:
    values = {
        "graph_url": sim.url,
        "personal_data_groups": ["payroll", "dynamic-payroll"],
        "personal_data_apps": ["Casework"],
        **extra,
    }
    return EntraSettings.model_validate(values)


SECRETS = EntraSecrets.model_validate({"RECERTIFY_GRAPH_TOKEN": TOKEN})
