"""The Azure write role is generated from the code (revoke.py's WRITE_PERMISSIONS) and is exactly enough:
plan, revoke, verify and undo run with its actions alone, and without any one of them ARM answers 403
AuthorizationFailed naming it. "To remove role assignments, you must have:
Microsoft.Authorization/roleAssignments/delete permissions" (Remove Azure role assignments)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.azure.errors import AzureApiError
from connectors.azure.permissions import write_actions, write_role
from reviews.entitlements import RevocationResult
from tests.connectors.azure.revoke_estate import Estate, open_estate
from tests.helpers import run_cli


@pytest.fixture
def estate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Estate]:
    yield from open_estate(monkeypatch)


def _round_trip(estate: Estate) -> None:
    grant = estate.grant("ana")  # the read runs with the read role's actions (unrestricted here)
    estate.arm.state.allowed_actions = frozenset(write_actions())
    change = estate.connector.plan_revocation(grant)
    assert change.inverse is not None
    assert estate.connector.revoke(change.action, dry_run=False) is RevocationResult.APPLIED
    assert estate.connector.verify(change.action)
    assert estate.connector.revoke(change.inverse, dry_run=False) is RevocationResult.APPLIED
    assert estate.connector.verify(change.inverse)


def test_the_write_role_is_enough_to_revoke_verify_and_undo(estate: Estate) -> None:
    _round_trip(estate)


@pytest.mark.parametrize("action", write_actions())
def test_no_action_of_the_write_role_is_spare(estate: Estate, action: str) -> None:
    grant = estate.grant("ana")
    estate.arm.state.allowed_actions = frozenset(write_actions()) - {action}
    with pytest.raises(AzureApiError, match=action.replace(".", r"\.")) as refused:
        change = estate.connector.plan_revocation(grant)
        assert change.inverse is not None
        estate.connector.revoke(change.action, dry_run=False)
        estate.connector.revoke(change.inverse, dry_run=False)
    assert refused.value.status == 403
    role = "read" if action.endswith("/read") else "write"
    assert f"the {role} role lacks {action}" in str(refused.value)


def test_the_write_role_touches_no_data() -> None:
    role = write_role([])
    assert role["DataActions"] == [] and role["Name"] == "Recertify revoker"
    assert all(a.startswith("Microsoft.Authorization/roleAssignments/") for a in role["Actions"])


def test_the_command_prints_the_write_role(capsys, monkeypatch) -> None:
    scope = "/subscriptions/00000000-0000-4000-8000-00000000e001"
    printed = run_cli(capsys, monkeypatch, "permissions", "azure", "write", "--scope", scope)
    assert printed.code == 0, printed.stderr
    document = json.loads(printed.stdout)
    assert document["Actions"] == list(write_actions()) and document["AssignableScopes"] == [scope]


def test_the_readme_carries_the_write_role_the_code_declares(capsys, monkeypatch) -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    printed = run_cli(capsys, monkeypatch, "permissions", "azure", "write")
    assert printed.code == 0, printed.stderr
    assert printed.stdout.strip() in readme, "README's Azure write role is out of date: paste its output"
