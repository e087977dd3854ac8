"""The department's Azure estate (simulators/department/azure.py): every holding's path is seeded in the ARM
simulator state with the Graph simulator's object ids, and the read-back the demo checks revocations with
says "gone" once that path is gone, and only then."""

from __future__ import annotations

from datetime import UTC, datetime

from simulators.department import STORES, store
from simulators.department.azure import build_estate, has_access, resource_id
from simulators.department.entra import build_tenant

START = datetime(2026, 6, 1, 9, tzinfo=UTC)


def test_every_azure_holding_is_there_with_the_tenant_s_object_ids() -> None:
    entra = build_tenant(START)
    state = build_estate(entra)
    azure = [spec for spec in STORES if spec.system == "azure"]
    assert {spec.kind for spec in azure} == {"storage", "keyvault", "sql"}
    for spec in azure:
        wire = state.resources[resource_id(spec).lower()]
        assert wire["tags"]["data-owner"].startswith(spec.owner)
        assert all(has_access(state, entra, spec, held.holder) for held in spec.holdings)
    vault = state.resources[resource_id(store("kv-pensions")).lower()]
    assert vault["properties"]["enableRbacAuthorization"] is True
    assignees = {a["properties"]["principalId"] for a in state.role_assignments.values()}
    assert entra.ids["Casework-Contractors"] in assignees and entra.ids["leo.fischer"] in assignees


def test_the_read_back_sees_an_assignment_or_a_membership_removed() -> None:
    entra = build_tenant(START)
    state = build_estate(entra)
    vault, files = store("kv-pensions"), store("caseworkfiles")
    (leo,) = [
        name
        for name, a in state.role_assignments.items()
        if a["properties"]["principalId"] == entra.ids["leo.fischer"]
    ]
    del state.role_assignments[leo]
    assert not has_access(state, entra, vault, "leo.fischer") and has_access(state, entra, vault, "mo.silva")
    entra.tenant.remove_member(entra.ids["Casework-Contractors"], entra.ids["xiu.zhang"])
    assert not has_access(state, entra, files, "xiu.zhang") and has_access(state, entra, files, "yara.adams")
