"""The real msgraph-sdk GraphServiceClient against the simulator: typed models, its URL shapes, $ref."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import httpx
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core import GraphClientFactory

from simulators.graph import GraphSimulator, Tenant


class _Token(AccessTokenProvider):
    async def get_authorization_token(
        self,
        uri: str,
        additional_authentication_context: dict[str, Any] = {},  # noqa: B006 - the ABC's signature
    ) -> str:
        return "test-token"

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator(["127.0.0.1"])


async def _exercise(url: str, group: str, user: str, boss: str) -> None:
    raw = httpx.AsyncClient()
    pool = raw._transport  # msgraph-core wraps it in a transport whose aclose() does not close the pool
    adapter = GraphRequestAdapter(
        BaseBearerTokenAuthenticationProvider(_Token()),
        client=GraphClientFactory.create_with_default_middleware(client=raw),
    )
    adapter.base_url = url
    client = GraphServiceClient(request_adapter=adapter)
    try:
        query = client.users.UsersRequestBuilderGetQueryParameters(
            select=["id", "displayName", "accountEnabled", "signInActivity"], top=1
        )
        page = await client.users.get(RequestConfiguration(query_parameters=query))
        assert page and page.value and page.value[0].account_enabled is True
        assert page.odata_next_link and page.odata_next_link.startswith(url)
        members = await client.groups.by_group_id(group).members.graph_user.get()  # ".../graph.user"
        assert members and [u.id for u in members.value or []] == [user]
        delta = await client.users.delta.get()  # ".../users/delta()"
        assert delta and delta.odata_delta_link and len(delta.value or []) == 2
        manager = await client.users.by_user_id(user).manager.get()
        assert manager and manager.id == boss
        await client.groups.by_group_id(group).members.by_directory_object_id(user).ref.delete()
    finally:
        await raw.aclose()
        await pool.aclose()


def test_the_real_sdk_reads_typed_models_and_removes_a_member() -> None:
    tenant = Tenant()
    boss = tenant.add_user("Boss", "boss@example.gov")
    user = tenant.add_user("Ana", "ana@example.gov", manager_id=boss)
    group = tenant.add_group("payroll")
    tenant.add_member(group, user)
    with GraphSimulator(tenant, token="test-token") as sim:
        with warnings.catch_warnings():  # the generated builders warn about their own deprecated classes
            warnings.simplefilter("ignore", DeprecationWarning)
            asyncio.run(_exercise(sim.url, group, user, boss))
        assert tenant.direct_members(group) == set() and tenant.exists(user)
        assert [r.path.rsplit("/", 1)[-1] for r in sim.requests][:3] == ["users", "graph.user", "delta()"]
