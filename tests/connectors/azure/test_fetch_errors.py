"""The Azure fetch when ARM throttles, refuses or lacks something: waited out, or one clear error and
nothing partial."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.azure.client import AzureClients, StaticToken
from connectors.azure.errors import AzureApiError
from connectors.azure.fetch import AzureRead, read_inventory
from reviews.errors import Misconfigured, SourceUnavailable
from simulators.arm import ArmSimulator
from tests.connectors.azure.fetch_estate import SUB_A, SUB_B, build_estate

MISSING = "00000000-0000-4000-8000-0000000000ff"
READ_ROLE = {
    "Microsoft.Resources/*/read",
    "Microsoft.Storage/*/read",
    "Microsoft.DocumentDB/*/read",
    "Microsoft.KeyVault/*/read",
    "Microsoft.Sql/*/read",
    "Microsoft.Authorization/roleAssignments/read",
    "Microsoft.Authorization/roleDefinitions/read",
    "Microsoft.Authorization/denyAssignments/read",
}


@pytest.fixture
def sim() -> Iterator[ArmSimulator]:
    with ArmSimulator(build_estate()) as simulator:
        yield simulator


def _clients(
    sim: ArmSimulator,
    *,
    token: str = "test-token",  # noqa: S107 - the simulator's token
    trust: bool = True,
    retry_total: int | None = None,
) -> AzureClients:
    ca_bundle = sim.ca_bundle if trust else None
    return AzureClients(StaticToken(token), endpoint=sim.url, ca_bundle=ca_bundle, retry_total=retry_total)


def _read(clients: AzureClients, subscriptions: list[str] | None = None) -> AzureRead:
    with clients:
        return read_inventory(
            clients,
            subscriptions=[SUB_A, SUB_B] if subscriptions is None else subscriptions,
            personal_data_tag="personaldata",
            personal_data_values=["yes"],
            owner_tag="owner",
        )


def test_a_429_is_waited_out(sim: ArmSimulator) -> None:
    """ "Understand how Azure Resource Manager throttles requests": "When you reach the limit, you receive the
    HTTP status code 429 Too many requests. The response includes a Retry-After value, which specifies the
    number of seconds your application should wait (or sleep) before sending the next request." The SDK's
    retry policy sleeps "based on the Retry-After response header value"."""
    path = f"/subscriptions/{SUB_A}/providers/Microsoft.Authorization/roleAssignments"
    sim.faults.throttle_next(path, retry_after=1)
    read = _read(_clients(sim))
    assert len(read.inventory.stores) == 9
    listed = [r for r in sim.requests if r.path.lower() == path.lower()]
    assert [r.status for r in listed] == [429, 200]
    assert listed[1].at - listed[0].at >= 1.0


def test_a_403_names_the_missing_permission_and_the_scope(sim: ArmSimulator) -> None:
    """ARM's 403 `AuthorizationFailed`: "does not have authorization to perform action '…' over scope '…'";
    the error names the subscription, the permission the read role lacks and the scope, and is not retried."""
    sim.state.allowed_actions = frozenset(READ_ROLE - {"Microsoft.Authorization/roleAssignments/read"})
    with pytest.raises(AzureApiError) as denied:
        _read(_clients(sim))
    message = str(denied.value)
    assert f"subscription {SUB_A}: role assignments" in message
    assert f"lacks Microsoft.Authorization/roleAssignments/read over /subscriptions/{SUB_A}" in message
    assert denied.value.status == 403 and denied.value.code == "AuthorizationFailed"
    assert not denied.value.retryable


def test_an_unreadable_sql_admin_is_an_error_not_no_admin(sim: ArmSimulator) -> None:
    """Only ARM's 404 says a server has no Entra admin; a refused read fails, it never reads as "none"."""
    sim.state.allowed_actions = frozenset(
        (READ_ROLE - {"Microsoft.Sql/*/read"})
        | {"Microsoft.Sql/servers/read", "Microsoft.Sql/servers/databases/read"}
    )
    with pytest.raises(AzureApiError, match="Microsoft.Sql/servers/administrators/read"):
        _read(_clients(sim))


