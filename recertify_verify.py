"""recertify-verify: check a Recertify attestation (recertify.attestation/1) offline.

    recertify-verify BUNDLE.json [--key PUBKEY.pem] [--checkpoint SEQ:HASH]

Stand-alone on purpose: the standard library and `cryptography`, no database, no configuration, nothing
else of Recertify, so an auditor can read all of it and run it anywhere. It checks, in this order:

1. the file is JSON in the bundle's format, with exactly its parts;
2. the signature (Ed25519, RFC 8032; or ECDSA P-256 with SHA-256, as AWS KMS signs) over the statement of
   each part's SHA-256, and that each part still has the digest that was signed (naming the part changed);
   with --key, that the bundle was signed by exactly that key; with --checkpoint, that it proves exactly the
   checkpoint the auditor holds (from its write-once copy);
3. the chain: from the segment's start, each event (included in full) or body digest (left out) is hashed
   in seq order as the audit chain hashes it, and the result must be exactly the checkpoint's hash; a gap,
   a reordering, an event altered, dropped or from another chain, or a proof cut short is named with its seq;
4. the answer's rows cite only events the bundle holds.

It prints what is proven and exits 0; on any failure it prints one reason and exits 1; 2 when the input
cannot be used at all (no such file, a --key that is not a public key).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

FORMAT = "recertify.attestation/1"
REGIONS = ("subject", "answer", "events", "proof", "checkpoint", "chain")
GENESIS = "0" * 64
ALGORITHMS = ("Ed25519", "ECDSA_SHA_256")
_HEX = set("0123456789abcdef")


class Failed(Exception):
    """The bundle does not prove what it claims (exit 1)."""


class Unusable(Exception):
    """The input cannot be checked at all (exit 2)."""


# -- the audit chain's hashing (reviews.audit), repeated here ----------------------------------------------


def canonical(value: Any) -> bytes:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def body_digest(event: dict[str, Any]) -> str:
    body = {k: event[k] for k in ("occurred_at", "actor", "kind", "subject", "payload")}
    return _sha256(canonical(body))


def link_hash(seq: int, prev_hash: str, digest: str) -> str:
    return _sha256(canonical({"seq": seq, "prev_hash": prev_hash, "body": digest}))


def event_hash(event: dict[str, Any], prev_hash: str, digests_from: int) -> str:
    """Version 2 from `digests_from` on (seq, previous hash, body digest); version 1 before (the body)."""
    if event["seq"] >= digests_from:
        return link_hash(event["seq"], prev_hash, body_digest(event))
    body = {k: event[k] for k in ("seq", "occurred_at", "actor", "kind", "subject", "payload")}
    return _sha256(canonical({**body, "prev_hash": prev_hash}))


SIGNER_FIELDS = ("algorithm", "public_key", "fingerprint", "key_id")


def statement(digests: dict[str, str], signer: dict[str, Any]) -> bytes:
    """What was signed: the format, each part's SHA-256, and the signer's fields of the signature block."""
    return canonical({"format": FORMAT, "regions": digests, "signer": signer})


# -- reading -----------------------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse(data: bytes) -> dict[str, Any]:
    try:
        bundle = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise Failed(f"the bundle is not UTF-8 (byte {exc.start}): damaged, or not an attestation") from None
    except ValueError as exc:
        raise Failed(f"the bundle is not valid JSON ({exc}): damaged, or not an attestation") from None
    if not isinstance(bundle, dict):
        raise Failed("the bundle is not a JSON object: not an attestation")
    if bundle.get("format") != FORMAT:
        raise Failed(f"format {bundle.get('format')!r}: this verifier reads {FORMAT}")
    expected = {"format", "signature", *REGIONS}
    for key in sorted(expected - bundle.keys()):
        raise Failed(f"the bundle has no '{key}' part (truncated?)")
    for key in sorted(bundle.keys() - expected):
        raise Failed(f"the bundle has an unexpected part '{key}', which no signature covers")
    return bundle


def _need(condition: bool, what: str) -> None:
    if not condition:
        raise Failed(f"malformed bundle: {what}")


def _is_hex64(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def _is_seq(value: Any) -> bool:
    return type(value) is int and value >= 0


def load_public_key(pem: bytes, what: str) -> Any:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise Failed(f"{what} is not a PEM public key") from None
    return key


def _der(key: Any) -> bytes:
    return bytes(
        key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def fingerprint(key: Any) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo: `openssl pkey -pubin -in KEY.pem -outform der | sha256sum`."""
    return "sha256:" + _sha256(_der(key))


