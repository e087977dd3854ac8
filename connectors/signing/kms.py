"""An AWS KMS asymmetric key as the attestation signer (`[attest] kms_key_id`).

The key must be ECC_NIST_P256 with key usage SIGN_VERIFY; we sign with ECDSA_SHA_256 and MessageType RAW
(KMS hashes the message itself; RAW messages are at most 4096 bytes, which the signed statement of a
bundle always is: AWS KMS API reference, Sign). The public key comes from GetPublicKey (DER
SubjectPublicKeyInfo) and goes into each bundle as PEM, so a verifier needs no AWS access.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from cryptography.hazmat.primitives import serialization

from connectors.aws.accounts import RETRY_CONFIG
from reviews.errors import Misconfigured, SourceUnavailable

ALGORITHM = "ECDSA_SHA_256"
KEY_SPEC = "ECC_NIST_P256"


class KmsSigner:
    algorithm = ALGORITHM

    def __init__(self, key_id: str, *, region: str, client: Any | None = None) -> None:
        self.key_id = key_id
        self._kms = client or boto3.client("kms", region_name=region, config=RETRY_CONFIG)
        try:
            answer = self._kms.get_public_key(KeyId=key_id)
        except ClientError as exc:
            raise Misconfigured(f"[attest] kms_key_id {key_id}: {_message(exc)}") from None
        except BotoCoreError as exc:
            raise SourceUnavailable("AWS KMS", str(exc), retryable=True) from None
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
        try:
            answer = self._kms.sign(
                KeyId=self.key_id, Message=message, MessageType="RAW", SigningAlgorithm=ALGORITHM
            )
        except ClientError as exc:
            raise Misconfigured(f"[attest] kms_key_id {self.key_id}: {_message(exc)}") from None
        except BotoCoreError as exc:
            raise SourceUnavailable("AWS KMS", str(exc), retryable=True) from None
        return bytes(answer["Signature"])


def _message(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
