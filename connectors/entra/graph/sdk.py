"""Building the real `GraphServiceClient`, and the one raw send every Graph call goes through.

msgraph-sdk 1.x facts this module is shaped by (measured in tests/connectors/entra/test_graph_sdk_facts.py):
- Its default pipeline holds kiota's `RetryHandler`: 429/503/504 retried 3 times, `Retry-After` honoured
  without a cap, and *no retry at all* when the delay is 180 s or more. We own retries instead (Retry-After
  always honoured up to our own maximum, bounded attempts, integrity failures retried too), so the handler is
  switched off for the whole client (`RetryHandlerOption(should_retry=False)`): one of our attempts is
  exactly one HTTP request, and the two retry layers can never multiply.
- Typed models cost ~8 ms per object, so responses are read through a kiota `ResponseHandler`: the request
  still runs the adapter (auth, base URL, headers, the remaining middleware), and we get the status, the
  headers (Retry-After, x-ms-throttle-limit-percentage) and the raw bytes of successes and failures alike.
- azure-identity refuses a plain-http authority, so simulators and token brokers use a static bearer token.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError
from azure.identity.aio import CertificateCredential, ClientSecretCredential
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    AuthenticationProvider,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from kiota_abstractions.response_handler import ResponseHandler
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.middleware.options import ResponseHandlerOption, RetryHandlerOption
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph._version import VERSION as SDK_VERSION
from msgraph_core import APIVersion, GraphClientFactory
from msgraph_core.middleware.options import GraphTelemetryHandlerOption

from connectors.entra.settings import EntraSecrets, EntraSettings
from reviews.errors import Misconfigured, SourceUnavailable


@dataclass(frozen=True, slots=True)
class RawResponse:
    status: int
    headers: Mapping[str, str]  # httpx.Headers: case-insensitive
    body: bytes


class _Raw(ResponseHandler):
    async def handle_response_async(self, response: Any, error_map: Any) -> RawResponse:
        assert isinstance(response, httpx.Response)  # noqa: S101 - kiota_http always passes one
        return RawResponse(response.status_code, response.headers, response.content)


class StaticTokenProvider(AccessTokenProvider):
    """A bearer token from RECERTIFY_GRAPH_TOKEN, sent only to the configured Graph host."""

    def __init__(self, token: str, host: str) -> None:
        self._token = token
        self._hosts = AllowedHostsValidator([host])

    async def get_authorization_token(
        self,
        uri: str,
        additional_authentication_context: dict[str, Any] = {},  # noqa: B006 - the ABC's signature
    ) -> str:
        return self._token if self._hosts.is_url_host_valid(uri) else ""

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._hosts


@dataclass(slots=True)
class Sdk:
    """What the event-loop thread owns: the service client, its httpx client, pools and credential."""

    graph: GraphServiceClient
    adapter: GraphRequestAdapter  # graph.request_adapter, typed
    http: httpx.AsyncClient
    pools: list[httpx.AsyncBaseTransport]
    credential: AsyncTokenCredential | None
    static_token: str | None = None

    async def token(self, graph_url: str) -> str:
        """The static token, or one the credential acquires for the Graph cloud of `graph_url`."""
        if self.credential is None:
            assert self.static_token is not None  # noqa: S101 - build_sdk sets one or the other
            return self.static_token
        scope = f"https://{urlsplit(graph_url).hostname}/.default"
        try:
            return (await self.credential.get_token(scope)).token
        except ClientAuthenticationError as exc:
            first = str(exc.message or exc).splitlines()[0][:300]
            raise Misconfigured(
                f"entra: no token for the app registration: {first}; check entra.tenant_id, "
                "entra.client_id and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH"
            ) from None
        except AzureError as exc:  # the identity platform unreachable
            first = str(exc.message or exc).splitlines()[0][:300]
            raise SourceUnavailable("entra", f"no token: {first}", retryable=True) from None

    async def send(self, method: str, url: str, body: bytes | None = None) -> RawResponse:
        """One HTTP request through the SDK pipeline; transport errors (httpx.TransportError) propagate."""
        info = RequestInformation(Method(method))
        info.url = url
        info.headers.try_add("Accept", "application/json")
        if counted(url):
            info.headers.try_add("ConsistencyLevel", "eventual")
        if body is not None:
            info.headers.try_add("Content-Type", "application/json")
            info.content = body
        info.add_request_options([ResponseHandlerOption(_Raw())])
        raw: object = await self.adapter.send_primitive_async(info, "bytes", None)
        assert isinstance(raw, RawResponse)  # noqa: S101 - our handler always answers
        return raw

    async def aclose(self) -> None:
        await self.http.aclose()
        for pool in self.pools:
            await pool.aclose()
        if self.credential is not None:
            await self.credential.close()


def counted(url: str) -> bool:
    """Whether a request asks Graph to count its collection (`$count=true`): on directory objects an
    advanced query, which "the requestor must set the ConsistencyLevel header to eventual" for (Graph,
    Advanced query capabilities on Microsoft Entra ID objects)."""
    query = url.split("?", 1)[1] if "?" in url else ""
    return any(part.lower() in ("$count=true", "%24count=true") for part in query.split("&"))


def build_sdk(settings: EntraSettings, secrets: EntraSecrets) -> Sdk:
    """Must run on the event loop that will use it: httpx binds its connection pool to that loop."""
    host = urlsplit(settings.graph_url).hostname or ""
    credential = _credential(settings, secrets)
    auth: AuthenticationProvider
    if credential is None:
        assert secrets.graph_token is not None  # noqa: S101 - _credential checked it
        auth = BaseBearerTokenAuthenticationProvider(
            StaticTokenProvider(secrets.graph_token.get_secret_value(), host)
        )
    else:
        # The .default scope of the configured cloud (graph.microsoft.com, graph.microsoft.us, …).
        scope = f"https://{host}/.default"
        auth = AzureIdentityAuthenticationProvider(credential, scopes=[scope], allowed_hosts=[host])
    timeout = httpx.Timeout(
        settings.request_timeout_seconds, connect=min(30.0, settings.request_timeout_seconds)
    )
    http = httpx.AsyncClient(timeout=timeout, http2=True)
    # msgraph-core wraps these in an AsyncGraphTransport whose aclose() does nothing (measured: the pool
    # and its sockets leak), so we keep the real transports and close them ourselves.
    pools = [http._transport, *(t for t in http._mounts.values() if t is not None)]
    options = {
        RetryHandlerOption.get_key(): RetryHandlerOption(max_retries=0, should_retry=False),
        GraphTelemetryHandlerOption.get_key(): GraphTelemetryHandlerOption(
            api_version=APIVersion.v1, sdk_version=SDK_VERSION
        ),
    }
    http = GraphClientFactory.create_with_default_middleware(client=http, options=options)
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = settings.graph_url
    static = secrets.graph_token.get_secret_value() if credential is None and secrets.graph_token else None
    return Sdk(GraphServiceClient(request_adapter=adapter), adapter, http, pools, credential, static)


def _credential(settings: EntraSettings, secrets: EntraSecrets) -> AsyncTokenCredential | None:
    if secrets.graph_token is not None:
        return None  # DESIGN §4: the static token is used instead of a credential
    if not (settings.tenant_id and settings.client_id):
        raise Misconfigured(
            "entra: no Graph credential: set entra.tenant_id and entra.client_id with AZURE_CLIENT_SECRET "
            "or AZURE_CLIENT_CERTIFICATE_PATH, or set RECERTIFY_GRAPH_TOKEN"
        )
    if secrets.azure_client_secret is not None:
        return ClientSecretCredential(
            settings.tenant_id, settings.client_id, secrets.azure_client_secret.get_secret_value()
        )
    if secrets.azure_client_certificate_path is not None:
        path = secrets.azure_client_certificate_path
        try:
            return CertificateCredential(settings.tenant_id, settings.client_id, certificate_path=path)
        except (OSError, ValueError) as exc:  # unreadable file, or not a PEM/PKCS12 certificate
            raise Misconfigured(f"entra: AZURE_CLIENT_CERTIFICATE_PATH {path}: {exc}") from None
    raise Misconfigured("entra: AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH is not set")


def json_body(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
