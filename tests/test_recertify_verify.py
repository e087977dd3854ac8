"""recertify-verify, the stand-alone verifier: what it proves, and every way a bundle can lie, each caught
with its own reason (a flipped byte in each part, events reordered or dropped, a bundle from another chain,
another key, a proof cut short).

The bundles here come from reviews.attestation over small real chains (SQLite files migrated as in
production, built once for the module): the verifier is only ever given what `recertify attest` writes.
"Re-signed" tampering is the strongest attacker (or a faulty producer) holding the signing key: the
signature then verifies, so the chain and answer checks must catch it on their own.
"""

from __future__ import annotations

import ast
import base64
import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

import recertify_verify
from connectors.signing.key_file import KeyFileSigner, generate
from reviews import audit
from reviews.attestation import canonical as ours
from reviews.attestation.answer import Answer, Cite
from reviews.attestation.bundle import make_bundle, sign
from reviews.clock import FrozenClock
from reviews.storage.db import create_db_engine, session_scope, upgrade
from tests.helpers import T0

STORE = "store:arn:aws:s3:::payroll"


def _chain(path: Path, *, salt: str) -> Engine:
    """A migrated SQLite chain: payroll's grant events among other stores' events, and a checkpoint."""
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    clock = FrozenClock(T0)
    with session_scope(engine) as session:
        for i in range(30):
            subject = STORE if i % 4 == 1 else f"store:arn:aws:s3:::other-{i}"
            payload = {
                "principal": f"arn:aws:iam::111122223333:user/u{i % 3}",
                "access": "read",
                "salt": salt,
            }
            audit.append(
                session, audit.NewEvent("system:sync", "grant.opened", subject, payload), clock=clock
            )
            clock.advance(timedelta(minutes=1))
    return engine


def _bundle(engine: Engine, signer: KeyFileSigner) -> dict[str, Any]:
    rows = [
        (
            {"principal": f"u{n}", "access": "read"},
            Cite(frozenset(), STORE, f"arn:aws:iam::111122223333:user/u{n}", "read"),
        )
        for n in range(3)
    ]
    answer = Answer({"store": "payroll", "at": "2026-03-01"}, rows, frozenset({STORE}))
    return make_bundle(
        partial(session_scope, engine),
        answer,
        signer=signer,
        sink=None,
        clock=FrozenClock(T0 + timedelta(hours=2)),
        made_by="cli:test",
        may_checkpoint=True,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    where = tmp_path_factory.mktemp("attest")
    key, pub = generate(where / "key.pem")
    other_key, other_pub = generate(where / "other.pem")
    signer, other = KeyFileSigner(key), KeyFileSigner(other_key)
    first, second = _chain(where / "a.db", salt="a"), _chain(where / "b.db", salt="b")
    bundle, from_b = _bundle(first, signer), _bundle(second, signer)
    yield {
        "bundle": bundle,
        "from_b": from_b,
        "signer": signer,
        "other": other,
        "pub": pub,
        "other_pub": other_pub,
        "where": where,
    }
    first.dispose()
    second.dispose()


def _write(where: Path, bundle: dict[str, Any], name: str = "bundle.json") -> Path:
    path = where / name
    path.write_bytes(ours.canonical(bundle) + b"\n")
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = recertify_verify.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _fails(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any], bundle: dict[str, Any], *extra: str
) -> str:
    path = _write(world["where"], bundle, "tampered.json")
    code, out, err = _run(capsys, str(path), *extra)
    assert code == 1 and out == "", (out, err)
    assert err.startswith("NOT VERIFIED: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


def _flip(text: str, at: int = 0) -> str:
    """One character changed to another of the same kind (hex stays hex): JSON still parses."""
    char = text[at]
    replacement = "0" if char != "0" else "1"
    return text[:at] + replacement + text[at + 1 :]


def test_a_sound_bundle_verifies_and_says_what_it_proves(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any]
) -> None:
    bundle = world["bundle"]
    path = _write(world["where"], bundle)
    code, out, err = _run(capsys, str(path), "--key", str(world["pub"]))
    assert code == 0, err
    assert out.startswith("VERIFIED recertify.attestation/1\n")
    assert "who could access store payroll on 2026-03-01" in out
    assert f"seq {bundle['checkpoint']['seq']} hash {bundle['checkpoint']['hash']}" in out
    assert bundle["signature"]["fingerprint"] in out and "verified with the given key" in out
    assert "8 included" in out and "by body digest only" in out  # payroll's 8 events of 30
    # Every row cites exactly its principal's grant events.
    assert [len(row["events"]) for row in bundle["answer"]["rows"]] == [2, 3, 3]
    # Without --key: integrity only, and it says so.
    code, out, _ = _run(capsys, str(path))
    assert code == 0 and "proves the bundle is intact, not who signed it" in out


