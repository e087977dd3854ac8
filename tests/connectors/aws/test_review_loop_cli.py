"""The review loop through the CLI against moto's server, with the real AWS connector: sync → cycle →
campaign → the owner decides → close → plan → dry run (nothing changes in AWS) → approve → live → verified
in AWS → undo restores it → the audit chain holds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest

from tests.connectors.aws.test_sync_end_to_end import _seed_department
from tests.helpers import run_cli

CYCLE = """\
name: quarterly-personal-data
scope: {systems: [aws]}
reviewers: {fallback: security@dept.example.gov}
on_no_response: keep
escalate_after_days: null
"""


def group_members() -> set[str]:
    users = boto3.client("iam").get_group(GroupName="payroll-team")["Users"]
    return {user["UserName"] for user in users}


def test_the_review_loop_end_to_end(
    moto_server: str, database_url: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    _seed_department()
    iam = boto3.client("iam")
    iam.create_user(UserName="cy", Tags=[{"Key": "email", "Value": "cy@dept.example.gov"}])
    iam.add_user_to_group(GroupName="payroll-team", UserName="cy")
    env = {
        "RECERTIFY_DATABASE_URL": database_url,
        "RECERTIFY_AWS_IDENTITY_CENTER": "false",
        "RECERTIFY_AWS_LAST_ACCESSED": "false",
        "RECERTIFY_ENTRA_ENABLED": "false",
        "RECERTIFY_SLACK_ENABLED": "false",
    }

    def cli(*args: str, **extra: str):  # noqa: ANN202
        result = run_cli(capsys, monkeypatch, *args, env={**env, **extra})
        assert result.code == 0, result.stderr
        return result

    cli("sync", "--source", "aws")
    (tmp_path / "cycle.yaml").write_text(CYCLE)
    cli("cycles", "apply", str(tmp_path / "cycle.yaml"))
    started = cli("campaign", "start", "quarterly-personal-data").stdout
    campaign = re.search(r"campaign (\d+):", started).group(1)
    assert "2 items" in started
    shown = json.loads(cli("campaign", "show", campaign, "--format", "json").stdout)
    items = {item["holder"]: item for item in shown["items_detail"]}
    assert {name: item["reviewer"] for name, item in items.items()} == {
        "ana": "olu@dept.example.gov",
        "cy": "olu@dept.example.gov",
    }
    cli("campaign", "decide", str(items["ana"]["item_id"]), "revoke", "--as", "olu@dept.example.gov")
    refused = run_cli(
        capsys,
        monkeypatch,
        "campaign",
        "decide",
        str(items["cy"]["item_id"]),
        "revoke",
        "--as",
        "cy@dept.example.gov",
        env=env,
    )
    assert refused.code == 1 and "own access" in refused.stderr
    cli("campaign", "delegate", "olu@dept.example.gov", "security@dept.example.gov", "--days", "3")
    kept = cli("campaign", "decide", str(items["cy"]["item_id"]), "keep", "--as", "security@dept.example.gov")
    assert "keep recorded" in kept.stdout

    closed = cli("campaign", "close", campaign, "--force").stdout
    assert "1 planned (awaiting approval)" in closed
    assert "remove IAM user ana from group payroll-team" in cli("revocations", "list").stdout

    dry = cli("revocations", "approve", "--campaign", campaign)
    assert "approved 1" in dry.stdout
    assert "1 would_apply" in cli("revocations", "apply").stdout  # mode defaults to dry-run
    assert group_members() == {"ana", "cy"}  # a dry run writes nothing

    live = cli("revocations", "apply", RECERTIFY_ENFORCEMENT_MODE="live")
    assert "1 applied" in live.stdout and "verified once the next sync" in live.stdout
    assert group_members() == {"cy"}
    assert "read back; the next sync verifies" in cli("revocations", "list").stdout
    synced = cli("sync", "--source", "aws")
    assert "revocations: 1 verified (the access is gone), 0 survived" in synced.stdout, synced.stdout

    revocation = re.search(r"^\D*(\d+)", cli("revocations", "list").stdout.split("\n", 3)[3]).group(1)
    undone = cli("revocations", "undo", revocation, RECERTIFY_ENFORCEMENT_MODE="live")
    assert "restored" in undone.stdout
    assert group_members() == {"ana", "cy"}
    assert cli("audit", "verify").stdout.startswith("audit chain intact")


@pytest.mark.parametrize("args", [["campaign", "show", "999"], ["campaign", "close", "999"]])
def test_unknown_campaigns_are_named(database_url: str, capsys, monkeypatch, args: list[str]) -> None:
    result = run_cli(capsys, monkeypatch, *args, env={"RECERTIFY_DATABASE_URL": database_url})
    assert result.code == 1 and "campaign 999 does not exist" in result.stderr
