"""The `[azure]` section: validation with clear errors, the secrets it needs, and how `recertify sync
--source azure` refuses before reading anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from config import load_settings, missing_secrets
from connectors.azure.settings import AzureSettings, classification
from reviews.errors import ConfigurationError
from tests.helpers import run_cli

SUB = "11111111-1111-1111-1111-111111111111"


def _load(tmp_path: Path, body: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    path = tmp_path / "recertify.toml"
    path.write_text(body, encoding="utf-8")
    return load_settings(path, env or {})


def test_azure_is_off_by_default_and_reads_its_section(tmp_path: Path) -> None:
    assert AzureSettings().enabled is False
    loaded = _load(tmp_path, f'[azure]\nenabled = true\nsubscriptions = ["{SUB}"]\nowner_tag = "Owner"\n')
    azure = loaded.settings.azure
    assert (azure.enabled, azure.subscriptions, azure.owner_tag) == (True, [SUB], "Owner")
    assert azure.arm_url == "https://management.azure.com"
    assert "azure" in loaded.settings.enabled_systems()


def test_the_arm_url_comes_from_the_environment(tmp_path: Path) -> None:
    """Issue 19: `arm_url` (default https://management.azure.com, env RECERTIFY_AZURE_ARM_URL)."""
    loaded = _load(tmp_path, "", {"RECERTIFY_AZURE_ARM_URL": "https://127.0.0.1:8443/"})
    assert loaded.settings.azure.arm_url == "https://127.0.0.1:8443"


def test_a_bad_subscription_id_names_the_key_and_what_is_expected(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as failed:
        _load(tmp_path, '[azure]\nsubscriptions = ["production"]\n')
    (problem,) = failed.value.problems
    assert "azure.subscriptions" in problem and "'production' is not an Azure subscription id" in problem


@pytest.mark.parametrize("key", ["personal_data_tag", "owner_tag"])
def test_an_empty_tag_name_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ConfigurationError) as failed:
        _load(tmp_path, f'[azure]\n{key} = ""\n')
    assert f"azure.{key}" in failed.value.problems[0]


def test_a_tag_name_azure_forbids_is_refused(tmp_path: Path) -> None:
    """Tags: a tag name can't contain <, >, %, &, \\, ?, / (Use tags to organize your Azure resources)."""
    with pytest.raises(ConfigurationError) as failed:
        _load(tmp_path, '[azure]\nowner_tag = "owner/email"\n')
    assert "cannot contain /" in failed.value.problems[0]


def test_a_blank_personal_data_value_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as failed:
        _load(tmp_path, '[azure]\npersonal_data_values = [" "]\n')
    assert "azure.personal_data_values" in failed.value.problems[0]


def test_tag_names_match_without_case_and_values_exactly() -> None:
    """Tags - Create Or Update: "A tag name can have a maximum of 512 characters and is case-insensitive";
    tag values are case-sensitive."""
    settings = AzureSettings()
    assert classification({"DATA-Classification": "personal"}, "data-classification") == "personal"
    assert settings.is_personal({"DATA-Classification": "personal"})
    assert not settings.is_personal({"data-classification": "Personal"})
    assert settings.owners({"Data-Owner": "A@X.gov, b@x.gov"}) == ("a@x.gov", "b@x.gov")


def test_enabled_azure_without_a_credential_says_what_is_missing(tmp_path: Path) -> None:
    """RECERTIFY_AZURE_TOKEN is a secret, not the key `token` of [azure]."""
    loaded = _load(tmp_path, "[azure]\nenabled = true\n[entra]\nenabled = false\n")
    assert any("azure is enabled but has no credential" in p for p in missing_secrets(loaded))
    body = "[azure]\nenabled = true\n[entra]\nenabled = false\n"
    arm_only = _load(tmp_path, body, {"RECERTIFY_AZURE_TOKEN": "t"})
    assert any("cannot read the Entra groups" in p for p in missing_secrets(arm_only))
    both = _load(tmp_path, body, {"RECERTIFY_AZURE_TOKEN": "t", "RECERTIFY_GRAPH_TOKEN": "g"})
    assert [p for p in missing_secrets(both) if p.startswith("azure")] == []


def test_enabled_azure_with_the_entra_app_needs_its_secret(tmp_path: Path) -> None:
    body = (
        "[azure]\nenabled = true\n[entra]\nenabled = false\n"
        'tenant_id = "contoso.onmicrosoft.com"\nclient_id = "22222222-2222-2222-2222-222222222222"\n'
    )
    assert any("AZURE_CLIENT_SECRET" in p for p in missing_secrets(_load(tmp_path, body)))
    secret = {"AZURE_CLIENT_SECRET": "s"}
    assert [p for p in missing_secrets(_load(tmp_path, body, secret)) if p.startswith("azure")] == []


def test_sync_source_azure_refuses_clearly_when_azure_is_disabled(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_cli(
        capsys, monkeypatch, "sync", "--source", "azure", env={"RECERTIFY_DATABASE_URL": database_url}
    )
    assert result.code == 1  # Misconfigured, as for any disabled source
    assert "azure is disabled in the configuration (azure.enabled = false)" in " ".join(result.stderr.split())


def test_sync_source_azure_without_a_credential_names_what_is_missing(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_cli(
        capsys,
        monkeypatch,
        "sync",
        "--source",
        "azure",
        env={"RECERTIFY_DATABASE_URL": database_url, "RECERTIFY_AZURE_ENABLED": "true"},
    )
    assert result.code == 2
    assert "azure is enabled but has no credential" in " ".join(result.stderr.split())


def test_wiring_builds_the_azure_connector_when_azure_is_enabled(tmp_path: Path, engine: Engine) -> None:
    """`[azure] enabled` puts Azure among the connectors; building it opens no connection."""
    from connectors.azure.connector import AzureConnector
    from reviews.clock import SystemClock
    from wiring import Wiring

    env = {"RECERTIFY_AZURE_TOKEN": "t", "RECERTIFY_GRAPH_TOKEN": "g"}
    config = _load(tmp_path, "[azure]\nenabled = true\n", env)
    connectors = Wiring(config, engine).connectors(SystemClock())
    assert isinstance(connectors["azure"], AzureConnector)
    assert connectors["azure"].system == "azure"


def test_sync_with_no_source_enabled_names_azure_among_the_switches(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "RECERTIFY_DATABASE_URL": database_url,
        "RECERTIFY_AWS_ENABLED": "false",
        "RECERTIFY_ENTRA_ENABLED": "false",
    }
    result = run_cli(capsys, monkeypatch, "sync", env=env)
    assert result.code == 1
    assert "set aws.enabled, entra.enabled or azure.enabled" in " ".join(result.stderr.split())