def test_the_verifier_runs_as_its_own_program(world: dict[str, Any]) -> None:
    path = _write(world["where"], world["bundle"])
    script = Path(sys.executable).with_name("recertify-verify")
    done = subprocess.run(
        [str(script), str(path), "--key", str(world["pub"])], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("VERIFIED")


def test_the_verifier_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(Path(recertify_verify.__file__).read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    assert roots - set(sys.stdlib_module_names) == {"cryptography"}


def test_the_verifier_hashes_exactly_as_the_chain_and_the_signer() -> None:
    event = {
        "seq": 7,
        "occurred_at": audit.iso_time(T0),
        "actor": "a",
        "kind": "k",
        "subject": "s",
        "payload": {"é": [1, 2.5]},
    }
    assert recertify_verify.body_digest(event) == audit.body_digest(T0, "a", "k", "s", {"é": [1, 2.5]})
    assert recertify_verify.event_hash(event, "f" * 64, 7) == audit.event_hash(
        7, T0, "a", "k", "s", {"é": [1, 2.5]}, "f" * 64
    )
    assert recertify_verify.event_hash(event, "f" * 64, 8) == audit.event_hash_v1(
        7, T0, "a", "k", "s", {"é": [1, 2.5]}, "f" * 64
    )
    digests = dict.fromkeys(ours.REGIONS, "ab" * 32)
    who = {"algorithm": "Ed25519", "public_key": "PEM", "fingerprint": "sha256:00", "key_id": "k"}
    assert recertify_verify.statement(digests, who) == ours.statement(digests, who)
    assert recertify_verify.REGIONS == ours.REGIONS and recertify_verify.FORMAT == ours.FORMAT


def test_ed25519_is_rfc_8032() -> None:
    """RFC 8032 §7.1, TEST 1: the key, the empty message and the signature the RFC gives."""
    secret = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    expected = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    key = Ed25519PrivateKey.from_private_bytes(secret)
    assert (
        key.public_key().public_bytes_raw().hex()
        == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    )
    assert key.sign(b"") == expected


# -- a changed byte, without re-signing: the part is named -------------------------------------------------


def _changed(bundle: dict[str, Any], region: str) -> dict[str, Any]:
    changed = copy.deepcopy(bundle)
    if region == "answer":
        changed["answer"]["rows"][0]["principal"] = "u9"
    elif region == "events":
        changed["events"][2]["payload"]["access"] = "write"
    elif region == "proof":
        changed["proof"]["digests"][0][1] = _flip(changed["proof"]["digests"][0][1])
    elif region == "checkpoint":
        changed["checkpoint"]["hash"] = _flip(changed["checkpoint"]["hash"])
    elif region == "chain":
        changed["chain"]["id"] = _flip(changed["chain"]["id"])
    elif region == "subject":
        changed["subject"]["at"] = "2026-03-02"
    return changed


@pytest.mark.parametrize("region", ["subject", "answer", "events", "proof", "checkpoint", "chain"])
def test_a_part_changed_after_signing_is_named(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any], region: str
) -> None:
    err = _fails(capsys, world, _changed(world["bundle"], region))
    assert f"the {region} part was changed after signing" in err


def test_a_changed_signature_does_not_verify(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any]
) -> None:
    bundle = copy.deepcopy(world["bundle"])
    value = bytearray(base64.b64decode(bundle["signature"]["value"]))
    value[10] ^= 0x01
    bundle["signature"]["value"] = base64.b64encode(bytes(value)).decode()
    assert "the signature does not verify" in _fails(capsys, world, bundle)
    bundle = copy.deepcopy(world["bundle"])
    bundle["signature"]["signed"]["answer"] = _flip(bundle["signature"]["signed"]["answer"])
    assert "the signature does not verify" in _fails(capsys, world, bundle)


