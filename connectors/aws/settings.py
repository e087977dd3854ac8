"""The `[aws]` section of recertify.toml: which accounts and regions are read, how stores are classified."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from reviews.settings import Section, each_matching

_AWS_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_ACCOUNT = re.compile(r"^\d{12}$")


class AwsSettings(Section):
    enabled: bool = True
    regions: list[str] = Field(default_factory=lambda: ["eu-west-2"], min_length=1)
    personal_data_tag: str = Field(default="data-classification", min_length=1)
    personal_data_values: list[str] = Field(
        default_factory=lambda: ["personal", "special-category"], min_length=1
    )
    owner_tag: str = Field(default="data-owner", min_length=1)
    # Accounts to read. Empty: the account of the credentials only, unless use_organizations lists them.
    accounts: list[str] = Field(default_factory=list)
    use_organizations: bool = False
    read_role: str = Field(default="RecertifyRead", min_length=1)  # assumed in every other account
    write_role: str = Field(default="RecertifyWrite", min_length=1)  # assumed to revoke, in live mode only
    identity_center: bool = True  # read IAM Identity Center when the credentials can
    identity_center_region: str = ""  # where the Identity Center instance lives; "" = the first region
    # IAM service-last-accessed costs one asynchronous job per principal holding a grant. Off: last use of
    # grants is recorded as unknown (never as inactive).
    last_accessed: bool = True
    last_accessed_timeout_seconds: int = Field(default=300, ge=10)

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, value: list[str]) -> list[str]:
        return each_matching(value, _ACCOUNT, "a 12-digit AWS account id")

    @field_validator("identity_center_region")
    @classmethod
    def _ic_region(cls, value: str) -> str:
        if value and not _AWS_REGION.match(value):
            raise ValueError("expected an AWS region name such as eu-west-2")
        return value

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        return each_matching(value, _AWS_REGION, "an AWS region name such as eu-west-2")
