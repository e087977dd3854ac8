"""The live read wiring.py hands the connector: ARM through the Azure SDK (client.py, fetch.py), then the
Entra objects it names through entra's Graph client ([entra]'s settings and the same app registration).

"""

from __future__ import annotations

from collections.abc import Callable

from azure.core.credentials import TokenCredential

from connectors.azure.client import AzureClients, StaticToken, client_secret_credential
from connectors.azure.fetch import read_inventory
from connectors.azure.reading import ArmRead, SourceRead, read_all
from connectors.azure.settings import AzureSecrets, AzureSettings
from connectors.entra.client import GraphClient
from connectors.entra.settings import EntraSettings
from reviews.errors import Misconfigured
from reviews.ports import Clock

PIM_SKIPPED = (
    "PIM-eligible role assignments were not read ([azure] pim_eligible = false): "
    "whoever is only eligible for a role is not listed"
)


def live_read(
    settings: AzureSettings,
    entra: EntraSettings,
    secrets: AzureSecrets,
    *,
    clock: Clock,
    on_throttled: Callable[[int], None] | None = None,
) -> Callable[[], SourceRead]:
    def read() -> SourceRead:
        now = clock.now()
        with GraphClient(entra, secrets, on_throttled=on_throttled) as graph:
            return read_all(lambda: read_arm(settings, entra, secrets), graph, now=now)

    return read


def write_clients(
    settings: AzureSettings, entra: EntraSettings, secrets: AzureSecrets
) -> tuple[Callable[[], AzureClients], Callable[[], GraphClient]]:
    """What revocation writes with: the ARM management clients (role assignments) and a Graph client (group
    memberships), each opened per call, with the same app registration (or tokens) as the read: its write
    role (`recertify permissions azure write`) and Entra's GroupMember.ReadWrite.All."""

    def arm() -> AzureClients:
        return arm_clients(settings, arm_credential(entra, secrets))

    return arm, lambda: GraphClient(entra, secrets)


def read_arm(
    settings: AzureSettings,
    entra: EntraSettings,
    secrets: AzureSecrets,
) -> ArmRead:
    """ARM's answer, with every store's tags by resource id."""
    with arm_clients(settings, arm_credential(entra, secrets)) as clients:
        found = read_inventory(
            clients,
            subscriptions=settings.subscriptions or None,
            personal_data_tag=settings.personal_data_tag,
            personal_data_values=settings.personal_data_values,
            owner_tag=settings.owner_tag,
            pim_eligible=settings.pim_eligible,
        )
    notes = () if settings.pim_eligible else (PIM_SKIPPED,)
    return ArmRead(found.inventory, {info.resource_id: dict(info.tags) for info in found.stores}, notes)


def arm_clients(settings: AzureSettings, credential: TokenCredential) -> AzureClients:
    """The management clients as `[azure]` configures them: read, write and doctor all use these."""
    return AzureClients(
        credential,
        endpoint=settings.arm_url,
        ca_bundle=settings.ca_bundle or None,
        retry_total=settings.max_attempts - 1,
        read_timeout=settings.request_timeout_seconds,
    )


def arm_credential(entra: EntraSettings, secrets: AzureSecrets) -> TokenCredential:
    if secrets.azure_token is not None:
        return StaticToken(secrets.azure_token.get_secret_value())
    if secrets.azure_client_secret is None or not (entra.tenant_id and entra.client_id):
        raise Misconfigured(
            "azure: ARM needs RECERTIFY_AZURE_TOKEN, or entra.tenant_id and entra.client_id with "
            "AZURE_CLIENT_SECRET (a certificate is not supported for ARM yet)"
        )
    secret = secrets.azure_client_secret.get_secret_value()
    return client_secret_credential(entra.tenant_id, entra.client_id, secret)
