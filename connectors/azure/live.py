"""The live read wiring.py hands the connector: ARM through the Azure SDK (fetch), then the Entra objects it
names through the Graph client ([entra]'s settings and the same app registration's credentials).

The ARM side is `connectors.azure.fetch.read_arm(settings, secrets) -> ArmRead`, written beside this
connector; a build without it refuses the sync, saying so, rather than read less.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from connectors.azure.reading import ArmRead, AzureRead, read_all
from connectors.azure.settings import AzureSecrets, AzureSettings
from connectors.entra.client import GraphClient
from connectors.entra.settings import EntraSettings
from reviews.errors import Misconfigured
from reviews.ports import Clock

ARM_READER = ("connectors.azure.fetch", "read_arm")


def live_read(
    settings: AzureSettings,
    entra: EntraSettings,
    secrets: AzureSecrets,
    *,
    clock: Clock,
    on_throttled: Callable[[int], None] | None = None,
) -> Callable[[], AzureRead]:
    def read() -> AzureRead:
        arm = arm_reader()
        now = clock.now()
        with GraphClient(entra, secrets, on_throttled=on_throttled) as graph:
            return read_all(lambda: arm(settings, secrets), graph, now=now)

    return read


def arm_reader() -> Callable[[AzureSettings, AzureSecrets], ArmRead]:
    module, name = ARM_READER
    try:
        reader: Callable[[AzureSettings, AzureSecrets], ArmRead] = getattr(
            importlib.import_module(module), name
        )
    except (ImportError, AttributeError):
        raise Misconfigured(
            f"azure: this build has no ARM reader ({module}.{name}); the Azure source cannot be read"
        ) from None
    return reader
