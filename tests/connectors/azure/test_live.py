"""The live read's credential choice (the read itself runs end to end, through the real SDKs against the ARM
and Graph simulators, in test_sync_end_to_end.py)."""

from __future__ import annotations

import pytest

from connectors.azure import live
from connectors.azure.client import StaticToken
from connectors.azure.settings import AzureSecrets
from connectors.entra.settings import EntraSettings
from reviews.errors import Misconfigured


def test_arm_without_a_token_or_the_app_secret_is_misconfigured() -> None:
    with pytest.raises(Misconfigured, match="RECERTIFY_AZURE_TOKEN"):
        live.arm_credential(EntraSettings(), AzureSecrets.model_validate({}))


def test_a_static_token_is_used_as_given() -> None:
    credential = live.arm_credential(
        EntraSettings(), AzureSecrets.model_validate({"RECERTIFY_AZURE_TOKEN": "t"})
    )
    assert isinstance(credential, StaticToken)
    assert credential.get_token("https://management.azure.com/.default").token == "t"
