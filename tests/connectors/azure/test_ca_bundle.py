"""`[azure] ca_bundle`: the certificates Recertify trusts for `arm_url` (a simulator's self-signed one), as a
setting rather than the process-wide REQUESTS_CA_BUNDLE, so `recertify demo` trusts the ARM simulator for
ARM alone and leaves its caller's environment as it found it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators.arm import ArmSimulator, ArmState, builtin_role_id
from simulators.graph import GraphSimulator, Tenant
from tests.helpers import run_cli

SUB = "00000000-0000-4000-8000-00000000ca01"
GRAPH_TOKEN, ARM_TOKEN = "graph-token", "arm-token"  # noqa: S105  (the simulators' own)


@pytest.fixture
def simulators(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[GraphSimulator, ArmSimulator]]:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)  # the setting alone must do it
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    tenant = Tenant(seed=5)
    ana = tenant.add_user("Ana Silva", "ana@dept.example.gov", mail="ana@dept.example.gov")
    state = ArmState()
    state.add_subscription(SUB, "Department")
    state.add_storage_account(
        SUB, "rg", "pdstore", tags={"data-classification": "personal", "data-owner": "olu@dept.example.gov"}
    )
    state.add_role_assignment(f"/subscriptions/{SUB}/resourceGroups/rg", builtin_role_id("Reader"), ana)
    with GraphSimulator(tenant, token=GRAPH_TOKEN) as graph, ArmSimulator(state, token=ARM_TOKEN) as arm:
        yield graph, arm


def _env(graph: GraphSimulator, arm: ArmSimulator, database_url: str) -> dict[str, str]:
    return {
        "RECERTIFY_DATABASE_URL": database_url,
        "RECERTIFY_AWS_ENABLED": "false",
        "RECERTIFY_ENTRA_ENABLED": "false",
        "RECERTIFY_GRAPH_URL": graph.url,
        "RECERTIFY_GRAPH_TOKEN": GRAPH_TOKEN,
        "RECERTIFY_AZURE_ENABLED": "true",
        "RECERTIFY_AZURE_ARM_URL": arm.url,
        "RECERTIFY_AZURE_TOKEN": ARM_TOKEN,
        "RECERTIFY_AZURE_SUBSCRIPTIONS": json.dumps([SUB]),
    }


def test_ca_bundle_trusts_the_arm_endpoint_s_certificate(
    simulators: tuple[GraphSimulator, ArmSimulator], database_url: str, capsys, monkeypatch
) -> None:
    """azure-core: "connection_verify: SSL certificate verification. Enabled by default. Set to False to
    disable, alternatively can be set to the path to a CA_BUNDLE file or directory with certificates of
    trusted CAs." `[azure] ca_bundle` is handed to the management clients as that path."""
    graph, arm = simulators
    env = _env(graph, arm, database_url) | {"RECERTIFY_AZURE_CA_BUNDLE": arm.ca_bundle}
    synced = run_cli(capsys, monkeypatch, "sync", "--source", "azure", env=env)
    assert synced.code == 0, synced.stderr
    assert arm.request_count(path_prefix="/subscriptions") > 0


def test_without_it_the_self_signed_certificate_is_refused_naming_the_setting(
    simulators: tuple[GraphSimulator, ArmSimulator], database_url: str, capsys, monkeypatch
) -> None:
    """Certificate verification is "Enabled by default": a simulator's own certificate is not trusted
    unless named, and the error says where to name it."""
    graph, arm = simulators
    env = _env(graph, arm, database_url) | {"RECERTIFY_AZURE_MAX_ATTEMPTS": "1"}  # no retries: fail at once
    failed = run_cli(capsys, monkeypatch, "sync", "--source", "azure", env=env)
    assert failed.code != 0
    assert "not trusted" in failed.stderr and "[azure] ca_bundle" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_a_blank_ca_bundle_is_refused(tmp_path: Path) -> None:
    from config import load_settings
    from reviews.errors import ConfigurationError

    path = tmp_path / "recertify.toml"
    path.write_text('[azure]\nca_bundle = "   "\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match="ca_bundle"):
        load_settings(path, {})
