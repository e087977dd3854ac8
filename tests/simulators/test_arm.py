"""The ARM simulator driven by the real Azure SDK management clients (and raw HTTPS where the SDK cannot go
wrong on purpose): paging, tag filters, get by id, role assignments, throttling, 401/403/404 shapes."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.cosmosdb import CosmosDBManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.subscriptions import SubscriptionClient

from simulators.arm import COSMOS_DATA_READER, ArmSimulator, ArmState, builtin_role_id, builtin_roles

SUB = "00000000-0000-4000-8000-00000000a001"
OTHER_SUBS = ("00000000-0000-4000-8000-00000000a002", "00000000-0000-4000-8000-00000000a003")
ALICE, BOB, GROUP = (
    "aaaaaaaa-0000-4000-8000-000000000001",
    "bbbbbbbb-0000-4000-8000-000000000002",
    "cccccccc-0000-4000-8000-000000000003",
)
MG = "/providers/Microsoft.Management/managementGroups/department"
AUTH_API = "2022-04-01"


class _Token:
    """A static TokenCredential: what `RECERTIFY_AZURE_TOKEN` gives the connector against a simulator."""

    def __init__(self, token: str = "test-token") -> None:  # noqa: S107 - the simulator's token
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


@pytest.fixture
def state() -> ArmState:
    s = ArmState()
    s.add_management_group("tenant-root")
    s.add_management_group("department", parent="tenant-root")
    s.add_subscription(SUB, "Department", management_group="department")
    for sub in OTHER_SUBS:
        s.add_subscription(sub, f"Other {sub[-1]}")
    s.add_storage_account(
        SUB, "rg-data", "pdstore", tags={"PersonalData": "yes", "owner": "alice@example.gov"}
    )
    s.add_storage_account(
        SUB, "rg-data", "nokeys", tags={"personaldata": "Yes"}, allow_shared_key_access=False
    )
    s.add_storage_account(SUB, "rg-other", "logs", tags={"env": "prod"})
    s.add_cosmos_account(SUB, "rg-data", "patients", tags={"personaldata": "yes"}, disable_local_auth=True)
    s.add_key_vault(SUB, "rg-data", "kv-rbac", tags={"personaldata": "yes"}, enable_rbac_authorization=True)
    s.add_sql_server(
        SUB, "rg-data", "sql1", tags={"personaldata": "yes"}, entra_admin=("dba@example.gov", BOB)
    )
    return s


@pytest.fixture
def sim(state: ArmState) -> Iterator[ArmSimulator]:
    with ArmSimulator(state) as simulator:
        yield simulator


def _http(sim: ArmSimulator, *, token: str | None = "test-token") -> httpx.Client:  # noqa: S107
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return httpx.Client(verify=ssl.create_default_context(cafile=sim.ca_bundle), headers=headers)


def _kw(sim: ArmSimulator) -> dict[str, Any]:
    return {"base_url": sim.url, "connection_verify": sim.ca_bundle}


class Clients:
    """The real SDK clients against the simulator, closed when the test ends (their connection pools)."""

    def __init__(self, sim: ArmSimulator) -> None:
        self._sim = sim
        self._open: list[Any] = []

    def _keep(self, client: Any) -> Any:
        self._open.append(client)
        return client

    def resources(self) -> ResourceManagementClient:
        return self._keep(ResourceManagementClient(_Token(), SUB, **_kw(self._sim)))

    def authorization(self) -> AuthorizationManagementClient:
        return self._keep(
            AuthorizationManagementClient(_Token(), SUB, api_version=AUTH_API, **_kw(self._sim))
        )

    def cosmos(self) -> CosmosDBManagementClient:
        return self._keep(CosmosDBManagementClient(_Token(), SUB, **_kw(self._sim)))

    def subscriptions(self, token: str = "test-token", *, verify: bool = True) -> SubscriptionClient:  # noqa: S107
        """`verify=False`: no connection_verify, so the certificate must be trusted some other way."""
        options = _kw(self._sim) if verify else {"base_url": self._sim.url}
        return self._keep(SubscriptionClient(_Token(token), **options))

    def close(self) -> None:
        for client in self._open:
            client.close()


@pytest.fixture
def clients(sim: ArmSimulator) -> Iterator[Clients]:
    made = Clients(sim)
    yield made
    made.close()


def _rid(group: str, provider: str, name: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{group}/providers/{provider}/{name}"


ACCOUNT = _rid("rg-data", "Microsoft.Storage/storageAccounts", "pdstore")


# --- subscriptions and paging ---------------------------------------------------------------------------


def test_subscriptions_list_follows_next_link_page_by_page(sim: ArmSimulator, clients: Clients) -> None:
    """ "Subscriptions - List" (Microsoft.Resources REST reference), SubscriptionListResult.nextLink: "The URL
    to get the next set of results." The SDK's pager follows it; one subscription per page here."""
    sim.state.page_size = 1
    subscriptions = list(clients.subscriptions().subscriptions.list())
    assert sorted(s.subscription_id for s in subscriptions) == sorted([SUB, *OTHER_SUBS])
    assert sim.request_count(path_prefix="/subscriptions") == 3
    assert all(r.status == 200 for r in sim.requests)


