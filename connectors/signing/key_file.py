"""An Ed25519 private key in a PEM file (`[attest] key_file`), and `recertify attest keygen`.

Ed25519 (RFC 8032): small keys, deterministic signatures, no parameters to get wrong. The file is the
operator's: we read it, never write it, except `keygen`, which creates it readable by its owner only (0600)
and refuses to overwrite one.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reviews.errors import InvalidArgument, Misconfigured

SETTING = "[attest] key_file (or RECERTIFY_ATTEST_KEY_FILE)"


class KeyFileSigner:
    algorithm = "Ed25519"

    def __init__(self, path: Path) -> None:
        self.key_id = str(path)
        self._key = _load(path)
        public = self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_key_pem = public.decode("ascii")

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def _load(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise Misconfigured(
            f"{SETTING}: {path} does not exist (create one with `recertify attest keygen --out {path}`)"
        ) from None
    except OSError as exc:
        raise Misconfigured(f"{SETTING}: {path} cannot be read ({exc.strerror})") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise Misconfigured(
            f"{SETTING}: {path} is encrypted; give an unencrypted key (keep it 0600)"
        ) from None
    except ValueError:
        raise Misconfigured(f"{SETTING}: {path} is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise Misconfigured(
            f"{SETTING}: {path} holds a {type(key).__name__.lstrip('_')}, not an Ed25519 private key "
            "(for an ECDSA key use [attest] kms_key_id with AWS KMS)"
        )
    return key


def generate(out: Path) -> tuple[Path, Path]:
    """A new Ed25519 key at `out` (0600) and its public key next to it (`<out stem>.pub.pem`)."""
    public_path = out.with_name(f"{out.stem}.pub.pem" if out.suffix == ".pem" else f"{out.name}.pub.pem")
    for path in (out, public_path):
        if path.exists():
            raise InvalidArgument(
                f"{path} exists: a key is never overwritten (remove it first, or pick --out)"
            )
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(private)
        public_path.write_bytes(public)
    except OSError as exc:
        raise InvalidArgument(f"cannot write the key to {exc.filename}: {exc.strerror}") from None
    return out, public_path
