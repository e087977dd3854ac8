"""The `[entra]` section of recertify.toml and the Entra secrets, which come from the environment only."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reviews.settings import GUID, Section, http_url

_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class EntraSettings(Section):
    enabled: bool = True
    tenant_id: str = ""
    client_id: str = ""
    graph_url: str = "https://graph.microsoft.com/v1.0"
    personal_data_groups: list[str] = Field(default_factory=list)
    personal_data_apps: list[str] = Field(default_factory=list)
    # The level group members and app assignees hold (owners always hold admin); DESIGN §4 says read.
    member_access: Literal["read", "write", "admin"] = "read"
    # Sign-in activity has no delta query; it is reread when older than this (0: every sync).
    sign_in_refresh_hours: int = Field(default=24, ge=0, le=168)
    # PIM for Groups eligibility of personal-data groups (needs Entra ID P2 or ID Governance): false turns
    # the read off, for a tenant without that licence; every sync's notes then say it was not read.
    pim_for_groups: bool = True
    # How hard the Graph client may push (connectors/entra/graph): Graph's identity budget per app and
    # tenant is 3,500 / 5,000 / 8,000 resource units per 10 s by tenant size; the default is the smallest.
    resource_unit_budget: int = Field(default=3500, ge=10, le=150_000)
    max_concurrency: int = Field(default=4, ge=1, le=32)  # $batch calls in flight; halves under pressure
    request_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    max_attempts: int = Field(default=8, ge=1, le=20)  # per request or $batch item, then the sync fails
    # Retry-After is always honoured; a longer wait than this fails the sync (retryable) instead of hanging.
    max_retry_wait_seconds: float = Field(default=600.0, ge=0, le=3600)

    @field_validator("tenant_id")
    @classmethod
    def _tenant(cls, value: str) -> str:
        if value and not (GUID.match(value) or _DOMAIN.match(value)):
            raise ValueError("expected the tenant's GUID or its domain (contoso.onmicrosoft.com)")
        return value

    @field_validator("client_id")
    @classmethod
    def _client(cls, value: str) -> str:
        if value and not GUID.match(value):
            raise ValueError("expected the app registration's application (client) id, a GUID")
        return value

    @field_validator("graph_url")
    @classmethod
    def _graph(cls, value: str) -> str:
        return http_url(value).rstrip("/")


class EntraSecrets(BaseSettings):
    """Read from the environment only, under their conventional names, and never printed."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=True)

    graph_token: SecretStr | None = Field(default=None, alias="RECERTIFY_GRAPH_TOKEN")
    azure_client_secret: SecretStr | None = Field(default=None, alias="AZURE_CLIENT_SECRET")
    azure_client_certificate_path: str | None = Field(default=None, alias="AZURE_CLIENT_CERTIFICATE_PATH")

    def missing_for_entra(self, entra: EntraSettings) -> list[str]:
        """What an enabled `[entra]` needs from the environment and does not have, as sentences: a Graph
        token, or an app registration (tenant and client ids) with its secret or certificate. (The name says
        whose: config.Secrets composes every adapter's secrets into one class.)"""
        if not entra.enabled or self.graph_token is not None:
            return []
        if not (entra.tenant_id and entra.client_id):
            return [
                "entra is enabled but has no credential: set entra.tenant_id and entra.client_id with "
                "AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, or RECERTIFY_GRAPH_TOKEN"
            ]
        if self.azure_client_secret is None and self.azure_client_certificate_path is None:
            return [
                "entra is enabled but AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) is not set "
                "in the environment"
            ]
        return []