# --- resources: tags, filters, get by id ----------------------------------------------------------------


def test_resources_filtered_by_tag_come_back_without_tags(sim: ArmSimulator, clients: Clients) -> None:
    """ "Resources - List" ($filter): "When you filter by a tag name and value, the tags for each resource are
    not returned in the results." and "Use tags to organize your Azure resources": "Tag names are
    case-insensitive for operations. … Tag values are case-sensitive.\""""
    client = clients.resources()
    tagged = list(client.resources.list(filter="tagName eq 'PERSONALDATA' and tagValue eq 'yes'"))
    assert sorted(r.name for r in tagged) == ["kv-rbac", "patients", "pdstore", "sql1"]  # not "Yes" (nokeys)
    assert all(r.tags is None for r in tagged)
    everything = {r.name: r for r in client.resources.list()}
    assert everything["pdstore"].tags == {"PersonalData": "yes", "owner": "alice@example.gov"}
    assert "properties" not in everything["pdstore"]  # a list carries no properties; a get by id does


def test_resources_of_a_group_and_paging_keep_the_filter(sim: ArmSimulator, clients: Clients) -> None:
    """ "Resources - List By Resource Group": the same $filter, paged by nextLink ("The URL to use for getting
    the next set of results.") — the filter holds on every page."""
    sim.state.page_size = 1
    client = clients.resources()
    names = [
        r.name for r in client.resources.list_by_resource_group("rg-data", filter="tagName eq 'personaldata'")
    ]
    assert sorted(names) == ["kv-rbac", "nokeys", "patients", "pdstore", "sql1"]
    assert sim.request_count(path_prefix=f"/subscriptions/{SUB}/resourceGroups/rg-data/resources") == 5


def test_top_caps_the_resource_list(sim: ArmSimulator, clients: Clients) -> None:
    """ "Resources - List", $top: "The number of results to return. If null is passed, returns all
    resources.\""""
    sim.state.page_size = 1
    client = clients.resources()
    assert len(list(client.resources.list(top=2))) == 2
    assert len(list(client.resources.list())) == 6


def test_get_by_id_returns_tags_and_store_properties(sim: ArmSimulator, clients: Clients) -> None:
    """ "Storage Accounts - Get Properties", allowSharedKeyAccess: "Indicates whether the storage account
    permits requests to be authorized with the account access key via Shared Key. If false, then all requests,
    including shared access signatures, must be authorized with Azure Active Directory (Azure AD). The default
    value is null, which is equivalent to true." (never set: absent). "Vaults - Get": enableRbacAuthorization;
    "Database Accounts - Get": disableLocalAuth; "Server Azure AD Administrators - Get": login and sid."""
    client = clients.resources()
    account = client.resources.get_by_id(ACCOUNT, api_version="2023-05-01")
    assert account.tags == {"PersonalData": "yes", "owner": "alice@example.gov"}
    assert "allowSharedKeyAccess" not in account.properties
    locked = client.resources.get_by_id(
        _rid("rg-data", "Microsoft.Storage/storageAccounts", "nokeys"), api_version="2023-05-01"
    )
    assert locked.properties["allowSharedKeyAccess"] is False
    vault = client.resources.get_by_id(
        _rid("rg-data", "Microsoft.KeyVault/vaults", "kv-rbac"), api_version="2023-07-01"
    )
    assert vault.properties["enableRbacAuthorization"] is True and vault.properties["accessPolicies"] == []
    cosmos = client.resources.get_by_id(
        _rid("rg-data", "Microsoft.DocumentDB/databaseAccounts", "patients"), api_version="2024-11-15"
    )
    assert cosmos.properties["disableLocalAuth"] is True
    admin = client.resources.get_by_id(
        _rid("rg-data", "Microsoft.Sql/servers", "sql1") + "/administrators/ActiveDirectory",
        api_version="2023-08-01",
    )
    assert admin.properties["sid"] == BOB and admin.properties["administratorType"] == "ActiveDirectory"