# -- the checks --------------------------------------------------------------------------------------------


def check_signature(bundle: dict[str, Any], given_key: Any | None) -> tuple[str, str]:
    """The signature over the signed statement, then each part against its signed digest. Returns the
    algorithm and the signer's fingerprint."""
    signature = bundle["signature"]
    _need(isinstance(signature, dict), "the signature is not an object")
    algorithm = signature.get("algorithm")
    if algorithm not in ALGORITHMS:
        raise Failed(f"signature algorithm {algorithm!r} is not one of {', '.join(ALGORITHMS)}")
    pem = signature.get("public_key")
    _need(isinstance(pem, str), "the signature has no public key")
    key = load_public_key(pem.encode("ascii", "replace"), "the signature's public key")
    wanted_type = ed25519.Ed25519PublicKey if algorithm == "Ed25519" else ec.EllipticCurvePublicKey
    if not isinstance(key, wanted_type) or (
        isinstance(key, ec.EllipticCurvePublicKey) and not isinstance(key.curve, ec.SECP256R1)
    ):
        raise Failed(f"the signature's public key is not a key for {algorithm}")
    signer = fingerprint(key)
    if signature.get("fingerprint") != signer:
        raise Failed(
            f"the signature's fingerprint {signature.get('fingerprint')!r} is not its key's ({signer})"
        )
    if given_key is not None and _der(given_key) != _der(key):
        raise Failed(f"signed by another key ({signer}), not by the given key ({fingerprint(given_key)})")
    signed = signature.get("signed")
    _need(
        isinstance(signed, dict)
        and set(signed) == set(REGIONS)
        and all(_is_hex64(v) for v in signed.values()),
        "the signature does not list a SHA-256 for each part",
    )
    _need(isinstance(signature.get("key_id"), str), "the signature has no key id")
    _need(set(signature) == {*SIGNER_FIELDS, "signed", "value"}, "the signature block has other fields")
    who = {name: signature[name] for name in SIGNER_FIELDS}
    try:
        value = base64.b64decode(str(signature.get("value")), validate=True)
    except (binascii.Error, ValueError):
        raise Failed("the signature value is not base64 (altered)") from None
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(value, statement(signed, who))  # RFC 8032, Ed25519 (pure)
        else:
            key.verify(value, statement(signed, who), ec.ECDSA(hashes.SHA256()))  # AWS KMS ECDSA_SHA_256
    except InvalidSignature:
        raise Failed(
            "the signature does not verify: the signature or the digests it signs were altered"
        ) from None
    for region in REGIONS:
        try:
            digest = _sha256(canonical(bundle[region]))
        except ValueError:
            raise Failed(f"the {region} part holds a number that has no JSON form (altered)") from None
        if digest != signed[region]:
            raise Failed(f"the {region} part was changed after signing (its SHA-256 is not the signed one)")
    return algorithm, signer


def _events(listed: Any, where: str) -> list[dict[str, Any]]:
    _need(isinstance(listed, list), f"{where} is not a list")
    previous = None
    for event in listed:
        _need(isinstance(event, dict), f"an entry of {where} is not an object")
        seq = event.get("seq")
        _need(_is_seq(seq), f"an entry of {where} has no seq")
        for name in ("occurred_at", "actor", "kind", "subject"):
            _need(isinstance(event.get(name), str), f"event {seq} in {where}: {name} is not text")
        _need(isinstance(event.get("payload"), dict), f"event {seq} in {where}: payload is not an object")
        _need(_is_hex64(event.get("prev_hash")) and _is_hex64(event.get("hash")), f"event {seq}: hashes")
        if previous is not None and seq <= previous:
            raise Failed(f"{where}: event {seq} is listed after event {previous} (reordered)")
        previous = seq
    return listed


