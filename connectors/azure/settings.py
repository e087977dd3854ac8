"""The `[azure]` section of recertify.toml and the Azure secret, which comes from the environment only.

The credential is the `[entra]` app registration's (the same tenant and client, its secret or certificate
in AZURE_CLIENT_SECRET / AZURE_CLIENT_CERTIFICATE_PATH, through azure-identity), or RECERTIFY_AZURE_TOKEN, a
static bearer token for simulators. Revocation writes with that same credential (live.write_clients): one app
registration holds the read role and, where `[enforcement] mode = "live"` should act, the write role
(`recertify permissions azure write`) and Graph's GroupMember.ReadWrite.All; there is no second identity to
configure (as there is on AWS, whose write role is assumed apart), so least privilege is the role's scope.
"A tag name can have a maximum of 512 characters and is case-insensitive"
(ARM REST, Tags - Create Or Update); tag values are case-sensitive (Microsoft Learn, Use tags to organize
your Azure resources, Limitations): the tag names here are matched without case, the values exactly.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from connectors.entra.settings import EntraSecrets, EntraSettings
from reviews.settings import GUID, Section, each_matching, http_url

# "The tag name can't contain these characters: <, >, %, &, \, ?, /" (Use tags..., Limitations).
_TAG_FORBIDDEN = set("<>%&\\?/")
_TAG_NAME_MAX = 512


class AzureSettings(Section):
    # Off by default: a configuration written before Azure was a source must not start reading it.
    enabled: bool = False
    # Subscription ids to read. Empty: every subscription the credential can list.
    subscriptions: list[str] = Field(default_factory=list)
    personal_data_tag: str = Field(default="data-classification", min_length=1)
    personal_data_values: list[str] = Field(
        default_factory=lambda: ["personal", "special-category"], min_length=1
    )
    owner_tag: str = Field(default="data-owner", min_length=1)
    arm_url: str = "https://management.azure.com"  # env RECERTIFY_AZURE_ARM_URL (a simulator's https URL)
    # A PEM file of the certificates to trust for arm_url (a simulator's self-signed one); empty: the system's
    # (or REQUESTS_CA_BUNDLE's, which azure-core's requests transport honours). For ARM only, never Graph.
    ca_bundle: str = ""
    # PIM-eligible role assignments are access (their holders can activate the role at will), so they are
    # read and reviewed. A tenant whose ARM refuses the eligibility list (no Entra ID P2, which PIM needs)
    # would fail every Azure sync: false skips them, and every snapshot then says so in a note.
    pim_eligible: bool = True
    # A request's read timeout, and its attempts (azure-core's retry policy, which honours Retry-After)
    # before the sync fails, retryable.
    request_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    max_attempts: int = Field(default=8, ge=1, le=20)

    @field_validator("subscriptions")
    @classmethod
    def _subscriptions(cls, value: list[str]) -> list[str]:
        return each_matching(value, GUID, "an Azure subscription id (a GUID)")

    @field_validator("personal_data_tag", "owner_tag")
    @classmethod
    def _tag_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("expected a tag name, not blank")
        bad = sorted(_TAG_FORBIDDEN & set(value))
        if bad:
            raise ValueError(f"an Azure tag name cannot contain {' '.join(bad)}")
        if len(value) > _TAG_NAME_MAX:
            raise ValueError(f"an Azure tag name has at most {_TAG_NAME_MAX} characters")
        return value

    @field_validator("personal_data_values")
    @classmethod
    def _values(cls, value: list[str]) -> list[str]:
        if any(not v.strip() for v in value):
            raise ValueError("expected tag values, not blank ones")
        return value

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle(cls, value: str) -> str:
        if value and not value.strip():
            raise ValueError("expected the path of a PEM file, or nothing")
        return value.strip()

    @field_validator("arm_url")
    @classmethod
    def _arm(cls, value: str) -> str:
        return http_url(value).rstrip("/")

    def is_personal(self, tags: dict[str, str]) -> bool:
        """Whether a resource's tags mark it personal data: the tag's name without case, its value exactly."""
        return classification(tags, self.personal_data_tag) in self.personal_data_values

    def owners(self, tags: dict[str, str]) -> tuple[str, ...]:
        """The owner tag's emails (comma- or semicolon-separated), canonical: lower-case, trimmed."""
        raw = classification(tags, self.owner_tag) or ""
        return tuple(o.strip().lower() for o in raw.replace(";", ",").split(",") if o.strip())


def classification(tags: dict[str, str], name: str) -> str | None:
    """A tag's value by its name, matched case-insensitively as Azure does; None when the tag is absent."""
    wanted = name.lower()
    for key, value in tags.items():
        if key.lower() == wanted:
            return value
    return None


class AzureSecrets(EntraSecrets):
    """Entra's secrets (the same app registration) and RECERTIFY_AZURE_TOKEN; never printed."""

    azure_token: SecretStr | None = Field(default=None, alias="RECERTIFY_AZURE_TOKEN")

    def missing_for_azure(self, azure: AzureSettings, entra: EntraSettings) -> list[str]:
        """What an enabled `[azure]` needs from the environment and does not have, as sentences. ARM: a static
        token, or the `[entra]` app registration (tenant and client ids) with its secret or certificate;
        Graph (the groups and principals the assignments name): RECERTIFY_GRAPH_TOKEN or that same app."""
        if not azure.enabled:
            return []
        app = bool(entra.tenant_id and entra.client_id)
        secret = self.azure_client_secret is not None or self.azure_client_certificate_path is not None
        if (self.azure_token is not None or app and secret) and (
            self.graph_token is not None or app and secret
        ):
            return []
        if app and not secret:
            return [
                "azure is enabled but AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) is not set "
                "in the environment"
            ]
        if self.azure_token is not None:
            return [
                "azure is enabled with RECERTIFY_AZURE_TOKEN but cannot read the Entra groups its "
                "assignments name: set RECERTIFY_GRAPH_TOKEN, or entra.tenant_id and entra.client_id with "
                "AZURE_CLIENT_SECRET"
            ]
        return [
            "azure is enabled but has no credential: set entra.tenant_id and entra.client_id (the same "
            "app registration) with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, or "
            "RECERTIFY_AZURE_TOKEN with RECERTIFY_GRAPH_TOKEN"
        ]