def test_cosmos_sql_role_assignments_through_the_cosmos_client(sim: ArmSimulator, clients: Clients) -> None:
    """ "Sql Resources - List Sql Role Assignments" (Microsoft.DocumentDB): the account's data-plane role
    assignments; "Cosmos DB Built-in Data Reader" has the fixed id 00000000-0000-0000-0000-000000000001
    ("Azure Cosmos DB for NoSQL: role-based access control with Microsoft Entra ID")."""
    account = _rid("rg-data", "Microsoft.DocumentDB/databaseAccounts", "patients")
    sim.state.add_cosmos_sql_role_assignment(
        account, "dddddddd-0000-4000-8000-000000000004", COSMOS_DATA_READER, ALICE
    )
    client = clients.cosmos()
    assignments = list(client.sql_resources.list_sql_role_assignments("rg-data", "patients"))
    assert [(a.principal_id, a.scope) for a in assignments] == [(ALICE, account)]
    definitions = {
        d.role_name: d for d in client.sql_resources.list_sql_role_definitions("rg-data", "patients")
    }
    reader = definitions["Cosmos DB Built-in Data Reader"]
    assert assignments[0].role_definition_id.endswith(reader.name)


# --- authorization --------------------------------------------------------------------------------------


def _seed_assignments(state: ArmState) -> dict[str, str]:
    container = state.add_blob_container(ACCOUNT, "records")
    names = {
        "mg": state.add_role_assignment(MG, builtin_role_id("Reader"), GROUP, principal_type="Group")["name"],
        "sub": state.add_role_assignment(f"/subscriptions/{SUB}", builtin_role_id("Contributor"), BOB)[
            "name"
        ],
        "account": state.add_role_assignment(ACCOUNT, builtin_role_id("Storage Blob Data Reader"), ALICE)[
            "name"
        ],
        "container": state.add_role_assignment(
            container, builtin_role_id("Storage Blob Data Contributor"), ALICE
        )["name"],
        "elsewhere": state.add_role_assignment(
            f"/subscriptions/{OTHER_SUBS[0]}", builtin_role_id("Owner"), BOB
        )["name"],
    }
    return names


def test_role_assignments_list_at_above_and_below_a_scope(sim: ArmSimulator, clients: Clients) -> None:
    """ "Role Assignments - List For Scope", $filter: "Use $filter=atScope() to return all role assignments at
    or above the scope. Use $filter=principalId eq {id} to return all role assignments at, above or below the
    scope for the specified principal." Without a filter, at, above and below; a management group is above
    its subscriptions ("Understand scope for Azure RBAC")."""
    names = _seed_assignments(sim.state)
    client = clients.authorization()
    unfiltered = {a.name for a in client.role_assignments.list_for_scope(ACCOUNT)}
    assert unfiltered == {names["mg"], names["sub"], names["account"], names["container"]}
    at_or_above = {a.name for a in client.role_assignments.list_for_scope(ACCOUNT, filter="atScope()")}
    assert at_or_above == {names["mg"], names["sub"], names["account"]}
    alice = {
        a.name
        for a in client.role_assignments.list_for_scope(
            f"/subscriptions/{SUB}", filter=f"principalId eq '{ALICE}'"
        )
    }
    assert alice == {names["account"], names["container"]}
    at_mg = {a.name for a in client.role_assignments.list_for_scope(MG, filter="atScope()")}
    assert at_mg == {names["mg"]}