def check_chain(bundle: dict[str, Any]) -> dict[str, Any]:
    """Recompute the chain from the segment's start to the checkpoint; return what the summary needs."""
    proof, checkpoint, chain = bundle["proof"], bundle["checkpoint"], bundle["chain"]
    _need(isinstance(proof, dict) and isinstance(proof.get("start"), dict), "the proof has no start")
    _need(isinstance(checkpoint, dict), "the checkpoint is not an object")
    _need(isinstance(chain, dict), "the chain is not an object")
    start_seq, start_hash = proof["start"].get("seq"), proof["start"].get("hash")
    _need(_is_seq(start_seq) and _is_hex64(start_hash), "the proof's start is not a seq and a hash")
    end_seq, end_hash = checkpoint.get("seq"), checkpoint.get("hash")
    _need(_is_seq(end_seq) and _is_hex64(end_hash), "the checkpoint is not a seq and a hash")
    digests_from = chain.get("digests_from")
    _need(type(digests_from) is int and digests_from >= 1, "chain.digests_from is not a seq")
    included = _events(bundle["events"], "events")
    full = _events(proof.get("full"), "proof.full")
    listed = proof.get("digests")
    _need(isinstance(listed, list), "proof.digests is not a list")
    entries: dict[int, tuple[str, Any]] = {}
    previous = None
    for entry in listed:
        _need(
            isinstance(entry, list) and len(entry) == 2 and _is_seq(entry[0]) and _is_hex64(entry[1]),
            "an entry of proof.digests is not [seq, sha256]",
        )
        if previous is not None and entry[0] <= previous:
            raise Failed(f"proof.digests: event {entry[0]} is listed after event {previous} (reordered)")
        previous = entry[0]
        if entry[0] < digests_from:
            raise Failed(
                f"event {entry[0]} is hashed as chain version 1 (before {digests_from}): it must be "
                "included in full, a digest cannot prove it"
            )
        entries[entry[0]] = ("digest", entry[1])
    for event in [*included, *full]:
        if event["seq"] in entries:
            raise Failed(f"event {event['seq']} appears twice in the bundle")
        entries[event["seq"]] = ("event", event)
    if start_seq > end_seq:
        raise Failed(f"the proof starts at {start_seq}, after the checkpoint at {end_seq}")
    if start_seq == 0 and start_hash != GENESIS:
        raise Failed("the proof starts at the chain's beginning but not from the genesis hash")
    beyond = [seq for seq in entries if seq <= start_seq or seq > end_seq]
    if beyond:
        raise Failed(f"event {min(beyond)} lies outside the proven segment {start_seq + 1}..{end_seq}")
    running, last_present = start_hash, max(entries, default=start_seq)
    first_hash = None
    for seq in range(start_seq + 1, end_seq + 1):
        found = entries.get(seq)
        if found is None:
            if seq > last_present:
                raise Failed(
                    f"the proof ends at event {last_present}, before the checkpoint at {end_seq}: events "
                    f"{seq}..{end_seq} are missing (truncated)"
                )
            raise Failed(f"event {seq} is missing from the bundle (dropped): the chain cannot be recomputed")
        what, value = found
        if what == "digest":
            running = link_hash(seq, running, value)
        else:
            if value["prev_hash"] != running:
                raise Failed(
                    f"event {seq} does not follow the event before it (an event or digest before it was "
                    "altered, reordered or dropped, or it comes from another chain)"
                )
            computed = event_hash(value, running, digests_from)
            if computed != value["hash"]:
                raise Failed(f"event {seq} ({value['kind']}): its content does not match its hash (altered)")
            running = computed
        if seq == 1:
            first_hash = running
    if running != end_hash:
        raise Failed(
            f"the chain recomputed from {start_seq}:{start_hash[:12]}… reaches {running[:12]}… at {end_seq}, "
            f"not the checkpoint's {end_hash[:12]}…: a digest was altered, or the bundle is from another "
            "chain"
        )
    if first_hash is not None and chain.get("id") != first_hash:
        raise Failed(f"chain.id {chain.get('id')!r} is not the hash of event 1 ({first_hash}): another chain")
    return {
        "start": start_seq,
        "included": len(included),
        "full": len(full),
        "digests": len(entries) - len(included) - len(full),
        "chain_proven": first_hash is not None,
    }


def check_answer(bundle: dict[str, Any]) -> int:
    answer = bundle["answer"]
    _need(isinstance(answer, dict) and isinstance(answer.get("rows"), list), "the answer has no rows")
    held = {event["seq"] for event in bundle["events"]}
    for number, row in enumerate(answer["rows"], 1):
        _need(
            isinstance(row, dict) and isinstance(row.get("events"), list), f"answer row {number}: no events"
        )
        for seq in row["events"]:
            if seq not in held:
                raise Failed(f"answer row {number} cites event {seq!r}, which the bundle does not hold")
    return len(answer["rows"])


