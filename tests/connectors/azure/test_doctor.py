"""`recertify doctor`'s Azure checks against the ARM simulator, whose caller holds `state.allowed_actions`.

ARM refuses an operation the caller's roles do not allow with 403 AuthorizationFailed: "The client '…' with
object id '…' does not have authorization to perform action '…' over scope '…' or the scope is invalid."
A wrong or expired token is a 401 (InvalidAuthenticationToken).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.azure.doctor import TOKEN, azure_checks
from connectors.azure.permissions import read_actions
from connectors.azure.probes import PROBE_OF, PROBES
from connectors.azure.settings import AzureSecrets, AzureSettings
from connectors.entra.settings import EntraSettings
from reviews.health import CheckResult
from simulators.arm import ArmSimulator, ArmState
from tests.helpers import run_cli

SUB = "00000000-0000-4000-8000-00000000d0c1"
OTHER = "00000000-0000-4000-8000-00000000d0c2"
MISSING = "00000000-0000-4000-8000-00000000dead"
ARM_TOKEN = "arm-token"  # noqa: S105  (the simulator's own)


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArmSimulator]:
    state = ArmState()
    state.add_subscription(SUB, "Department")
    state.add_subscription(OTHER, "Archive")
    state.add_storage_account(SUB, "rg-data", "pdstore", tags={"data-classification": "personal"})
    with ArmSimulator(state, token=ARM_TOKEN) as simulator:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", simulator.ca_bundle)  # its self-signed certificate
        yield simulator


def _checks(sim: ArmSimulator, subscriptions: list[str], token: str = ARM_TOKEN) -> list[CheckResult]:
    settings = AzureSettings(enabled=True, arm_url=sim.url, subscriptions=subscriptions, max_attempts=1)
    secrets = AzureSecrets.model_validate({"RECERTIFY_AZURE_TOKEN": token})
    return azure_checks(settings, EntraSettings(), secrets)


def _by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {result.name: result for result in results}


def test_every_action_of_the_read_role_has_a_probe() -> None:
    """permissions.py is the source: an action added to the read role without a probe fails here."""
    assert {a.lower() for a in read_actions()} == set(PROBE_OF)
    assert len(PROBES) == len(PROBE_OF)


def test_the_read_role_passes_every_check(sim: ArmSimulator) -> None:
    sim.state.allowed_actions = frozenset(read_actions())
    results = _checks(sim, [SUB])
    assert all(r.ok and not r.warning for r in results), [r for r in results if not r.ok]
    expected = [TOKEN, f"subscription {SUB}", *(f"{a} in subscription {SUB}" for a in read_actions())]
    assert [r.name for r in results] == expected
    assert _by_name(results)[f"subscription {SUB}"].detail == "readable: Department (Enabled)"


@pytest.mark.parametrize("action", read_actions())
def test_without_an_action_its_probe_fails_naming_it_and_the_fix(sim: ArmSimulator, action: str) -> None:
    """One probe per action: removing any one fails exactly that line, which names it and the read role."""
    sim.state.allowed_actions = frozenset(read_actions()) - {action}
    results = _checks(sim, [SUB])
    failing = [r for r in results if not r.ok]
    if action == "Microsoft.Resources/subscriptions/read":
        # The simulator does not check "Subscriptions - Get" (see test_permissions.py): not observable here.
        assert failing == []
        return
    assert [r.name for r in failing] == [f"{action} in subscription {SUB}"]
    assert "AuthorizationFailed" in failing[0].detail
    assert action in failing[0].fix and "`recertify permissions azure read`" in failing[0].fix


def test_a_refused_token_is_one_line_with_the_credential_fix(sim: ArmSimulator) -> None:
    """A 401 from ARM: every other call would say the same, so nothing else is probed."""
    results = _checks(sim, [SUB], token="expired")  # noqa: S106
    assert [r.name for r in results] == [TOKEN] and not results[0].ok
    assert "InvalidAuthenticationToken" in results[0].detail
    assert "RECERTIFY_AZURE_TOKEN" in results[0].fix


def test_no_credential_at_all_says_what_to_set(sim: ArmSimulator) -> None:
    settings = AzureSettings(enabled=True, arm_url=sim.url)
    results = azure_checks(settings, EntraSettings(), AzureSecrets.model_validate({}))
    assert [(r.name, r.ok) for r in results] == [(TOKEN, False)]
    assert "AZURE_CLIENT_SECRET" in results[0].fix


def test_a_configured_subscription_that_cannot_be_read_fails_and_is_not_probed(sim: ArmSimulator) -> None:
    """ "Subscriptions - Get" on an id the credential cannot see answers 404 SubscriptionNotFound."""
    results = _by_name(_checks(sim, [SUB, MISSING]))
    missing = results[f"subscription {MISSING}"]
    assert not missing.ok and "SubscriptionNotFound" in missing.detail
    assert "azure.subscriptions" in missing.fix
    assert not any(name.endswith(f"in subscription {MISSING}") for name in results)
    assert results[f"Microsoft.Storage/storageAccounts/read in subscription {SUB}"].ok


def test_without_configured_subscriptions_every_listed_one_is_probed(sim: ArmSimulator) -> None:
    results = _by_name(_checks(sim, []))
    assert results["the subscriptions to read"].detail == f"{SUB}, {OTHER}"
    for subscription in (SUB, OTHER):
        assert all(f"{a} in subscription {subscription}" in results for a in read_actions())
    assert all(r.ok for r in results.values())


def test_recertify_doctor_prints_the_azure_lines(sim: ArmSimulator, capsys, monkeypatch) -> None:
    """`recertify doctor` runs Azure's checks when `[azure] enabled`: ✓ per check, ✗ with its fix."""
    missing = "Microsoft.KeyVault/vaults/read"
    sim.state.allowed_actions = frozenset(read_actions()) - {missing}
    env = {
        "RECERTIFY_AWS_ENABLED": "false",
        "RECERTIFY_ENTRA_ENABLED": "false",
        "RECERTIFY_SLACK_ENABLED": "false",
        "RECERTIFY_GRAPH_TOKEN": "graph-token",
        "RECERTIFY_AZURE_ENABLED": "true",
        "RECERTIFY_AZURE_ARM_URL": sim.url,
        "RECERTIFY_AZURE_TOKEN": ARM_TOKEN,
        "RECERTIFY_AZURE_SUBSCRIPTIONS": f'["{SUB}"]',
    }
    printed = run_cli(capsys, monkeypatch, "doctor", env=env)
    assert printed.code == 1, printed.stderr
    lines = printed.stdout.splitlines()
    assert "✓ azure: ARM token: RECERTIFY_AZURE_TOKEN: accepted by ARM" in lines
    assert "✓ azure: subscription " + SUB + ": readable: Department (Enabled)" in lines
    storage = f"✓ azure: Microsoft.Storage/storageAccounts/read in subscription {SUB}: allowed"
    assert f"{storage} (ARM answered ResourceGroupNotFound)" in lines  # its made-up name: asked, allowed
    at = lines.index(next(line for line in lines if line.startswith(f"✗ azure: {missing}")))
    assert "AuthorizationFailed" in lines[at]
    assert lines[at + 1].startswith(f"    fix: allow {missing} to the bot's identity at subscription {SUB}")
    assert lines[-1] == f"{len(read_actions()) + 1} of {len(read_actions()) + 2} checks passed; 1 failed"