def test_create_read_and_delete_a_role_assignment_with_a_condition(
    sim: ArmSimulator, clients: Clients
) -> None:
    """ "Role Assignments - Create": properties condition and conditionVersion ("Version of the condition.
    Currently the only accepted value is '2.0'"); "Role Assignments - Delete": "200 OK Returns the deleted
    role assignment." / "204 No Content Role assignment was already deleted or does not exist."; "Role
    Assignments - Get" of a deleted one answers 404."""
    client = clients.authorization()
    name = "eeeeeeee-0000-4000-8000-000000000005"
    condition = (
        "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'records'"
    )
    role = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/" + builtin_role_id(
        "Storage Blob Data Reader"
    )
    created = client.role_assignments.create(
        ACCOUNT,
        name,
        {
            "properties": {
                "roleDefinitionId": role,
                "principalId": ALICE,
                "principalType": "User",
                "condition": condition,
                "conditionVersion": "2.0",
            }
        },
    )
    assert created.condition == condition and created.condition_version == "2.0" and created.scope == ACCOUNT
    assert client.role_assignments.get_by_id(created.id).principal_id == ALICE
    assert sim.state.role_assignment(name) is not None
    deleted = client.role_assignments.delete(ACCOUNT, name)
    assert deleted is not None and deleted.name == name
    assert client.role_assignments.delete(ACCOUNT, name) is None  # 204: already gone
    assert [r.status for r in sim.requests if r.method == "DELETE"] == [200, 204]
    with pytest.raises(ResourceNotFoundError) as missing:
        client.role_assignments.get(ACCOUNT, name)
    assert missing.value.error is not None and missing.value.error.code == "RoleAssignmentNotFound"


def test_the_same_assignment_under_another_name_conflicts(sim: ArmSimulator, clients: Clients) -> None:
    """ARM refuses a second assignment of one role to one principal at one scope with 409
    `RoleAssignmentExists`, "The role assignment already exists." (the message Azure CLI's source compares
    against to treat a re-run as done)."""
    _seed_assignments(sim.state)
    client = clients.authorization()
    role = "/providers/Microsoft.Authorization/roleDefinitions/" + builtin_role_id("Storage Blob Data Reader")
    body = {"properties": {"roleDefinitionId": role, "principalId": ALICE}}
    with pytest.raises(HttpResponseError) as conflict:
        client.role_assignments.create(ACCOUNT, "ffffffff-0000-4000-8000-000000000006", body)
    assert conflict.value.status_code == 409 and conflict.value.error is not None
    assert conflict.value.error.code == "RoleAssignmentExists"


