"""`recertify doctor` as an operator runs it: one line per check, a fix under each failure, exit 0 when every
check passes and 1 when one fails; no database is needed (it runs before `db upgrade` as well as after)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.entra.doctor import required_permissions
from simulators.graph import GraphSimulator, Tenant
from simulators.slack import SlackSimulator, SlackWorkspace
from tests.helpers import run_cli

TOKEN = "xoxb-test"  # noqa: S105  (the simulator's)
ALL_READS = tuple(required_permissions())  # every read permission the code declares


def _env(slack: SlackSimulator, graph: GraphSimulator, bot_token: str = TOKEN) -> dict[str, str]:
    return {
        "RECERTIFY_AWS_ENABLED": "false",
        "RECERTIFY_ENTRA_GRAPH_URL": graph.url,
        "RECERTIFY_GRAPH_TOKEN": "test-token",
        "RECERTIFY_SLACK_API_URL": slack.api_url,
        "SLACK_BOT_TOKEN": bot_token,
        "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
    }


def _slack() -> SlackSimulator:
    return SlackSimulator(SlackWorkspace(team_id="T0001", team_name="Department"), bot_token=TOKEN)


def test_all_checks_pass_exit_0(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = Tenant()
    tenant.add_group("payroll")  # PIM for Groups is probed about one group
    with _slack() as slack, GraphSimulator(tenant, granted_roles=ALL_READS) as graph:
        result = run_cli(capsys, monkeypatch, "doctor", env=_env(slack, graph))
    assert result.code == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "✓ entra: GroupMember.Read.All: GET /groups?$top=1&$select=id" in lines
    assert "✓ slack: auth.test: the bot token is recertify in workspace Department" in lines
    assert lines[-1] == "9 of 9 checks passed"
    assert not Path("recertify.db").exists()  # read-only: not even an empty database


def test_a_failing_check_exits_1_with_its_fix(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    granted = [p for p in ALL_READS if p != "Application.Read.All"]
    with _slack() as slack, GraphSimulator(Tenant(), granted_roles=granted) as graph:
        result = run_cli(capsys, monkeypatch, "doctor", env=_env(slack, graph, bot_token="xoxb-wrong"))
    assert result.code == 1
    lines = result.stdout.splitlines()
    at = lines.index("✗ slack: auth.test: Slack answered invalid_auth")
    assert lines[at + 1].startswith("    fix: set SLACK_BOT_TOKEN to the app's Bot User OAuth Token")
    denied = next(i for i, line in enumerate(lines) if line.startswith("✗ entra: Application.Read.All"))
    assert "Authorization_RequestDenied" in lines[denied]
    assert "Application.Read.All application permission" in lines[denied + 1]
    assert lines[-1].endswith("; 2 failed")


def test_json_output_lists_every_check(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with _slack() as slack, GraphSimulator(Tenant(), granted_roles=ALL_READS, premium=False) as graph:
        result = run_cli(capsys, monkeypatch, "doctor", "--format", "json", env=_env(slack, graph))
    assert result.code == 0  # a missing licence warns, it does not fail
    checks = json.loads(result.stdout)
    sign_in = next(c for c in checks if c["check"] == "AuditLog.Read.All")
    assert sign_in == {**sign_in, "source": "entra", "ok": True, "warning": True, "fix": ""}
    assert {c["source"] for c in checks} == {"entra", "slack"}


def test_the_config_option_is_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "recertify.toml"
    config.write_text("[aws]\nenabled = false\n[entra]\nenabled = false\n[slack]\nenabled = false\n")
    result = run_cli(capsys, monkeypatch, "--config", str(config), "doctor")
    assert result.code == 0
    assert result.stdout == "nothing to check: aws, entra and slack are all disabled\n"
