"""`recertify attest`: a real history (granted, reviewed, revoked by policy, verified, granted again) attested
through the command line, for a store on a day and for a campaign, signed with a key file or an AWS KMS key
(moto), with the checkpoint's write-once copy when one is configured; then checked by recertify-verify.
Bad keys and bad arguments are refused with a clear reason."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from moto import mock_aws
from sqlalchemy import Engine, select
from sqlmodel import Session

import recertify_verify
from reviews import audit
from reviews.audit import checkpoints
from tests.campaigns.test_enforce import READERS, Loop, arn
from tests.checkpoint_world import BUCKET, REGION, locked_bucket
from tests.helpers import T0, run_cli

DAY = T0.date().isoformat()  # the first sync: u00 could read payroll that day


@pytest.fixture
def history(engine: Engine, session: Session) -> Loop:
    """u00 reads payroll; a campaign revokes it (silence, unused for 200 days), the revocation is verified
    by the next sync; a day later someone grants it again."""
    loop = Loop.with_readers(session, engine, 1)
    loop.planned_and_approved()
    loop.execute()
    loop.clock.advance(timedelta(hours=1))
    loop.sync()
    loop.clock.advance(timedelta(days=1))
    loop.provider.add_member(READERS, arn("u00"))
    loop.sync()
    return loop


def _env(database_url: str, key: Path | None = None, **more: str) -> dict[str, str]:
    env = {"RECERTIFY_DATABASE_URL": database_url, **more}
    if key is not None:
        env["RECERTIFY_ATTEST_KEY_FILE"] = str(key)
    return env


def _keygen(capsys: Any, monkeypatch: pytest.MonkeyPatch, where: Path) -> tuple[Path, Path]:
    result = run_cli(capsys, monkeypatch, "attest", "keygen", "--out", str(where / "attest.pem"))
    assert result.code == 0, result.stderr
    return where / "attest.pem", where / "attest.pub.pem"


def _verify(capsys: Any, bundle: Path, *extra: str) -> str:
    code = recertify_verify.main([str(bundle), *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def test_a_store_on_a_day_attested_and_verified(
    history: Loop,
    engine: Engine,
    database_url: str,
    capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    key, pub = _keygen(capsys, monkeypatch, tmp_path)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    out = tmp_path / "payroll.json"
    result = run_cli(
        capsys,
        monkeypatch,
        "attest",
        "--store",
        "payroll",
        "--at",
        DAY,
        "--out",
        str(out),
        env=_env(database_url, key),
    )
    assert result.code == 0, result.stderr
    assert f"{out}: 4 rows resting on" in result.stdout and "recertify-verify" in result.stdout
    bundle = json.loads(out.read_text())
    events = {event["seq"]: event for event in bundle["events"]}
    rows = {(row["principal"]["name"], row["access"]): row for row in bundle["answer"]["rows"]}
    assert set(rows) == {("olu", "read"), ("olu", "admin"), ("break-glass-1", "read"), ("u00", "read")}
    u00 = rows[("u00", "read")]
    assert u00["path"] == ["group:payroll-read"]
    (review,) = u00["reviews"]
    assert review["status"] == "revoked" and review["decisions"][0]["outcome"] == "revoke"
    assert review["decisions"][0]["via"] == "policy"
    (revocation,) = u00["revocations"]
    assert revocation["state"] == "verified" and revocation["applied_at"] and revocation["verified_at"]
    cited = {events[seq]["kind"] for seq in u00["events"]}
    assert {
        "grant.opened",
        "item.closed_without_response",
        "revocation.applied",
        "revocation.verified",
    } <= cited
    assert {"campaign.started"} <= cited
    # Complete: every event about what the answer rests on, up to the checkpoint, is in the bundle.
    subjects = {events[seq]["subject"] for seq in events}
    with Session(engine) as session:
        checkpoint = checkpoints.latest(session)
        assert checkpoint is not None and checkpoint.head == audit.head(session)  # attest recorded it
        stored = session.execute(
            select(audit.EVENTS.c.seq).where(
                audit.EVENTS.c.subject.in_(subjects), audit.EVENTS.c.seq <= checkpoint.seq
            )
        ).scalars()
        assert sorted(stored) == sorted(events)
    assert bundle["checkpoint"]["seq"] == checkpoint.seq and bundle["checkpoint"]["written_to"] is None
    summary = _verify(capsys, out, "--key", str(pub))
    assert "who could access store payroll on" in summary and "4 row(s)" in summary
    assert "none: the checkpoint was kept in the operator's database only" in summary
    # As an auditor runs it: its own program, pinned to the checkpoint they hold.
    script = Path(sys.executable).with_name("recertify-verify")
    pinned = f"{checkpoint.seq}:{checkpoint.hash}"
    done = subprocess.run(
        [str(script), str(out), "--key", str(pub), "--checkpoint", pinned],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.startswith("VERIFIED"), done.stderr


def test_a_campaign_attested_and_verified(
    history: Loop, database_url: str, capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key, pub = _keygen(capsys, monkeypatch, tmp_path)
    out = tmp_path / "campaign.json"
    campaign = 1  # the history's only campaign
    result = run_cli(
        capsys,
        monkeypatch,
        "attest",
        "--campaign",
        str(campaign),
        "--out",
        str(out),
        env=_env(database_url, key),
    )
    assert result.code == 0, result.stderr
    bundle = json.loads(out.read_text())
    assert bundle["subject"]["campaign"] == campaign
    assert len(bundle["answer"]["rows"]) == bundle["subject"]["population_count"] > 0
    kinds = {event["kind"] for event in bundle["events"]}
    assert {"campaign.started", "item.closed_without_response", "revocation.verified"} <= kinds
    summary = _verify(capsys, out, "--key", str(pub))
    assert f"campaign {campaign}" in summary


@pytest.fixture
def s3(aws_env: None) -> Iterator[object]:
    with locked_bucket() as client:
        yield client


def test_the_checkpoint_s_write_once_copy_is_named(
    history: Loop, database_url: str, capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, s3: Any
) -> None:
    key, _ = _keygen(capsys, monkeypatch, tmp_path)
    out = tmp_path / "payroll.json"
    env = _env(
        database_url, key, RECERTIFY_AUDIT_CHECKPOINT_BUCKET=BUCKET, RECERTIFY_AWS_REGIONS=f'["{REGION}"]'
    )
    result = run_cli(
        capsys, monkeypatch, "attest", "--store", "payroll", "--at", DAY, "--out", str(out), env=env
    )
    assert result.code == 0, result.stderr
    written = json.loads(out.read_text())["checkpoint"]["written_to"]
    assert written.startswith(f"s3://{BUCKET}/recertify/")
    assert f"write-once  {written}" in _verify(capsys, out)


def test_signed_with_an_aws_kms_key(
    history: Loop,
    database_url: str,
    capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    aws_env: None,
) -> None:
    """AWS KMS: an ECC_NIST_P256 key for SIGN_VERIFY, signing with ECDSA_SHA_256 a RAW message of at most
    4096 bytes (AWS KMS API reference, Sign; GetPublicKey returns the DER SubjectPublicKeyInfo)."""
    with mock_aws():
        kms = boto3.client("kms", region_name=REGION)
        key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        der = kms.get_public_key(KeyId=key_id)["PublicKey"]
        pem = serialization.load_der_public_key(der).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        (tmp_path / "kms.pub.pem").write_bytes(pem)
        out = tmp_path / "payroll.json"
        env = _env(database_url, RECERTIFY_ATTEST_KMS_KEY_ID=key_id, RECERTIFY_AWS_REGIONS=f'["{REGION}"]')
        result = run_cli(
            capsys, monkeypatch, "attest", "--store", "payroll", "--at", DAY, "--out", str(out), env=env
        )
        assert result.code == 0, result.stderr
        rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        env["RECERTIFY_ATTEST_KMS_KEY_ID"] = rsa
        refused = run_cli(
            capsys, monkeypatch, "attest", "--store", "payroll", "--at", DAY, "--out", str(out), env=env
        )
    assert (
        refused.code == 1
        and "a RSA_2048 key for SIGN_VERIFY; attestations need an ECC_NIST_P256" in refused.stderr
    )
    bundle = json.loads(out.read_text())
    assert bundle["signature"]["algorithm"] == "ECDSA_SHA_256"
    assert "ECDSA_SHA_256 key sha256:" in _verify(capsys, out, "--key", str(tmp_path / "kms.pub.pem"))


def test_bad_keys_are_refused_with_a_reason(
    history: Loop, database_url: str, capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "x.json"
    args = ("attest", "--store", "payroll", "--at", DAY, "--out", str(out))
    none = run_cli(capsys, monkeypatch, *args, env=_env(database_url))
    assert none.code == 1 and "set [attest] key_file" in none.stderr
    missing = run_cli(capsys, monkeypatch, *args, env=_env(database_url, tmp_path / "nope.pem"))
    assert (
        missing.code == 1
        and "nope.pem does not exist (create one with `recertify attest keygen" in missing.stderr
    )
    folder = run_cli(capsys, monkeypatch, *args, env=_env(database_url, tmp_path))
    assert folder.code == 1 and f"{tmp_path} cannot be read (Is a directory)" in folder.stderr
    (tmp_path / "text.pem").write_text("hello")
    text = run_cli(capsys, monkeypatch, *args, env=_env(database_url, tmp_path / "text.pem"))
    assert text.code == 1 and "text.pem is not a PEM private key" in text.stderr
    ecdsa = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "ec.pem").write_bytes(ecdsa)
    wrong = run_cli(capsys, monkeypatch, *args, env=_env(database_url, tmp_path / "ec.pem"))
    assert wrong.code == 1 and "not an Ed25519 private key" in wrong.stderr
    both = run_cli(
        capsys,
        monkeypatch,
        *args,
        env=_env(database_url, tmp_path / "ec.pem", RECERTIFY_ATTEST_KMS_KEY_ID="k"),
    )
    assert both.code == 2 and "not both" in both.stderr
    for result in (none, missing, folder, text, wrong, both):
        assert "Traceback" not in result.stderr
    assert not out.exists()
    key, _ = _keygen(capsys, monkeypatch, tmp_path)
    again = run_cli(capsys, monkeypatch, "attest", "keygen", "--out", str(key))
    assert again.code == 2 and "exists: a key is never overwritten" in again.stderr


def test_bad_arguments_are_refused_with_a_reason(
    history: Loop, database_url: str, capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key, _ = _keygen(capsys, monkeypatch, tmp_path)
    env, out = _env(database_url, key), str(tmp_path / "x.json")
    cases = [
        (("--store", "payroll", "--out", out), "give --store S --at YYYY-MM-DD, or --campaign ID"),
        (("--campaign", "1", "--store", "payroll", "--out", out), "without --store and --at"),
        (("--store", "payroll", "--at", DAY), "--out FILE"),
        (("--store", "payroll", "--at", f"{DAY}T10:00:00", "--out", out), "an attestation is for a day"),
        (("--store", "nope", "--at", DAY, "--out", out), "no store has the id or name 'nope'"),
        (("--store", "payroll", "--at", "2999-01-01", "--out", out), "is in the future"),
    ]
    for args, reason in cases:
        result = run_cli(capsys, monkeypatch, "attest", *args, env=env)
        assert result.code != 0 and reason in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_an_auditor_attests_only_over_an_existing_checkpoint(
    history: Loop, database_url: str, capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An auditor's connection is read-only: attest then never records a checkpoint, and says who can."""
    key, pub = _keygen(capsys, monkeypatch, tmp_path)
    env, out = _env(database_url, key), tmp_path / "auditor.json"
    args = ("--role", "auditor", "attest", "--store", "payroll", "--at", DAY, "--out", str(out))
    refused = run_cli(capsys, monkeypatch, *args, env=env)
    assert refused.code == 1 and "an admin must record one (`recertify audit checkpoint`)" in refused.stderr
    assert run_cli(capsys, monkeypatch, "audit", "checkpoint", env=env).code == 0
    made = run_cli(capsys, monkeypatch, *args, env=env)
    assert made.code == 0, made.stderr
    assert "VERIFIED" in _verify(capsys, out, "--key", str(pub))
