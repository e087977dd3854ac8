"""The Azure SDK management clients Recertify reads Azure Resource Manager with, built in one place.

A credential is either azure-identity's (the `[entra]` app registration's client secret: the same app that
reads Graph) or `StaticToken`, a bearer token given as is (`RECERTIFY_AZURE_TOKEN`, for simulators). The
endpoint defaults to https://management.azure.com; a simulator's self-signed certificate is trusted through
`ca_bundle` (or REQUESTS_CA_BUNDLE, which azure-core's requests transport honours). Retries are the SDK's
own (azure-core's RetryPolicy: "Total number of retries to allow. ... Default value is 10."; it retries
every status but its safe codes, 429 and 5xx among them, and sleeps "based on the Retry-After response
header value"), so an error that reaches the connector has already been retried. SDK objects never leave
the connector (STYLE).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.cosmosdb import CosmosDBManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.subscriptions import SubscriptionClient

ARM_URL = "https://management.azure.com"
PIM_API = "2020-10-01"  # role eligibility schedule instances (PIM), absent from AUTHORIZATION_API
AUTHORIZATION_API = "2022-04-01"  # role assignments (with conditions), role definitions, deny assignments
_TOKEN_LIFETIME = 3600


class StaticToken:
    """A `TokenCredential` that hands out one bearer token as is (a simulator's, or one an operator got
    with `az account get-access-token`); it never refreshes."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("an empty Azure token")
        self._token = token

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + _TOKEN_LIFETIME)

    def __repr__(self) -> str:  # never the token itself
        return "StaticToken(…)"


def client_secret_credential(tenant_id: str, client_id: str, client_secret: str) -> TokenCredential:
    """azure-identity's client credentials flow for the `[entra]` app registration."""
    from azure.identity import ClientSecretCredential

    return ClientSecretCredential(tenant_id, client_id, client_secret)


class AzureClients:
    """The management clients for one read: one SubscriptionClient, and per subscription a resources,
    authorization and Cosmos DB client, made on first use and closed together."""

    def __init__(
        self,
        credential: TokenCredential,
        *,
        endpoint: str = ARM_URL,
        ca_bundle: str | None = None,
        retry_total: int | None = None,
        read_timeout: float | None = None,
    ) -> None:
        self._credential = credential
        self._options: dict[str, Any] = {"base_url": endpoint.rstrip("/")}
        if ca_bundle:
            self._options["connection_verify"] = ca_bundle
        if retry_total is not None:
            self._options["retry_total"] = retry_total
        if read_timeout is not None:
            self._options["read_timeout"] = read_timeout
        self._made: dict[tuple[str, str], Any] = {}

    @property
    def endpoint(self) -> str:
        return str(self._options["base_url"])

    def subscriptions(self) -> SubscriptionClient:
        return self._once("subscriptions", "", lambda: SubscriptionClient(self._credential, **self._options))

    def resources(self, subscription_id: str) -> ResourceManagementClient:
        return self._once(
            "resources",
            subscription_id,
            lambda: ResourceManagementClient(self._credential, subscription_id, **self._options),
        )

    def authorization(self, subscription_id: str) -> AuthorizationManagementClient:
        return self._once(
            "authorization",
            subscription_id,
            lambda: AuthorizationManagementClient(
                self._credential, subscription_id, api_version=AUTHORIZATION_API, **self._options
            ),
        )

    def pim(self, subscription_id: str) -> AuthorizationManagementClient:
        """The authorization client at PIM_API: one api-version per client, and 2022-04-01 has no PIM."""
        return self._once(
            "pim",
            subscription_id,
            lambda: AuthorizationManagementClient(
                self._credential, subscription_id, api_version=PIM_API, **self._options
            ),
        )

    def cosmos(self, subscription_id: str) -> CosmosDBManagementClient:
        return self._once(
            "cosmos",
            subscription_id,
            lambda: CosmosDBManagementClient(self._credential, subscription_id, **self._options),
        )

    def _once(self, kind: str, subscription_id: str, make: Callable[[], Any]) -> Any:
        key = (kind, subscription_id.lower())
        client = self._made.get(key)
        if client is None:
            client = self._made[key] = make()
        return client

    def close(self) -> None:
        made, self._made = self._made, {}
        for client in made.values():
            client.close()

    def __enter__(self) -> AzureClients:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