def test_a_missing_subscription_fails_the_read_before_anything_is_read(sim: ArmSimulator) -> None:
    """ "Subscriptions - Get" of an unknown id answers 404 `SubscriptionNotFound`: the read fails, naming it,
    and no subscription is read partly."""
    with pytest.raises(AzureApiError) as missing:
        _read(_clients(sim), [SUB_A, MISSING])
    assert missing.value.code == "SubscriptionNotFound" and MISSING in str(missing.value)
    assert not any("roleassignments" in r.path.lower() or r.path.endswith("/resources") for r in sim.requests)


def test_a_subscription_that_cannot_be_read_fails_the_whole_read(sim: ArmSimulator) -> None:
    """Issue 19: "A sync fails loudly on any unreadable subscription or scope; nothing partial is applied."
    Throttled past the client's retries, the second subscription's deny assignments fail the read, which is
    worth retrying later."""
    sim.faults.throttle_next(
        f"/subscriptions/{SUB_B}/providers/Microsoft.Authorization/denyAssignments", times=5, retry_after=None
    )
    with pytest.raises(SourceUnavailable) as throttled:
        _read(_clients(sim, retry_total=1))
    assert f"subscription {SUB_B}: deny assignments" in str(throttled.value) and throttled.value.retryable


def test_a_wrong_token_is_a_configuration_error(sim: ArmSimulator) -> None:
    """401 `InvalidAuthenticationToken` ("The access token is invalid."): nothing will work until someone
    fixes the credential."""
    with pytest.raises(Misconfigured, match="refused the credentials"):
        _read(_clients(sim, token="stolen"))


def test_an_untrusted_certificate_is_a_configuration_error(
    sim: ArmSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 19: "The ARM endpoint may be a simulator on https://127.0.0.1 with its CA bundle in
    REQUESTS_CA_BUNDLE" — without it the certificate cannot be verified, and the error says so."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with pytest.raises(Misconfigured, match="REQUESTS_CA_BUNDLE"):
        _read(_clients(sim, trust=False, retry_total=0))


def test_an_assignment_of_an_unknown_principal_type_is_malformed(sim: ArmSimulator) -> None:
    """ "Role Assignments - Get", principalType: "The principal type of the assigned principal ID. Known
    values are: "User", "Group", "ServicePrincipal", "ForeignGroup", and "Device"." Any other value is an
    answer we cannot read, never a guess."""
    sim.state.add_role_assignment(
        f"/subscriptions/{SUB_A}", "acdd72a7-3385-48ef-bd42-f606fba81ae7", SUB_A, principal_type="Alien"
    )
    with pytest.raises(SourceUnavailable, match="unknown principalType 'Alien'"):
        _read(_clients(sim))


def test_a_role_no_list_returned_is_read_by_its_id(sim: ArmSimulator) -> None:
    """ "Role Definitions - Get By Id" ("Gets a role definition by ID."): a role an assignment names that the
    subscription's list did not return (assignable elsewhere) is read by its id rather than left out."""
    guid = sim.state.add_role_definition(
        "Elsewhere reader",
        data_actions=["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
        assignable_scopes=["/subscriptions/00000000-0000-4000-8000-00000000c003"],
    )
    sim.state.add_role_assignment(f"/subscriptions/{SUB_A}", guid, SUB_B)
    definitions = {d.id.rsplit("/", 1)[-1]: d for d in _read(_clients(sim)).inventory.role_definitions}
    assert definitions[guid].name == "Elsewhere reader"


def test_a_role_that_cannot_be_found_fails_the_read(sim: ArmSimulator) -> None:
    """An assignment whose role definition answers 404 `RoleDefinitionDoesNotExist` cannot be evaluated: the
    read fails rather than drop the assignment."""
    guid = sim.state.add_role_definition(
        "Gone", actions=["*/read"], assignable_scopes=[f"/subscriptions/{SUB_A}"]
    )
    sim.state.add_role_assignment(f"/subscriptions/{SUB_A}", guid, SUB_B)
    del sim.state.role_definitions[guid.lower()]
    with pytest.raises(AzureApiError) as missing:
        _read(_clients(sim))
    assert missing.value.code == "RoleDefinitionDoesNotExist" and guid in str(missing.value)


def test_a_static_token_never_shows_itself() -> None:
    """A token is a secret: its credential's repr does not carry it (STYLE: "never a token")."""
    assert "secret-value" not in repr(StaticToken("secret-value"))
    assert (
        StaticToken("secret-value").get_token("https://management.azure.com/.default").token == "secret-value"
    )