def test_any_flipped_byte_anywhere_fails(capsys: pytest.CaptureFixture[str], world: dict[str, Any]) -> None:
    """A bit flipped at positions spread over the whole file: never verified, never a traceback."""
    data = ours.canonical(world["bundle"])
    path = world["where"] / "flipped.json"
    step = max(1, len(data) // 250)
    for at in range(0, len(data), step):
        flipped = bytearray(data)
        flipped[at] ^= 0x01
        path.write_bytes(bytes(flipped))
        code, out, err = _run(capsys, str(path))
        assert code == 1 and out == "" and err.startswith("NOT VERIFIED: "), (at, err)


# -- re-signed: the chain and the answer checks catch it on their own --------------------------------------


def _resigned(world: dict[str, Any], bundle: dict[str, Any]) -> dict[str, Any]:
    return sign(bundle, world["signer"])


def test_an_event_altered_and_re_signed_is_named_by_its_seq(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any]
) -> None:
    bundle = copy.deepcopy(world["bundle"])
    event = bundle["events"][2]
    event["payload"]["access"] = "write"
    err = _fails(capsys, world, _resigned(world, bundle))
    assert f"event {event['seq']} (grant.opened): its content does not match its hash (altered)" in err


def test_events_reordered_are_caught(capsys: pytest.CaptureFixture[str], world: dict[str, Any]) -> None:
    bundle = copy.deepcopy(world["bundle"])
    events = bundle["events"]
    events[1], events[2] = events[2], events[1]
    err = _fails(capsys, world, _resigned(world, bundle))
    assert f"event {events[2]['seq']} is listed after event {events[1]['seq']} (reordered)" in err
    # Two events' seqs swapped (the list stays in order): the first no longer follows its predecessor.
    bundle = copy.deepcopy(world["bundle"])
    first, second = bundle["events"][1], bundle["events"][2]
    (first["seq"], first["kind"]), (second["seq"], second["kind"]) = (
        (second["seq"], first["kind"]),
        (first["seq"], second["kind"]),
    )
    bundle["events"][1], bundle["events"][2] = second, first
    err = _fails(capsys, world, _resigned(world, bundle))
    assert f"event {second['seq']} does not follow the event before it" in err


def test_an_event_dropped_is_caught(capsys: pytest.CaptureFixture[str], world: dict[str, Any]) -> None:
    bundle = copy.deepcopy(world["bundle"])
    dropped = bundle["events"].pop(3)
    for row in bundle["answer"]["rows"]:
        row["events"] = [seq for seq in row["events"] if seq != dropped["seq"]]
    err = _fails(capsys, world, _resigned(world, bundle))
    assert f"event {dropped['seq']} is missing from the bundle (dropped)" in err


def test_an_event_dropped_with_a_digest_in_its_place_is_caught_by_the_answer(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any]
) -> None:
    """The chain still checks out (a digest stands for the event), but a row cites what is not there."""
    bundle = copy.deepcopy(world["bundle"])
    dropped = bundle["events"].pop(3)
    digest = recertify_verify.body_digest(dropped)
    bundle["proof"]["digests"] = sorted([*bundle["proof"]["digests"], [dropped["seq"], digest]])
    err = _fails(capsys, world, _resigned(world, bundle))
    assert f"cites event {dropped['seq']}, which the bundle does not hold" in err


def test_a_proof_digest_altered_and_re_signed_breaks_the_chain(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any]
) -> None:
    bundle = copy.deepcopy(world["bundle"])
    bundle["proof"]["digests"][0][1] = _flip(bundle["proof"]["digests"][0][1])
    err = _fails(capsys, world, _resigned(world, bundle))
    assert "does not follow the event before it" in err or "not the checkpoint's" in err