def check_expected(bundle: dict[str, Any], checkpoint: str | None) -> None:
    """`--checkpoint SEQ:HASH`: the bundle must prove exactly the checkpoint the auditor holds (read from
    its write-once copy, or saved earlier), which ties it to that chain."""
    if checkpoint is None:
        return
    seq, _, digest = checkpoint.strip().partition(":")
    if not (seq.isascii() and seq.isdigit() and _is_hex64(digest)):
        raise Unusable(f"--checkpoint {checkpoint!r}: expected SEQ:HASH (a number and 64 hex digits)")
    held = bundle["checkpoint"]
    if not isinstance(held, dict) or (held.get("seq"), held.get("hash")) != (int(seq), digest):
        raise Failed(
            f"the bundle proves checkpoint {held.get('seq') if isinstance(held, dict) else '?'}:"
            f"{held.get('hash') if isinstance(held, dict) else '?'}, not the expected {seq}:{digest}"
        )


def verify(data: bytes, given_key: Any | None = None, checkpoint: str | None = None) -> list[str]:
    """Every check; the summary's lines, or Failed with the first reason."""
    bundle = parse(data)
    algorithm, signer = check_signature(bundle, given_key)
    check_expected(bundle, checkpoint)
    chain = check_chain(bundle)
    rows = check_answer(bundle)
    return summary(bundle, chain, rows, algorithm, signer, given_key is not None)


def summary(
    bundle: dict[str, Any], chain: dict[str, Any], rows: int, algorithm: str, signer: str, keyed: bool
) -> list[str]:
    subject, checkpoint, info = bundle["subject"], bundle["checkpoint"], bundle["chain"]
    if isinstance(subject, dict) and "campaign" in subject:
        about = f"campaign {subject['campaign']}"
    elif isinstance(subject, dict):
        about = f"who could access store {subject.get('store')} on {subject.get('at')} (UTC day)"
    else:
        about = str(subject)
    location = checkpoint.get("written_to")
    lines = [
        f"VERIFIED {FORMAT}",
        f"  subject     {about}",
        f"  answer      {rows} row(s), citing only the {chain['included']} audit event(s) in this bundle",
        f"  chain       {info.get('id')} ({info.get('from')}"
        + (", proven: the segment starts at event 1)" if chain["chain_proven"] else ", as signed)"),
        f"  proof       events {chain['start'] + 1}..{checkpoint['seq']} recomputed: {chain['included']} "
        f"included, {chain['digests']} by body digest only, {chain['full']} hashed as chain version 1 "
        "and included in full",
        f"  checkpoint  seq {checkpoint['seq']} hash {checkpoint['hash']} "
        f"recorded {checkpoint.get('recorded_at')}",
        f"  write-once  {location}: compare its seq and hash with the object there (--checkpoint)"
        if location
        else "  write-once  none: the checkpoint was kept in the operator's database only",
        f"  signer      {algorithm} key {signer} ({bundle['signature'].get('key_id')})",
        "  signature   verified with the given key"
        if keyed
        else "  signature   verified with the key inside the bundle: this proves the bundle is intact, "
        "not who signed it (pass --key PUBKEY.pem to check the signer)",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="recertify-verify", description="Check a Recertify attestation offline and say what it proves."
    )
    parser.add_argument("bundle", help="the attestation (JSON) written by `recertify attest`")
    parser.add_argument("--key", help="the signer's public key (PEM): the bundle must be signed by it")
    parser.add_argument(
        "--checkpoint",
        metavar="SEQ:HASH",
        help="the checkpoint you hold (its write-once copy, or a head saved earlier): it must be proven",
    )
    args = parser.parse_args(argv)
    try:
        try:
            data = Path(args.bundle).read_bytes()
        except OSError as exc:
            raise Unusable(f"{args.bundle}: {exc.strerror}") from None
        given = None
        if args.key is not None:
            try:
                pem = Path(args.key).read_bytes()
            except OSError as exc:
                raise Unusable(f"--key {args.key}: {exc.strerror}") from None
            try:
                given = load_public_key(pem, f"--key {args.key}")
            except Failed as exc:
                raise Unusable(str(exc)) from None
        lines = verify(data, given, args.checkpoint)
    except Unusable as exc:
        sys.stderr.write(f"recertify-verify: {exc}\n")
        return 2
    except Failed as exc:
        sys.stderr.write(f"NOT VERIFIED: {exc}\n")
        return 1
    except Exception as exc:  # never a traceback: anything unforeseen is a failure with its reason
        sys.stderr.write(f"NOT VERIFIED: the bundle could not be checked ({type(exc).__name__}: {exc})\n")
        return 1
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
