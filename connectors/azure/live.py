"""The live read wiring.py hands the connector: ARM through the Azure SDK (client.py, fetch.py), then the
Entra objects it names through entra's Graph client ([entra]'s settings and the same app registration).

The ARM side is reached through `ARM_MODULES` at call time: a build without them refuses the sync, saying
so, rather than read less.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

from connectors.azure.reading import ArmRead, SourceRead, read_all
from connectors.azure.settings import AzureSecrets, AzureSettings
from connectors.entra.client import GraphClient
from connectors.entra.settings import EntraSettings
from reviews.errors import Misconfigured
from reviews.ports import Clock

ARM_MODULES = ("connectors.azure.client", "connectors.azure.fetch")


def live_read(
    settings: AzureSettings,
    entra: EntraSettings,
    secrets: AzureSecrets,
    *,
    clock: Clock,
    on_throttled: Callable[[int], None] | None = None,
) -> Callable[[], SourceRead]:
    def read() -> SourceRead:
        client, fetch = _arm_modules()
        now = clock.now()
        with GraphClient(entra, secrets, on_throttled=on_throttled) as graph:
            return read_all(lambda: read_arm(client, fetch, settings, entra, secrets), graph, now=now)

    return read


def read_arm(
    client: ModuleType,
    fetch: ModuleType,
    settings: AzureSettings,
    entra: EntraSettings,
    secrets: AzureSecrets,
) -> ArmRead:
    """ARM's answer, with every store's tags by resource id."""
    with client.AzureClients(_credential(client, entra, secrets), endpoint=settings.arm_url) as clients:
        found = fetch.read_inventory(
            clients,
            subscriptions=settings.subscriptions or None,
            personal_data_tag=settings.personal_data_tag,
            personal_data_values=settings.personal_data_values,
            owner_tag=settings.owner_tag,
        )
    return ArmRead(found.inventory, {info.resource_id: dict(info.tags) for info in found.stores})


def _credential(client: ModuleType, entra: EntraSettings, secrets: AzureSecrets) -> object:
    if secrets.azure_token is not None:
        return client.StaticToken(secrets.azure_token.get_secret_value())
    if secrets.azure_client_secret is None or not (entra.tenant_id and entra.client_id):
        raise Misconfigured(
            "azure: ARM needs RECERTIFY_AZURE_TOKEN, or entra.tenant_id and entra.client_id with "
            "AZURE_CLIENT_SECRET (a certificate is not supported for ARM yet)"
        )
    secret = secrets.azure_client_secret.get_secret_value()
    return client.client_secret_credential(entra.tenant_id, entra.client_id, secret)


def _arm_modules() -> tuple[ModuleType, ModuleType]:
    try:
        client, fetch = (importlib.import_module(name) for name in ARM_MODULES)
    except ImportError as exc:
        raise Misconfigured(
            f"azure: the ARM reader cannot be loaded ({exc}); the Azure source cannot be read"
        ) from None
    return client, fetch
