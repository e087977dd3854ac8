"""An AWS KMS asymmetric key as the attestation signer (`[attest] kms_key_id`).

The key must be ECC_NIST_P256 with key usage SIGN_VERIFY; we sign with ECDSA_SHA_256 and MessageType RAW
(KMS hashes the message itself; RAW messages are at most 4096 bytes, which the signed statement of a
bundle always is: AWS KMS API reference, Sign). The public key comes from GetPublicKey (DER
SubjectPublicKeyInfo) and goes into each bundle as PEM, so a verifier needs no AWS access.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization

from connectors.aws.accounts import RETRY_CONFIG
from connectors.aws.errors import botocore_errors
from reviews.errors import Misconfigured

ALGORITHM = "ECDSA_SHA_256"
KEY_SPEC = "ECC_NIST_P256"


class KmsSigner:
    algorithm = ALGORITHM

    def __init__(self, key_id: str, *, region: str, client: Any | None = None) -> None:
        self.key_id = key_id
        self._kms = client or boto3.client("kms", region_name=region, config=RETRY_CONFIG)
        with botocore_errors(f"[attest] kms_key_id {key_id}", _from_client_error):
            answer = self._kms.get_public_key(KeyId=key_id)
        # KeySpec; CustomerMasterKeySpec is its deprecated name, which some answers (moto) still use.
        spec = answer.get("KeySpec") or answer.get("CustomerMasterKeySpec")
        usage = answer.get("KeyUsage")
        if spec != KEY_SPEC or usage != "SIGN_VERIFY" or ALGORITHM not in answer.get("SigningAlgorithms", []):
            raise Misconfigured(
                f"[attest] kms_key_id {key_id}: a {spec} key for {usage}; attestations need an "
                f"{KEY_SPEC} key for SIGN_VERIFY (signed with {ALGORITHM})"
            )
        public = serialization.load_der_public_key(answer["PublicKey"])
        pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.public_key_pem = pem.decode("ascii")
        self.key_id = str(answer.get("KeyId") or key_id)

    def sign(self, message: bytes) -> bytes:
        with botocore_errors(f"[attest] kms_key_id {self.key_id}", _from_client_error):
            answer = self._kms.sign(
                KeyId=self.key_id, Message=message, MessageType="RAW", SigningAlgorithm=ALGORITHM
            )
        return bytes(answer["Signature"])


def _from_client_error(exc: ClientError, where: str) -> Misconfigured:
    """Every KMS error code (a missing, disabled or pending-deletion key, access denied, and also a throttle
    the client's retries did not outlast) refuses the signature as the key's problem, naming the code: an
    attestation is one command an operator runs again, not a job that retries by itself."""
    error = exc.response.get("Error", {})
    return Misconfigured(f"{where}: {error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": "))
