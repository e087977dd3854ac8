"""The domain's own settings (enforcement) and what every adapter's settings section is built from.

Each adapter owns its section (connectors/aws/settings.py, connectors/entra/settings.py, bot/settings.py);
config.py composes them into the whole configuration and loads it. A section forbids unknown keys and is
frozen; its validators say what is expected, and the loader adds the key and where its value came from.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$")


class Section(BaseModel):
    """One `[section]` of recertify.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def http_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError("expected an http:// or https:// URL")
    return value


def each_matching(
    values: list[str], pattern: re.Pattern[str] | tuple[re.Pattern[str], ...], what: str
) -> list[str]:
    patterns = pattern if isinstance(pattern, tuple) else (pattern,)
    for value in values:
        if not any(p.match(value) for p in patterns):
            raise ValueError(f"{value!r} is not {what}")
    return values


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
