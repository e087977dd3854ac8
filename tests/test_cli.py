"""The console script as installed: every command group is there and helps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import run_cli


def test_the_console_script_is_installed_and_helps(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("recertify")
    result = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert result.returncode == 0
    for group in (
        "config",
        "db",
        "audit",
        "sync",
        "access",
        "cycles",
        "campaign",
        "revocations",
        "serve",
        "demo",
    ):
        assert group in result.stdout


def test_an_unknown_option_is_a_usage_error(capsys, monkeypatch) -> None:
    result = run_cli(capsys, monkeypatch, "access", "--format", "xml")
    assert result.code == 2


def test_the_readme_carries_the_permissions_the_code_declares(capsys, monkeypatch) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for role in ("read", "write"):
        printed = run_cli(capsys, monkeypatch, "permissions", "aws", role)
        assert printed.code == 0, printed.stderr
        assert printed.stdout.strip() in readme, (
            f"README's {role} policy is out of date: paste `recertify permissions aws {role}`"
        )


def test_sync_entra_without_a_credential_names_what_is_missing(
    database_url: str, capsys, monkeypatch
) -> None:
    result = run_cli(
        capsys, monkeypatch, "sync", "--source", "entra", env={"RECERTIFY_DATABASE_URL": database_url}
    )
    assert result.code == 2
    assert "entra is enabled but has no credential" in result.stderr


def test_the_readme_lists_every_graph_permission_the_code_declares(capsys, monkeypatch) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    printed = run_cli(capsys, monkeypatch, "permissions", "entra")
    assert printed.code == 0
    for line in printed.stdout.splitlines():
        side, permissions, purpose = line.split("\t")
        assert f"| `{permissions}` | {side} | {purpose} |" in readme
