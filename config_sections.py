"""The sections of recertify.toml that belong to no adapter: the database, the audit chain, attestation
signing and `recertify serve`. wiring.py reads them when it wires; config.py composes them with the others."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from reviews.settings import Section
from reviews.storage.database_url import supported_url


class DatabaseSettings(Section):
    url: str = "sqlite:///recertify.db"

    @field_validator("url")
    @classmethod
    def _supported(cls, value: str) -> str:
        return supported_url(value)  # a configuration error now, not the driver's traceback at connection


class AuditSettings(Section):
    """The audit chain's retention and its checkpoints (reviews.audit.retention, reviews.audit.checkpoints).

    `retention_months` (default 24, at least 1): `recertify audit purge` removes only events older than this,
    never on its own. `checkpoint_bucket`: an S3 bucket created with Object Lock enabled; when set, every
    checkpoint is also written there in COMPLIANCE mode, retained `checkpoint_retention_days` (default
    2555, about seven years), and `audit verify` compares the chain with those write-once copies. "" keeps
    checkpoints in the database only. The scheduler records one every `checkpoint_every_minutes`.
    """

    retention_months: int = 24
    checkpoint_bucket: str = ""
    checkpoint_prefix: str = "recertify/"  # the folder of the bucket the checkpoints go to
    checkpoint_retention_days: int = Field(default=2555, ge=1, le=36_500)
    checkpoint_every_minutes: int = Field(default=60, ge=1, le=1440)

    @field_validator("retention_months")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value < 1:
            raise ValueError("expected a number of months, at least 1 (the default, 24, keeps two years)")
        if value > 1200:
            raise ValueError("expected a number of months, at most 1200")
        return value

    @field_validator("checkpoint_bucket")
    @classmethod
    def _bucket(cls, value: str) -> str:
        if value and not re.match(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", value):
            raise ValueError("expected an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)")
        return value

    @field_validator("checkpoint_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if value.startswith("/") or (value and not value.endswith("/")):
            raise ValueError('expected a folder such as "recertify/" (no leading slash, a trailing one)')
        return value


class AttestSettings(Section):
    """How attestations are signed (reviews.attestation, `recertify attest`): `key_file`, an Ed25519 private
    key in PEM (`recertify attest keygen` writes one; env RECERTIFY_ATTEST_KEY_FILE), or `kms_key_id`, an
    AWS KMS asymmetric key of spec ECC_NIST_P256 for SIGN_VERIFY (its id, ARN or alias). One of the two."""

    key_file: str = ""
    kms_key_id: str = ""

    @model_validator(mode="after")
    def _one_key(self) -> AttestSettings:
        if self.key_file and self.kms_key_id:
            raise ValueError("set key_file or kms_key_id, not both: an attestation is signed with one key")
        return self


class ServeSettings(Section):
    """`recertify serve`: it runs `recertify doctor`'s live checks at start and answers /healthz 503 while
    one fails. `allow_degraded_start`: answer 200 anyway, naming the failing checks as `degraded` (and
    logging a WARNING); for a source that is known to be down while the rest must run. The failing checks
    are run again every `recheck_minutes`, so a fixed credential turns healthy without a restart."""

    allow_degraded_start: bool = False
    recheck_minutes: int = Field(default=5, ge=1, le=1440)
