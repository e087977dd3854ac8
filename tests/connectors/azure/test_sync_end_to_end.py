"""End to end through the CLI: `recertify sync --source azure` with the real Azure SDK against the ARM
simulator and the real Graph client against the Graph simulator (the groups and principals the assignments
name), then `recertify access`: the store, who reaches it, at which level and by which path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from simulators.arm import ArmSimulator, ArmState, builtin_role_id
from simulators.graph import GraphSimulator, Tenant
from tests.helpers import run_cli

SUB = "00000000-0000-4000-8000-00000000d001"
GRAPH_TOKEN, ARM_TOKEN = "graph-token", "arm-token"  # noqa: S105  (the simulators' own)


@dataclass
class Estate:
    arm: ArmSimulator
    graph: GraphSimulator
    ids: dict[str, str]

    def env(self, database_url: str) -> dict[str, str]:
        return {
            "RECERTIFY_DATABASE_URL": database_url,
            "RECERTIFY_AWS_ENABLED": "false",
            "RECERTIFY_ENTRA_ENABLED": "false",
            "RECERTIFY_GRAPH_URL": self.graph.url,
            "RECERTIFY_GRAPH_TOKEN": GRAPH_TOKEN,
            "RECERTIFY_AZURE_ENABLED": "true",
            "RECERTIFY_AZURE_ARM_URL": self.arm.url,
            "RECERTIFY_AZURE_TOKEN": ARM_TOKEN,
            "RECERTIFY_AZURE_SUBSCRIPTIONS": json.dumps([SUB]),
            "REQUESTS_CA_BUNDLE": self.arm.ca_bundle,  # the simulator's self-signed certificate
        }


@pytest.fixture
def estate() -> Iterator[Estate]:
    tenant = Tenant(seed=11)
    ana = tenant.add_user("Ana Silva", "ana@dept.example.gov", mail="ana@dept.example.gov")
    bob = tenant.add_user("Bob Jones", "bob@dept.example.gov", mail="bob@dept.example.gov")
    cara = tenant.add_user("Cara Lee", "cara@dept.example.gov", mail="cara@dept.example.gov")
    hr = tenant.add_group("HR readers")
    tenant.add_member(hr, ana)
    state = ArmState()
    state.add_subscription(SUB, "Department")
    state.add_storage_account(
        SUB,
        "rg-data",
        "pdstore",
        tags={"Data-Classification": "personal", "data-owner": "Olu@dept.example.gov"},
    )
    state.add_storage_account(SUB, "rg-data", "logs", tags={"data-classification": "public"})
    group_scope = f"/subscriptions/{SUB}/resourceGroups/rg-data"
    state.add_role_assignment(
        group_scope, builtin_role_id("Storage Blob Data Reader"), hr, principal_type="Group"
    )
    state.add_role_assignment(f"/subscriptions/{SUB}", builtin_role_id("Contributor"), bob)
    pdstore = f"{group_scope}/providers/Microsoft.Storage/storageAccounts/pdstore"
    state.add_eligible_assignment(pdstore, builtin_role_id("Storage Blob Data Contributor"), cara)
    with GraphSimulator(tenant, token=GRAPH_TOKEN) as graph, ArmSimulator(state, token=ARM_TOKEN) as arm:
        yield Estate(arm, graph, {"ana": ana, "bob": bob, "cara": cara, "hr": hr})


def test_sync_azure_then_access(estate: Estate, database_url: str, capsys, monkeypatch) -> None:
    env = estate.env(database_url)
    synced = run_cli(capsys, monkeypatch, "sync", "--source", "azure", env=env)
    assert synced.code == 0, synced.stderr
    rows = json.loads(
        run_cli(capsys, monkeypatch, "access", "--store", "pdstore", "--format", "json", env=env).stdout
    )
    store = f"/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/pdstore"
    assert {r["store"]["id"] for r in rows} == {store}
    assert rows[0]["store"]["system"] == "azure" and rows[0]["store"]["kind"] == "azure_storage_account"
    assert rows[0]["store"]["owners"] == ["olu@dept.example.gov"]
    found = {(r["principal"]["name"], r["access"]): r for r in rows}
    # Contributor holds listKeys on an account that allows shared keys: full access, as s3:* is on AWS.
    assert set(found) == {
        ("Ana Silva", "read"),
        ("Bob Jones", "read"),
        ("Bob Jones", "write"),
        ("Bob Jones", "admin"),
        ("Cara Lee", "read"),
        ("Cara Lee", "write"),
    }
    ana = found[("Ana Silva", "read")]
    assert ana["principal"]["type"] == "entra_user" and ana["principal"]["id"] == estate.ids["ana"]
    assert ana["path"][0] == "group:HR readers" and "Storage Blob Data Reader" in " ".join(ana["path"])
    # PIM (issue 19 §4): an eligible holder, who can activate the role at will, is reviewed, by that path.
    cara = found[("Cara Lee", "write")]
    assert cara["principal"]["id"] == estate.ids["cara"]
    assert cara["path"] == ["eligible_assignment:Storage Blob Data Contributor on the store (PIM-eligible)"]


def test_sync_azure_refuses_a_read_it_cannot_finish(
    estate: Estate, database_url: str, capsys, monkeypatch
) -> None:
    """A subscription the credential cannot read fails the sync; nothing partial is applied."""
    estate.arm.state.allowed_actions = frozenset({"Microsoft.Resources/*/read", "Microsoft.Storage/*/read"})
    env = estate.env(database_url)
    failed = run_cli(capsys, monkeypatch, "sync", "--source", "azure", env=env)
    assert failed.code != 0
    assert (
        "Microsoft.Authorization/roleAssignments/read" in failed.stderr and "Traceback" not in failed.stderr
    )
    access = run_cli(capsys, monkeypatch, "access", "--store", "pdstore", "--format", "json", env=env)
    assert access.code == 1 and "no sync has been applied yet" in access.stderr


def test_pim_eligibility_can_be_left_unread_and_the_sync_says_so(
    estate: Estate, database_url: str, capsys, monkeypatch
) -> None:
    """`[azure] pim_eligible = false` (a tenant whose ARM refuses the eligibility list): the list is not
    asked for, the eligible holder is not listed, and the sync prints why, never silently."""
    env = {**estate.env(database_url), "RECERTIFY_AZURE_PIM_ELIGIBLE": "false"}
    synced = run_cli(capsys, monkeypatch, "sync", "--source", "azure", env=env)
    assert synced.code == 0, synced.stderr
    assert (
        "azure: note: PIM-eligible" in synced.stdout
        and "only eligible for a role is not listed" in synced.stdout
    )
    asked = [r.path for r in estate.arm.requests if "roleeligibilityscheduleinstances" in r.path.lower()]
    assert asked == []
    rows = json.loads(
        run_cli(capsys, monkeypatch, "access", "--store", "pdstore", "--format", "json", env=env).stdout
    )
    assert "Cara Lee" not in {r["principal"]["name"] for r in rows}
    assert {"Ana Silva", "Bob Jones"} <= {r["principal"]["name"] for r in rows}