def test_built_in_and_custom_role_definitions(sim: ArmSimulator, clients: Clients) -> None:
    """ "Azure built-in roles" (Storage): Storage Blob Data Reader, id 2a2b9908-6ea1-4ae2-8e65-a410df84e7d1,
    data action "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"; "Role Definitions -
    List" ($filter: "Use atScopeAndBelow filter to search below the given scope as well."): a custom role
    appears where its assignableScopes reach."""
    custom = sim.state.add_role_definition(
        "Records reader",
        data_actions=["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
        assignable_scopes=[f"/subscriptions/{SUB}/resourceGroups/rg-data"],
    )
    client = clients.authorization()
    reader = client.role_definitions.get_by_id(
        "/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
    )
    assert reader.role_name == "Storage Blob Data Reader" and reader.role_type == "BuiltInRole"
    assert reader.permissions[0].data_actions == [
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
    ]
    at_group = {d.name for d in client.role_definitions.list(f"/subscriptions/{SUB}/resourceGroups/rg-data")}
    at_other = {d.name for d in client.role_definitions.list(f"/subscriptions/{SUB}/resourceGroups/rg-other")}
    at_sub = {d.name for d in client.role_definitions.list(f"/subscriptions/{SUB}")}
    below = {
        d.name for d in client.role_definitions.list(f"/subscriptions/{SUB}", filter="atScopeAndBelow()")
    }
    assert custom in at_group and custom not in at_other and custom not in at_sub and custom in below
    assert builtin_role_id("Owner") in at_other
    owners = list(client.role_definitions.list(f"/subscriptions/{SUB}", filter="roleName eq 'Owner'"))
    assert [d.role_name for d in owners] == ["Owner"]


def test_the_seeded_built_in_roles_are_the_documented_ones() -> None:
    """ "Azure built-in roles" (Privileged, General, Storage, Security, Databases): each role's name and id
    as the pages list them, e.g. "Owner … 8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Key Vault Secrets User …
    4633458b-17de-408a-b874-0445c86b69e6" with data actions
    "Microsoft.KeyVault/vaults/secrets/getSecret/action" and "…/readMetadata/action", and Contributor's
    NotActions "Microsoft.Authorization/*/Write"."""
    roles = builtin_roles()
    by_name = {r["roleName"]: r for r in roles.values()}
    assert {
        "Owner", "Contributor", "Reader", "User Access Administrator", "Storage Account Contributor",
        "Storage Blob Data Reader", "Storage Blob Data Contributor", "Storage Blob Data Owner",
        "Storage Queue Data Reader", "Storage Queue Data Contributor", "Storage Table Data Reader",
        "Storage Table Data Contributor", "Key Vault Administrator", "Key Vault Secrets User",
        "Key Vault Secrets Officer", "Key Vault Reader", "Key Vault Contributor",
        "DocumentDB Account Contributor", "Cosmos DB Account Reader Role", "SQL Server Contributor",
        "SQL DB Contributor", "SQL Security Manager",
    } <= set(by_name)  # fmt: skip
    assert by_name["Owner"]["name"] == "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    secrets_user = by_name["Key Vault Secrets User"]
    assert secrets_user["name"] == "4633458b-17de-408a-b874-0445c86b69e6"
    assert secrets_user["permissions"][0]["dataActions"] == [
        "Microsoft.KeyVault/vaults/secrets/getSecret/action",
        "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    ]
    assert "Microsoft.Authorization/*/Write" in by_name["Contributor"]["permissions"][0]["notActions"]
    assert all(r["roleType"] == "BuiltInRole" and r["id"].endswith(g) for g, r in roles.items())


def test_deny_assignments_at_and_above_a_scope(sim: ArmSimulator, clients: Clients) -> None:
    """ "List Azure deny assignments": "(no filter) Lists all deny assignments at, above, and below the
    specified scope." / "$filter=atScope() Lists deny assignments for only the specified scope and above.\""""
    above = sim.state.add_deny_assignment(
        f"/subscriptions/{SUB}", data_actions=["*"], exclude_principals=[(BOB, "User")]
    )["name"]
    below = sim.state.add_deny_assignment(ACCOUNT + "/blobServices/default", actions=["*/delete"])["name"]
    client = clients.authorization()
    group = f"/subscriptions/{SUB}/resourceGroups/rg-data"
    assert {d.name for d in client.deny_assignments.list_for_scope(group)} == {above, below}
    at_or_above = list(client.deny_assignments.list_for_scope(group, filter="atScope()"))
    assert [d.name for d in at_or_above] == [above]
    assert at_or_above[0].exclude_principals[0].id == BOB


# --- protocol: throttling, auth, errors -----------------------------------------------------------------


def test_throttling_429_with_retry_after_is_waited_out_by_the_sdk(
    sim: ArmSimulator, clients: Clients
) -> None:
    """ "Understand how Azure Resource Manager throttles requests": "When you reach the limit, you receive the
    HTTP status code 429 Too many requests. The response includes a Retry-After value, which specifies the
    number of seconds your application should wait (or sleep) before sending the next request." The SDK's
    retry policy honours it."""
    sim.faults.throttle_next(f"/subscriptions/{SUB}/resources", retry_after=1)
    client = clients.resources()
    started = time.monotonic()
    assert len(list(client.resources.list())) == 6
    listed = [r for r in sim.requests if r.path.endswith("/resources")]
    assert [r.status for r in listed] == [429, 200]
    assert listed[1].at - listed[0].at >= 1.0 and time.monotonic() - started >= 1.0


def test_every_answer_reports_the_remaining_requests(sim: ArmSimulator) -> None:
    """ "Troubleshooting throttling errors": "inspect the x-ms-ratelimit-remaining-subscription-reads for GET
    requests and x-ms-ratelimit-remaining-subscription-writes response headers for non-GET requests\""""
    with _http(sim) as http:
        first = http.get(
            f"{sim.url}/subscriptions/{SUB}/resourcegroups", params={"api-version": "2022-09-01"}
        )
        second = http.get(
            f"{sim.url}/subscriptions/{SUB}/resourcegroups", params={"api-version": "2022-09-01"}
        )
    assert first.status_code == 200 and {g["name"] for g in first.json()["value"]} == {"rg-data", "rg-other"}
    reads = [int(r.headers["x-ms-ratelimit-remaining-subscription-reads"]) for r in (first, second)]
    assert reads[1] < reads[0] and first.headers["x-ms-request-id"]


def test_an_empty_token_bucket_answers_429_with_the_wait(sim: ArmSimulator) -> None:
    """ "Understand how Azure Resource Manager throttles requests": "The token bucket represents the maximum
    number of requests that you can send for each second. When you reach the maximum number of requests, the
    refill rate determines how quickly tokens become available in the bucket." (Subscription reads: bucket
    250, refill 25 per second; shrunk here to 2 and 0.5.)"""
    sim.faults.enforce_limits = True
    sim.faults.limits["reads"] = (2.0, 0.5)
    with _http(sim) as http:
        answers = [
            http.get(f"{sim.url}/subscriptions/{SUB}/resourcegroups", params={"api-version": "2022-09-01"})
            for _ in range(3)
        ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["error"]["code"] == "SubscriptionRequestsThrottled"
    assert int(answers[2].headers["Retry-After"]) == 2
    assert answers[2].headers["x-ms-ratelimit-remaining-subscription-reads"] == "0"


def test_trusting_the_certificate_through_requests_ca_bundle(
    sim: ArmSimulator, monkeypatch: pytest.MonkeyPatch, clients: Clients
) -> None:
    """The connector's way in (issue 19: "The ARM endpoint may be a simulator on https://127.0.0.1 with its CA
    bundle in REQUESTS_CA_BUNDLE"): azure-core's requests transport trusts what requests trusts."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sim.ca_bundle)
    client = clients.subscriptions(verify=False)
    assert sorted(s.display_name for s in client.subscriptions.list())[0] == "Department"


def test_role_assignment_put_is_validated(sim: ArmSimulator, clients: Clients) -> None:
    """ "Role Assignments - Create": roleAssignmentName "The name of the role assignment. It can be any valid
    GUID."; the role definition must exist (400 `RoleDefinitionDoesNotExist`); conditionVersion "Currently
    the only accepted value is '2.0'"; and `principalId eq {id}` lists by principal, quoted or not."""
    path = f"{sim.url}{ACCOUNT}/providers/Microsoft.Authorization/roleAssignments"
    reader = "/providers/Microsoft.Authorization/roleDefinitions/" + builtin_role_id("Reader")
    params = {"api-version": AUTH_API}
    with _http(sim) as http:
        not_guid = http.put(
            f"{path}/not-a-guid",
            params=params,
            json={"properties": {"roleDefinitionId": reader, "principalId": BOB}},
        )
        no_role = http.put(
            f"{path}/12345678-0000-4000-8000-000000000001",
            params=params,
            json={"properties": {"roleDefinitionId": reader[:-4] + "0000", "principalId": BOB}},
        )
        bad_version = http.put(
            f"{path}/12345678-0000-4000-8000-000000000002",
            params=params,
            json={
                "properties": {
                    "roleDefinitionId": reader,
                    "principalId": BOB,
                    "condition": "x",
                    "conditionVersion": "1.0",
                }
            },
        )
    assert (not_guid.status_code, not_guid.json()["error"]["code"]) == (400, "InvalidRoleAssignmentId")
    assert (no_role.status_code, no_role.json()["error"]["code"]) == (400, "RoleDefinitionDoesNotExist")
    assert (bad_version.status_code, bad_version.json()["error"]["code"]) == (400, "InvalidConditionVersion")
    names = _seed_assignments(sim.state)
    client = clients.authorization()
    bare = {a.name for a in client.role_assignments.list_for_scope(ACCOUNT, filter=f"principalId eq {BOB}")}
    assert bare == {names["sub"]}


def test_401_without_or_with_a_wrong_bearer_token(sim: ArmSimulator, clients: Clients) -> None:
    """Without an Authorization header ARM answers 401 `AuthenticationFailed` ("Authentication failed. The
    'Authorization' header is missing."), with a bad token 401 `InvalidAuthenticationToken`; errors have the
    shape {"error": {"code", "message"}} ("Azure REST API guidelines", error response)."""
    with _http(sim, token=None) as http:
        anonymous = http.get(f"{sim.url}/subscriptions", params={"api-version": "2022-12-01"})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "AuthenticationFailed"
    assert set(anonymous.json()["error"]) == {"code", "message"}
    with pytest.raises(ClientAuthenticationError) as refused:
        list(clients.subscriptions("stolen").subscriptions.list())
    assert refused.value.error is not None and refused.value.error.code == "InvalidAuthenticationToken"


def test_api_version_is_required(sim: ArmSimulator) -> None:
    """Every REST reference lists `api-version` as a required query parameter ("The API version to use for
    this operation."); without it ARM answers 400 `MissingApiVersionParameter`."""
    with _http(sim) as http:
        response = http.get(f"{sim.url}/subscriptions")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MissingApiVersionParameter"


def test_403_for_an_action_the_caller_lacks(sim: ArmSimulator, clients: Clients) -> None:
    """An action the caller's roles do not grant: 403 `AuthorizationFailed`, "does not have authorization to
    perform action 'Microsoft.Authorization/roleAssignments/write' over scope '/subscriptions/{guid}'"
    ("Create an Azure AD app and service principal in the portal", on assigning a role without the right)."""
    sim.state.allowed_actions = frozenset({"*/read"})  # Reader
    client = clients.authorization()
    role = "/providers/Microsoft.Authorization/roleDefinitions/" + builtin_role_id("Reader")
    assert list(client.role_assignments.list_for_scope(f"/subscriptions/{SUB}")) == []
    with pytest.raises(HttpResponseError) as denied:
        client.role_assignments.create(
            f"/subscriptions/{SUB}",
            "99999999-0000-4000-8000-000000000009",
            {"properties": {"roleDefinitionId": role, "principalId": ALICE}},
        )
    assert denied.value.status_code == 403 and denied.value.error is not None
    assert denied.value.error.code == "AuthorizationFailed"
    assert "Microsoft.Authorization/roleAssignments/write" in denied.value.error.message


def test_404_shapes_for_missing_resources_groups_and_subscriptions(
    sim: ArmSimulator, clients: Clients
) -> None:
    """ARM's 404s carry the error shape with `ResourceNotFound`, `ResourceGroupNotFound` or
    `SubscriptionNotFound` ("Resolve resource not found errors": "Code=ResourceNotFound; Message=The Resource
    … under resource group … was not found")."""
    client = clients.resources()
    with pytest.raises(ResourceNotFoundError) as missing:
        client.resources.get_by_id(
            _rid("rg-data", "Microsoft.Storage/storageAccounts", "gone"), api_version="2023-05-01"
        )
    assert missing.value.error is not None and missing.value.error.code == "ResourceNotFound"
    with pytest.raises(ResourceNotFoundError) as no_group:
        client.resources.get_by_id(
            _rid("rg-none", "Microsoft.Storage/storageAccounts", "x"), api_version="2023-05-01"
        )
    assert no_group.value.error is not None and no_group.value.error.code == "ResourceGroupNotFound"
    with pytest.raises(ResourceNotFoundError) as no_sub:
        clients.subscriptions().subscriptions.get("00000000-0000-4000-8000-0000000000ff")
    assert no_sub.value.error is not None and no_sub.value.error.code == "SubscriptionNotFound"


def test_a_client_that_connects_and_stalls_holds_up_no_one(sim: ArmSimulator, clients: Clients) -> None:
    """The TLS handshake runs on the connection's own thread (tls.py), not in the accept loop."""
    port = int(sim.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        subscriptions = list(clients.subscriptions().subscriptions.list())
    assert len(subscriptions) == 3


def test_stopping_removes_the_certificate(state: ArmState) -> None:
    """The simulator's self-signed certificate lives only while it runs."""
    sim = ArmSimulator(state).start()
    bundle = sim.ca_bundle
    sim.stop()
    with pytest.raises(RuntimeError):
        _ = sim.url
    assert not Path(bundle).exists()
