"""The Azure read role is generated from the code and is exactly enough: the whole estate reads with its
actions alone, and without any one of them the read fails naming it. ARM answers an operation the caller's
roles do not allow with 403 `AuthorizationFailed` ("The client … does not have authorization to perform
action '…' over scope '…'"), which the simulator does for its caller's `allowed_actions`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.azure.client import AzureClients, StaticToken
from connectors.azure.errors import AzureApiError
from connectors.azure.fetch import AzureRead, read_inventory
from connectors.azure.permissions import PLACEHOLDER_SCOPE, read_actions, read_role
from simulators.arm import ArmSimulator
from tests.connectors.azure.fetch_estate import SUB_A, SUB_B, build_estate
from tests.helpers import run_cli


@pytest.fixture(scope="module")
def sim() -> Iterator[ArmSimulator]:
    with ArmSimulator(build_estate()) as simulator:
        yield simulator


def _read(sim: ArmSimulator, subscriptions: list[str] | None) -> AzureRead:
    with AzureClients(StaticToken("test-token"), endpoint=sim.url, ca_bundle=sim.ca_bundle) as clients:
        return read_inventory(
            clients,
            subscriptions=subscriptions,
            personal_data_tag="personaldata",
            personal_data_values=["yes"],
            owner_tag="owner",
        )


@pytest.mark.parametrize("subscriptions", [[SUB_A, SUB_B], None], ids=["configured", "listed"])
def test_the_read_role_is_enough_to_read_everything(
    sim: ArmSimulator, subscriptions: list[str] | None
) -> None:
    sim.state.allowed_actions = None
    unrestricted = _read(sim, subscriptions)
    sim.state.allowed_actions = frozenset(read_actions())
    try:
        assert _read(sim, subscriptions) == unrestricted
    finally:
        sim.state.allowed_actions = None
    assert len(unrestricted.inventory.stores) >= 5 and unrestricted.inventory.role_assignments


# "Subscriptions - Get" is declared as Microsoft.Resources/subscriptions/read, the operation Microsoft's
# provider-operations list names for it; the simulator does not check it (whether ARM refuses a caller whose
# roles all sit below the subscription is not documented where we looked), so its removal is not observable.
CHECKED = [action for action in read_actions() if action != "Microsoft.Resources/subscriptions/read"]


@pytest.mark.parametrize("action", CHECKED)
def test_no_action_of_the_read_role_is_spare(sim: ArmSimulator, action: str) -> None:
    """Least privilege: each action is one the read calls (on this estate, which holds every store kind)."""
    sim.state.allowed_actions = frozenset(read_actions()) - {action}
    try:
        with pytest.raises(AzureApiError, match=action.replace(".", r"\.")) as refused:
            _read(sim, [SUB_A, SUB_B])
    finally:
        sim.state.allowed_actions = None
    assert refused.value.status == 403


def test_the_role_reads_no_data() -> None:
    """ "Understand Azure role definitions": data actions are granted only through `DataActions`; the read
    role has none, so it can see who may reach the data but never read it."""
    role = read_role([])
    assert role["DataActions"] == [] and role["AssignableScopes"] == [PLACEHOLDER_SCOPE]
    assert all(action.lower().endswith("/read") for action in role["Actions"])


def test_the_command_prints_the_role_for_the_given_scopes(capsys, monkeypatch) -> None:
    scopes = [f"/subscriptions/{SUB_A}", f"/subscriptions/{SUB_B}"]
    printed = run_cli(
        capsys, monkeypatch, "permissions", "azure", "read", "--scope", scopes[0], "--scope", scopes[1]
    )
    assert printed.code == 0, printed.stderr
    document = json.loads(printed.stdout)
    assert document["Actions"] == list(read_actions()) and document["IsCustom"] is True
    assert document["AssignableScopes"] == scopes


def test_a_scope_that_is_no_subscription_or_management_group_is_refused(capsys, monkeypatch) -> None:
    printed = run_cli(capsys, monkeypatch, "permissions", "azure", "read", "--scope", "rg-data")
    assert printed.code == 2 and printed.stdout == ""
    assert "--scope 'rg-data': expected /subscriptions/ID" in printed.stderr
    assert "Traceback" not in printed.stderr


def test_the_readme_carries_the_role_the_code_declares(capsys, monkeypatch) -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    printed = run_cli(capsys, monkeypatch, "permissions", "azure", "read")
    assert printed.code == 0, printed.stderr
    assert printed.stdout.strip() in readme, "README's Azure read role is out of date: paste its output"
