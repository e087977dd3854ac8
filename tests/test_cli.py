"""The console script as installed: every command group is there and helps."""

from __future__ import annotations

import json
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


def test_version_prints_the_installed_version(capsys, monkeypatch) -> None:
    from importlib.metadata import version

    result = run_cli(capsys, monkeypatch, "--version")
    assert result.code == 0 and result.stdout.strip() == f"recertify {version('recertify')}"


def test_global_options_after_the_command_mean_what_they_mean_before_it(
    capsys, monkeypatch, tmp_path: Path
) -> None:
    """Issue 17: `recertify access --config FILE` used to fail with "No such option"."""
    database = tmp_path / "r.db"
    config = tmp_path / "r.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{database}"\n')
    assert run_cli(capsys, monkeypatch, "db", "upgrade", "--config", str(config)).code == 0
    after = run_cli(capsys, monkeypatch, "access", "--config", str(config))
    assert after.code == 1 and "no sync has been applied yet" in after.stderr  # it read that database
    listed = run_cli(capsys, monkeypatch, "campaign", "list", "--config", str(config), "--format", "json")
    assert listed.code == 0 and listed.stdout.strip() == "[]"
    as_auditor = run_cli(capsys, monkeypatch, "db", "upgrade", f"--config={config}", "--role", "auditor")
    assert as_auditor.code != 0 and "auditor" in as_auditor.stderr


def test_hoisting_leaves_what_follows_a_double_dash_alone() -> None:
    from cli.argv import hoist_global_options

    assert hoist_global_options(["access", "--config", "a.toml", "--", "--config", "b"]) == [
        "--config",
        "a.toml",
        "access",
        "--",
        "--config",
        "b",
    ]


def test_a_read_in_an_empty_directory_leaves_no_database_behind(capsys, monkeypatch, tmp_path: Path) -> None:
    """Issue 17: SQLite creates the file it is asked to open; a read command must not."""
    monkeypatch.chdir(tmp_path)
    for command in (
        ["access"],
        ["campaign", "list"],
        ["db", "current"],
        ["--role", "auditor", "audit", "verify"],
    ):
        result = run_cli(capsys, monkeypatch, *command)
        assert list(tmp_path.iterdir()) == [], command
        if command != ["db", "current"]:
            assert result.code != 0 and "there is no database at recertify.db" in result.stderr, command
            assert "recertify db upgrade" in result.stderr
    created = run_cli(capsys, monkeypatch, "db", "upgrade")
    assert created.code == 0 and (tmp_path / "recertify.db").is_file()


def test_the_roles_trust_policy_names_who_may_assume_them(capsys, monkeypatch) -> None:
    """IAM User Guide, "AWS JSON policy elements: Principal": "In IAM roles, use the Principal element in the
    role trust policy to specify who can assume the role.\""""
    runner = "arn:aws:iam::111122223333:role/recertify"
    made = run_cli(capsys, monkeypatch, "permissions", "aws", "trust", "--principal", runner)
    assert made.code == 0, made.stderr
    (statement,) = json.loads(made.stdout)["Statement"]
    assert statement == {
        "Sid": "RecertifyAssumesThisRole",
        "Effect": "Allow",
        "Principal": {"AWS": runner},
        "Action": "sts:AssumeRole",
    }
    session = "arn:aws:sts::111122223333:assumed-role/recertify/i-0abc"
    for wrong in (["trust", "--principal", session], ["trust"], ["read", "--principal", runner]):
        refused = run_cli(capsys, monkeypatch, "permissions", "aws", *wrong)
        assert refused.code == 2 and "--principal" in refused.stderr, wrong