def test_a_truncated_proof_is_caught(capsys: pytest.CaptureFixture[str], world: dict[str, Any]) -> None:
    """The last entries of the segment (digests and events alike) cut off: it ends before the checkpoint."""
    bundle = copy.deepcopy(world["bundle"])
    end = bundle["checkpoint"]["seq"]
    kept = [entry for entry in bundle["proof"]["digests"] if entry[0] <= end - 3]
    assert len(kept) < len(bundle["proof"]["digests"])
    bundle["proof"]["digests"] = kept
    bundle["events"] = [event for event in bundle["events"] if event["seq"] <= end - 3]
    for row in bundle["answer"]["rows"]:
        row["events"] = [seq for seq in row["events"] if seq <= end - 3]
    err = _fails(capsys, world, _resigned(world, bundle))
    assert (
        f"the proof ends at event {end - 3}, before the checkpoint at {end}" in err and "(truncated)" in err
    )


def test_a_bundle_from_another_chain_does_not_reach_this_chain_s_checkpoint(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any]
) -> None:
    """Chain B's events presented with chain A's checkpoint (what an auditor compares with the write-once
    copy): the recomputed chain does not arrive at it. And chain B's own bundle names its own chain."""
    from_b = copy.deepcopy(world["from_b"])
    from_b["checkpoint"] = copy.deepcopy(world["bundle"]["checkpoint"])
    err = _fails(capsys, world, _resigned(world, from_b))
    assert "not the checkpoint's" in err and "another chain" in err
    assert world["from_b"]["chain"]["id"] != world["bundle"]["chain"]["id"]


def test_the_checkpoint_the_auditor_holds_is_required(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any]
) -> None:
    """--checkpoint SEQ:HASH (read from the write-once copy): chain B's own, sound bundle is refused when
    the auditor holds chain A's checkpoint."""
    held = world["bundle"]["checkpoint"]
    expected = f"{held['seq']}:{held['hash']}"
    path = _write(world["where"], world["bundle"])
    assert _run(capsys, str(path), "--checkpoint", expected)[0] == 0
    err = _fails(capsys, world, world["from_b"], "--checkpoint", expected)
    assert f"not the expected {expected}" in err
    code, _, err = _run(capsys, str(path), "--checkpoint", "seven")
    assert code == 2 and "expected SEQ:HASH" in err


def test_another_key_is_refused(capsys: pytest.CaptureFixture[str], world: dict[str, Any]) -> None:
    path = _write(world["where"], world["bundle"])
    code, out, err = _run(capsys, str(path), "--key", str(world["other_pub"]))
    assert code == 1 and "signed by another key" in err and world["bundle"]["signature"]["fingerprint"] in err
    # Re-signed by someone else's key, presented to an auditor who holds the operator's public key.
    forged = sign(copy.deepcopy(world["bundle"]), world["other"])
    assert "signed by another key" in _fails(capsys, world, forged, "--key", str(world["pub"]))
    # A public key swapped in without re-signing: the signature does not verify with it.
    swapped = copy.deepcopy(world["bundle"])
    swapped["signature"]["public_key"] = world["other"].public_key_pem
    swapped["signature"]["fingerprint"] = forged["signature"]["fingerprint"]
    assert "the signature does not verify" in _fails(capsys, world, swapped)


def test_unusable_input_exits_2_and_malformed_bundles_1(
    capsys: pytest.CaptureFixture[str], world: dict[str, Any]
) -> None:
    where = world["where"]
    code, _, err = _run(capsys, str(where / "nope.json"))
    assert code == 2 and "No such file" in err
    path = _write(where, world["bundle"])
    code, _, err = _run(capsys, str(path), "--key", str(path))
    assert code == 2 and "is not a PEM public key" in err
    (where / "text.json").write_text("not json")
    assert _run(capsys, str(where / "text.json"))[0] == 1
    wrong = {**world["bundle"], "format": "recertify.attestation/9"}
    assert "this verifier reads recertify.attestation/1" in _fails(capsys, world, wrong)
    extra = {**world["bundle"], "note": "trust me"}
    assert "unexpected part 'note'" in _fails(capsys, world, extra)
    missing = {k: v for k, v in world["bundle"].items() if k != "proof"}
    assert "no 'proof' part" in _fails(capsys, world, missing)
    json.loads(path.read_text())  # the sound one is still plain JSON
