"""`[enforcement]`: dry-run or live, who is protected, the blast radius, population sanity and the outbox's
retries. The domain's own section; each adapter owns its own (connectors/aws/settings.py,
connectors/entra/settings.py, bot/settings.py)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from reviews.settings import EMAIL, GUID, Section, each_matching

_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$")


class EnforcementSettings(Section):
    mode: Literal["dry-run", "live"] = "dry-run"
    protected: list[str] = Field(default_factory=list)
    # Principals whose name matches one of these shell patterns are protected too (break-glass accounts).
    protected_names: list[str] = Field(default_factory=lambda: ["break-glass*", "breakglass*"])
    # Blast radius, per store per run: more automatic revocations than `blast_radius_count`, or more than
    # `blast_radius_share` of the store's grants (when at least 3), are held for an admin's approval.
    blast_radius_count: int = Field(default=10, ge=1)
    blast_radius_share: float = Field(default=0.25, gt=0, le=1)
    # Population sanity: a sync whose grant count fell by more than this share (or to zero) is not applied.
    max_population_drop: float = Field(default=0.3, gt=0, le=1)
    # The outbox: attempts before a revocation is dead-lettered (failed_permanent), backoff between them,
    # and how long a claimed revocation may stay claimed before another worker may take it over.
    max_attempts: int = Field(default=5, ge=1, le=50)
    retry_base_seconds: float = Field(default=30.0, gt=0)
    retry_max_seconds: float = Field(default=3600.0, gt=0)
    claim_timeout_seconds: float = Field(default=600.0, gt=0)

    @field_validator("protected")
    @classmethod
    def _protected(cls, value: list[str]) -> list[str]:
        return each_matching(value, (_ARN, GUID, EMAIL), "an ARN, an Entra object id or an email")
