"""The bytes an attestation is signed over. recertify_verify.py repeats these few lines (it imports nothing
of this repository); tests/test_recertify_verify.py checks that both agree."""

from __future__ import annotations

import hashlib
import json
from typing import Any

FORMAT = "recertify.attestation/1"
# What the signature covers, region by region, so a verifier can name the region changed after signing.
REGIONS = ("subject", "answer", "events", "proof", "checkpoint", "chain")


def canonical(value: Any) -> bytes:
    """The audit chain's canonical JSON (reviews.audit): sorted keys, no spaces, UTF-8, no NaN."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def region_digests(bundle: dict[str, Any]) -> dict[str, str]:
    return {name: hashlib.sha256(canonical(bundle[name])).hexdigest() for name in REGIONS}


SIGNER_FIELDS = ("algorithm", "public_key", "fingerprint", "key_id")


def statement(digests: dict[str, str], signer: dict[str, str]) -> bytes:
    """What is signed: the format, each region's SHA-256 and who signs (`SIGNER_FIELDS` of the signature
    block, so none of it can be changed either): well under the 4096 bytes AWS KMS signs as a RAW message."""
    return canonical({"format": FORMAT, "regions": digests, "signer": signer})
