"""The Graph simulator over real HTTP (httpx), as a client sees it: paging, options, delta, $batch, faults."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from simulators.graph import GraphSimulator, Tenant, TenantShape, generate_tenant

TOKEN = "test-token"
ROLE = "11111111-1111-1111-1111-111111111111"


@pytest.fixture
def tenant() -> Tenant:
    t = Tenant(seed=1)
    for i in range(30):
        t.add_user(f"User {i:02d}", f"user{i}@example.gov", mail=f"user{i}@example.gov")
    return t


@pytest.fixture
def sim(tenant: Tenant) -> Iterator[GraphSimulator]:
    with GraphSimulator(tenant, token=TOKEN, page_size=7) as simulator:
        yield simulator


@pytest.fixture
def http(sim: GraphSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as client:
        yield client


def _all(http: httpx.Client, url: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
    page = http.get(url, params=params).json()
    items = list(page["value"])
    while "@odata.nextLink" in page:
        assert page["@odata.nextLink"].startswith("http://127.0.0.1:")
        page = http.get(page["@odata.nextLink"]).json()
        items += page["value"]
    return items


def _delta(
    http: httpx.Client, url: str, params: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], str]:
    page = http.get(url, params=params).json()
    items = list(page["value"])
    while "@odata.nextLink" in page:
        page = http.get(page["@odata.nextLink"]).json()
        items += page["value"]
    return items, page["@odata.deltaLink"]


# --- auth, errors, headers -----------------------------------------------------------------------------


def test_requests_without_the_bearer_token_are_refused_with_a_graph_error(sim: GraphSimulator) -> None:
    with httpx.Client() as anonymous:
        missing = anonymous.get(f"{sim.url}/users")
        wrong = anonymous.get(f"{sim.url}/users", headers={"Authorization": "Bearer nope"})
    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
        assert response.headers["content-type"] == "application/json" and response.headers["request-id"]
    assert [r.status for r in sim.requests] == [401, 401]


def test_every_response_carries_request_ids(http: httpx.Client) -> None:
    response = http.get("/users", headers={"client-request-id": "abc-123"})
    assert response.headers["client-request-id"] == "abc-123" and response.headers["request-id"]
    unknown = http.get("/users/00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "Request_ResourceNotFound"
    assert http.get("/nothing").status_code == 400


# --- paging, $top, $select, $filter --------------------------------------------------------------------


def test_pages_follow_absolute_next_links_with_opaque_tokens(http: httpx.Client, tenant: Tenant) -> None:
    first = http.get("/users").json()
    assert len(first["value"]) == 7
    token = parse_qs(urlsplit(first["@odata.nextLink"]).query)["$skiptoken"][0]
    assert not any(uid in token for uid in tenant.user_ids())
    users = _all(http, "/users")
    assert sorted(u["id"] for u in users) == sorted(tenant.user_ids())
    forged = first["@odata.nextLink"].replace("$skiptoken=", "$skiptoken=x")
    assert http.get(forged).status_code == 400


def test_top_is_bounded_by_graph_and_the_server_page(http: httpx.Client) -> None:
    assert len(http.get("/users", params={"$top": "3"}).json()["value"]) == 3
    assert len(http.get("/users", params={"$top": "999"}).json()["value"]) == 7  # server-driven page size
    for bad in ("0", "1000", "x"):
        assert http.get("/users", params={"$top": bad}).status_code == 400


def test_select_returns_only_what_was_asked(http: httpx.Client, tenant: Tenant) -> None:
    default = http.get("/users").json()["value"][0]
    assert "accountEnabled" not in default and "signInActivity" not in default  # Graph's basic profile
    chosen = http.get("/users", params={"$select": "displayName,signInActivity"}).json()["value"][0]
    assert set(chosen) == {"@odata.type", "id", "displayName", "signInActivity"}
    assert chosen["signInActivity"]["lastSignInDateTime"] is None  # never signed in: null, not absent
    assert http.get("/users", params={"$select": "nonsense"}).status_code == 400


def test_filter_by_name_with_quotes_and_by_ids(http: httpx.Client, tenant: Tenant) -> None:
    obrien = tenant.add_user("Pat O'Brien", "pat@example.gov")
    found = http.get("/users", params={"$filter": "displayName eq 'Pat O''Brien'"}).json()["value"]
    assert [u["id"] for u in found] == [obrien]
    some = tenant.user_ids()[:3]
    listed = "(" + ",".join(f"'{i}'" for i in some) + ")"
    assert {u["id"] for u in _all(http, "/users", {"$filter": f"id in {listed}"})} == set(some)
    assert len(_all(http, "/users", {"$filter": "startswith(displayName,'user 1')"})) == 10
    assert http.get("/users", params={"$filter": "city eq 'x'"}).status_code == 400


# --- groups: members, casts, transitive, owners ----------------------------------------------------------


def test_transitive_members_are_loop_safe_and_casts_filter_types(http: httpx.Client, tenant: Tenant) -> None:
    a, b, c = (tenant.add_group(n) for n in ("a", "b", "c"))
    u1, u2 = tenant.user_ids()[:2]
    sp = tenant.add_service_principal("robot")
    odd = tenant.add_unknown_object("#microsoft.graph.somethingNew")
    for group, member in ((a, b), (b, c), (c, a), (a, u1), (c, u2), (c, sp), (b, odd), (c, u1)):
        tenant.add_member(group, member)
    tenant.add_owner(a, u2)
    transitive = _all(http, f"/groups/{a}/transitiveMembers")
    assert sorted(m["id"] for m in transitive) == sorted([b, c, u1, u2, sp, odd])  # each once, a excluded
    assert {m["@odata.type"] for m in transitive if m["id"] == odd} == {"#microsoft.graph.somethingNew"}
    users = _all(http, f"/groups/{a}/transitiveMembers/microsoft.graph.user", {"$select": "id"})
    assert sorted(m["id"] for m in users) == sorted([u1, u2])
    assert [m["id"] for m in _all(http, f"/groups/{a}/members/graph.group")] == [b]
    assert [m["id"] for m in _all(http, f"/groups/{c}/members/graph.servicePrincipal")] == [sp]
    assert [m["id"] for m in _all(http, f"/groups/{a}/owners")] == [u2]


def test_manager_is_an_object_or_404(http: httpx.Client, tenant: Tenant) -> None:
    boss, worker = tenant.user_ids()[:2]
    tenant.update_user(worker, manager_id=boss)
    assert http.get(f"/users/{worker}/manager").json()["id"] == boss
    missing = http.get(f"/users/{boss}/manager")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "Request_ResourceNotFound"
    expanded = http.get(f"/users/{worker}", params={"$expand": "manager($select=id)"}).json()
    assert expanded["manager"]["id"] == boss


# --- writes ----------------------------------------------------------------------------------------------


def test_member_removal_needs_ref_and_refusals_match_entra(http: httpx.Client, tenant: Tenant) -> None:
    group, dynamic, synced = (
        tenant.add_group("g"),
        tenant.add_group("d", dynamic=True),
        tenant.add_group("s", on_premises=True),
    )
    user = tenant.user_ids()[0]
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user}"}
    assert http.post(f"/groups/{group}/members/$ref", json=ref).status_code == 204
    again = http.post(f"/groups/{group}/members/$ref", json=ref)
    assert again.status_code == 400 and "already exist" in again.json()["error"]["message"]
    assert http.delete(f"/groups/{group}/members/{user}").status_code == 400  # would delete the user
    assert tenant.direct_members(group) == {user} and tenant.exists(user)
    assert http.delete(f"/groups/{group}/members/{user}/$ref").status_code == 204
    assert http.delete(f"/groups/{group}/members/{user}/$ref").status_code == 404
    tenant.add_member(dynamic, user)
    tenant.add_member(synced, user)
    for refused in (dynamic, synced):
        assert http.delete(f"/groups/{refused}/members/{user}/$ref").status_code == 400
        assert tenant.direct_members(refused) == {user}


def test_mail_enabled_and_role_assignable_groups_refuse_member_changes(
    sim: GraphSimulator, http: httpx.Client, tenant: Tenant
) -> None:
    """ "Troubleshoot 403 error when adding a user to a group by using Microsoft Graph API": 403
    Authorization_RequestDenied "Insufficient privileges to complete the operation." when "the group … can't
    be managed by Microsoft Graph. Microsoft Graph supports only Microsoft 365 groups and Security groups"
    ("Working with groups in Microsoft Graph": "Mail-enabled and distribution groups are read-only through
    Microsoft Graph"). Add members: "To add members to a role-assignable group, the app must also be
    assigned the RoleManagement.ReadWrite.Directory permission"."""
    user = tenant.user_ids()[0]
    mail_security = tenant.add_group("mail-security", mail_enabled=True)
    distribution = tenant.add_distribution_list("all-hands")
    role_assignable = tenant.add_group("helpdesk-admins", role_assignable=True)
    unified = tenant.add_group("team", security=False)  # Microsoft 365: mail-enabled and manageable
    found = http.get(
        f"/groups/{distribution}",
        params={"$select": "groupTypes,mailEnabled,securityEnabled,isAssignableToRole"},
    ).json()
    assert (found["groupTypes"], found["mailEnabled"], found["securityEnabled"]) == ([], True, False)
    assert (
        http.get(f"/groups/{role_assignable}?$select=isAssignableToRole").json()["isAssignableToRole"] is True
    )
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user}"}
    for refused in (mail_security, distribution, role_assignable):
        tenant.add_member(refused, user)
        for answer in (
            http.delete(f"/groups/{refused}/members/{user}/$ref"),
            http.post(f"/groups/{refused}/members/$ref", json=ref),
        ):
            assert answer.status_code == 403
            assert answer.json()["error"] == answer.json()["error"] | {
                "code": "Authorization_RequestDenied",
                "message": "Insufficient privileges to complete the operation.",
            }
        assert tenant.direct_members(refused) == {user}
    assert http.post(f"/groups/{unified}/members/$ref", json=ref).status_code == 204
    sim.permissions = frozenset({"GroupMember.ReadWrite.All", "RoleManagement.ReadWrite.Directory"})
    assert http.delete(f"/groups/{role_assignable}/members/{user}/$ref").status_code == 204
    assert http.delete(f"/groups/{mail_security}/members/{user}/$ref").status_code == 403  # still read-only


def test_app_role_assignments_list_create_and_delete(http: httpx.Client, tenant: Tenant) -> None:
    sp = tenant.add_service_principal("Casework", app_roles=[(ROLE, "Case.Read")])
    user, group = tenant.user_ids()[0], tenant.add_group("readers")
    first = tenant.assign_app_role(sp, group, ROLE)
    listed = _all(http, f"/servicePrincipals/{sp}/appRoleAssignedTo")
    assert (
        listed[0]["id"] == first and listed[0]["principalType"] == "Group" and listed[0]["resourceId"] == sp
    )
    body = {"principalId": user, "resourceId": sp, "appRoleId": ROLE}
    created = http.post(f"/servicePrincipals/{sp}/appRoleAssignedTo", json=body)
    assert created.status_code == 201 and created.json()["principalType"] == "User"
    assert http.post(f"/servicePrincipals/{sp}/appRoleAssignedTo", json=body).status_code == 400
    assert http.delete(f"/servicePrincipals/{sp}/appRoleAssignedTo/{first}").status_code == 204
    assert http.delete(f"/servicePrincipals/{sp}/appRoleAssignedTo/{first}").status_code == 404
    assert [a["principalId"] for a in tenant.assignments(sp)] == [user]
    assert (
        http.get("/servicePrincipals", params={"$filter": "displayName eq 'Casework'"}).json()["value"][0][
            "appRoles"
        ][0]["value"]
        == "Case.Read"
    )


def test_sessions_are_revoked_and_accounts_disabled(http: httpx.Client, tenant: Tenant) -> None:
    user = tenant.user_ids()[0]
    assert http.post(f"/users/{user}/revokeSignInSessions").json()["value"] is True
    assert http.patch(f"/users/{user}", json={"accountEnabled": False}).status_code == 204
    assert tenant.revoked_sessions == [user] and tenant.user(user)["accountEnabled"] is False


# --- delta -----------------------------------------------------------------------------------------------


def test_users_delta_round_trip_shows_exactly_the_changes(http: httpx.Client, tenant: Tenant) -> None:
    boss, moved, leaver, renamed = tenant.user_ids()[:4]
    tenant.update_user(moved, manager_id=boss)
    items, link = _delta(http, "/users/delta", {"$select": "displayName,accountEnabled,manager"})
    assert sorted(i["id"] for i in items) == sorted(tenant.user_ids())
    assert {i["id"]: i.get("manager@delta") for i in items}[moved] == [
        {"@odata.type": "#microsoft.graph.user", "id": boss}
    ]
    assert link.startswith("http://127.0.0.1:") and "$deltatoken=" in link
    newcomer = tenant.add_user("New", "new@example.gov")
    tenant.update_user(renamed, display_name="Renamed")
    tenant.delete_user(leaver)
    tenant.update_user(moved, manager_id=None)
    changes, link2 = _delta(http, link)
    by_id = {c["id"]: c for c in changes}
    assert set(by_id) == {newcomer, renamed, leaver, moved}
    assert by_id[renamed]["displayName"] == "Renamed" and set(by_id[renamed]) == {
        "@odata.type",
        "id",
        "displayName",
        "accountEnabled",
    }
    assert by_id[leaver] == {"id": leaver, "@removed": {"reason": "changed"}}
    assert by_id[moved]["manager@delta"] == [
        {"@odata.type": "#microsoft.graph.user", "id": boss, "@removed": {"reason": "deleted"}}
    ]
    assert _delta(http, link2)[0] == []
    assert http.get("/users/delta", params={"$expand": "manager"}).status_code == 400  # Graph would ignore it


def test_groups_delta_splits_big_groups_and_reports_membership_changes(tenant: Tenant) -> None:
    users = tenant.user_ids()
    big, small, doomed = tenant.add_group("big"), tenant.add_group("small"), tenant.add_group("doomed")
    for u in users[:8]:
        tenant.add_member(big, u)
    tenant.add_member(small, users[9])
    with (
        GraphSimulator(tenant, token=TOKEN, delta_member_chunk=3) as sim,
        httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}) as http,
    ):
        items, link = _delta(http, f"{sim.url}/groups/delta", {"$select": "displayName,members"})
        appearances = [i for i in items if i["id"] == big]
        assert len(appearances) == 3 and all(a["displayName"] == "big" for a in appearances)
        assert sorted(m["id"] for a in appearances for m in a["members@delta"]) == sorted(users[:8])
        assert sim.request_count(path_prefix="/groups/delta") >= 3  # split across pages, not inside one
        tenant.remove_member(big, users[0])
        tenant.add_member(small, users[10])
        tenant.add_member(small, users[11])
        tenant.remove_member(small, users[11])  # net: no change
        tenant.delete_group(doomed)
        changes, _ = _delta(http, link)
        by_id = {c["id"]: c for c in changes}
        assert by_id[big]["members@delta"] == [
            {"@odata.type": "#microsoft.graph.user", "id": users[0], "@removed": {"reason": "deleted"}}
        ]
        assert by_id[small]["members@delta"] == [{"@odata.type": "#microsoft.graph.user", "id": users[10]}]
        assert by_id[doomed] == {"id": doomed, "@removed": {"reason": "deleted"}}


def test_expired_or_foreign_delta_links_answer_400_sync_state_not_found(
    sim: GraphSimulator, http: httpx.Client
) -> None:
    """Microsoft Graph blog, "Duration of change tracking tokens for identity and education resources": a
    delta link used "more than seven days after the initial query" gets "a BadRequest response with the
    error code “syncStateNotFound” and the following error message: “The sync state generation is not
    found. The delta token is expired and data must be synchronized again.”
    """
    _, link = _delta(http, "/users/delta")
    assert http.get(link).status_code == 200
    sim.expire_delta_links()
    expired = http.get(link)
    assert expired.status_code == 400
    assert expired.json()["error"]["code"] == "syncStateNotFound"
    assert "The sync state generation is not found" in expired.json()["error"]["message"]
    forged = http.get("/users/delta", params={"$deltatoken": "forged"})
    assert forged.status_code == 400 and forged.json()["error"]["code"] == "syncStateNotFound"
    latest = http.get("/users/delta", params={"$deltatoken": "latest"}).json()
    assert latest["value"] == [] and "@odata.deltaLink" in latest


def test_a_delta_link_older_than_seven_days_expires_by_itself() -> None:
    """Use delta query, "Token duration": "For directory objects, the limit is seven days." """
    now = [datetime(2026, 3, 2, tzinfo=UTC)]
    tenant = Tenant(seed=1, clock=lambda: now[0])
    tenant.add_user("Ana", "ana@example.gov")
    with (
        GraphSimulator(tenant, token=TOKEN) as sim,
        httpx.Client(base_url=sim.url, headers={"Authorization": f"Bearer {TOKEN}"}) as http,
    ):
        _, link = _delta(http, "/users/delta")
        now[0] += timedelta(days=6, hours=23)
        fresh = http.get(link)
        assert fresh.status_code == 200
        now[0] += timedelta(days=7, minutes=1)  # the link just issued is now older than seven days
        stale = http.get(fresh.json()["@odata.deltaLink"])
        assert stale.status_code == 400 and stale.json()["error"]["code"] == "syncStateNotFound"


def test_a_synchronization_reset_answers_410_with_the_initial_query_in_location(
    sim: GraphSimulator, http: httpx.Client
) -> None:
    """Use delta query, "Synchronization reset": "Delta query can return a response code of `410 Gone` and a
    **Location** header containing a request URL with an empty `$deltatoken` (same as the initial query)."
    """
    _, link = _delta(http, "/users/delta", {"$select": "displayName,mail"})
    sim.expire_delta_links(reset=True)
    gone = http.get(link)
    assert gone.status_code == 410
    location = urlsplit(gone.headers["Location"])
    assert location.path == "/v1.0/users/delta"
    assert parse_qs(location.query, keep_blank_values=True) == {
        "$select": ["displayName,mail"],
        "$deltatoken": [""],
    }
    restarted, _ = _delta(http, gone.headers["Location"])
    assert len(restarted) == 30 and set(restarted[0]) == {"@odata.type", "id", "displayName", "mail"}


# --- $batch ----------------------------------------------------------------------------------------------


def test_batch_answers_by_id_and_throttles_items_one_by_one(
    sim: GraphSimulator, http: httpx.Client, tenant: Tenant
) -> None:
    ids = tenant.user_ids()[:20]
    requests = [
        {"id": str(n), "method": "GET", "url": f"/users/{uid}?$select=id"} for n, uid in enumerate(ids)
    ]
    sim.faults.throttle_ratio, sim.faults.retry_after = 0.5, 7
    response = http.post("/$batch", json={"requests": requests})
    assert response.status_code == 200
    answers = {a["id"]: a for a in response.json()["responses"]}
    assert [a["id"] for a in response.json()["responses"]] != [r["id"] for r in requests]  # match on id
    throttled = [a for a in answers.values() if a["status"] == 429]
    assert 0 < len(throttled) < 20 and all(a["headers"]["Retry-After"] == "7" for a in throttled)
    assert all(
        answers[str(n)]["body"]["id"] == uid for n, uid in enumerate(ids) if answers[str(n)]["status"] == 200
    )
    assert sim.request_count() == 1 and sim.request_count(include_batch_items=True) == 20
    sim.reset_faults()
    too_many = requests + [{"id": "20", "method": "GET", "url": "/users"}]
    assert http.post("/$batch", json={"requests": too_many}).status_code == 400


NAME = "Payroll & HR #1 + 100% O'Brien"


def test_a_batch_url_is_parsed_as_a_url_so_reserved_characters_must_be_encoded(
    http: httpx.Client, tenant: Tenant
) -> None:
    """Combine multiple HTTP requests using JSON batching: each request's `url` is the "Relative resource URL
    for the individual request", parsed like any URL: an unencoded `&` ends the `$filter` value, `#` starts a
    fragment, `+` is a space and a bare `%` is no escape. Percent-encoded, the same name is found."""
    wanted = tenant.add_service_principal(NAME)
    condition = "displayName eq '" + NAME.replace("'", "''") + "'"
    raw = {"id": "raw", "method": "GET", "url": f"/servicePrincipals?$filter={condition}&$select=id"}
    encoded = {
        "id": "encoded",
        "method": "GET",
        "url": f"/servicePrincipals?$filter={quote(condition, safe='')}",
    }
    answers = http.post("/$batch", json={"requests": [raw, encoded]}).json()["responses"]
    by_id = {a["id"]: a for a in answers}
    assert by_id["raw"]["status"] == 400
    assert by_id["encoded"]["status"] == 200
    assert [sp["id"] for sp in by_id["encoded"]["body"]["value"]] == [wanted]
    plus = {"id": "plus", "method": "GET", "url": "/servicePrincipals?$filter=displayName eq 'a+b'"}
    spaced = tenant.add_service_principal("a b")
    answer = http.post("/$batch", json={"requests": [plus]}).json()["responses"][0]
    assert [sp["id"] for sp in answer["body"]["value"]] == [spaced]  # '+' read as a space
    bare = {"id": "bare", "method": "GET", "url": "/servicePrincipals?$filter=displayName eq '100%'"}
    assert http.post("/$batch", json={"requests": [bare]}).json()["responses"][0]["status"] == 400
    assert (
        http.get(f"/servicePrincipals?$filter={quote(condition, safe='')}").json()["value"][0]["id"] == wanted
    )


# --- throttling and faults -------------------------------------------------------------------------------


def test_throttling_with_and_without_retry_after(sim: GraphSimulator, http: httpx.Client) -> None:
    sim.faults.throttle_ratio, sim.faults.retry_after = 1.0, 3
    first = http.get("/users")
    assert first.status_code == 429 and first.headers["Retry-After"] == "3"
    sim.faults.retry_after = None
    assert "Retry-After" not in http.get("/users").headers
    sim.reset_faults()
    sim.faults.throttle_limit_percentage = 0.9
    assert http.get("/users").headers["x-ms-throttle-limit-percentage"] == "0.9"
    assert [r.throttled for r in sim.requests] == [True, True, False]


def test_a_resource_unit_budget_throttles_until_the_window_ends(
    sim: GraphSimulator, http: httpx.Client
) -> None:
    sim.faults.resource_units_per_window = 4
    statuses = [http.get("/users").status_code for _ in range(3)]  # 2 units each
    assert statuses == [200, 200, 429]
    assert 1 <= int(http.get("/users").headers["Retry-After"]) <= 10


def test_truncated_repeated_and_reset_pages(sim: GraphSimulator, http: httpx.Client) -> None:
    sim.faults.truncate_next("/v1.0/users")
    truncated = http.get("/users")
    assert truncated.status_code == 200
    with pytest.raises(ValueError):
        truncated.json()
    sim.faults.repeat_next("/users")
    url = f"{sim.url}/users?$top=5"
    assert http.get(url).json()["@odata.nextLink"] == url
    sim.faults.reset_next("/users")
    with pytest.raises(httpx.TransportError):
        http.get("/users")
    assert http.get("/users").status_code == 200  # one-shot: the next request is served
    assert sim.requests[-2].status is None


# --- lifecycle and generator -----------------------------------------------------------------------------


def test_stopping_closes_idle_keep_alive_connections_and_threads(tenant: Tenant) -> None:
    before = threading.active_count()
    with (
        GraphSimulator(tenant, token=TOKEN) as sim,
        httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}) as http,
    ):
        assert http.get(f"{sim.url}/users").status_code == 200  # the connection stays open in the pool
        sim.stop()
        deadline = time.monotonic() + 5
        while threading.active_count() > before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert threading.active_count() == before


def test_generator_builds_the_shape_deterministically() -> None:
    shape = TenantShape(
        users=2_000,
        groups=300,
        memberships=12_000,
        pd_groups=12,
        pd_apps=3,
        loop=True,
        unknown_members=2,
        seed=3,
    )
    tenant, names = generate_tenant(shape)
    again, names_again = generate_tenant(shape)
    other, _ = generate_tenant(TenantShape(users=2_000, groups=300, memberships=12_000, seed=4))
    assert tenant.membership_count() == 12_000 and len(tenant.user_ids()) == 2_000
    assert names == names_again and tenant.user_ids() == again.user_ids()
    assert all(tenant.direct_members(g) == again.direct_members(g) for g in tenant.group_ids())
    assert tenant.user_ids() != other.user_ids()
    users = [tenant.user(u) for u in tenant.user_ids()]
    assert 20 < sum(u["userType"] == "Guest" for u in users) < 120
    assert 10 < sum(not u["accountEnabled"] for u in users) < 90
    assert sum(u["managerId"] is not None for u in users) > 1_500
    assert len(names.groups) == 12 and names["apps"] == names.apps and len(names.apps) == 3
    assert names.dynamic_group and "DynamicMembership" in tenant.groups[names.dynamic_group]["groupTypes"]
    assert names.on_premises_group and tenant.groups[names.on_premises_group]["onPremisesSyncEnabled"]
    head = names.loop_groups[0]
    assert head in tenant.transitive_members(names.loop_groups[-1])  # the loop closes
    assert all(tenant.assignments(sp) for sp in names.apps.values())
    assert set(names.unknown_objects) <= set().union(
        *(tenant.direct_members(g) for g in names.groups.values())
    )


def test_a_permission_the_app_was_not_granted_is_refused_as_graph_does(tenant: Tenant) -> None:
    """Graph, "Resolve Microsoft Graph authorization errors": "403 Forbidden error: Have you chosen the right
    set of permissions?"; the body is Graph's error with code Authorization_RequestDenied and the message
    "Insufficient privileges to complete the operation.". A broader permission (Directory.Read.All) covers
    the narrower reads."""
    with GraphSimulator(tenant, token=TOKEN, granted_roles=["User.Read.All"]) as sim:
        with httpx.Client(base_url=sim.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as http:
            users = http.get("/users", params={"$top": "1"})
            groups = http.get("/groups", params={"$top": "1"})
            sign_in = http.get("/users", params={"$top": "1", "$select": "id,signInActivity"})
            sim.granted_roles = frozenset({"Directory.Read.All"})
            broader = http.get("/groups", params={"$top": "1"})
    assert users.status_code == 200 and broader.status_code == 200
    for refused in (groups, sign_in):
        assert refused.status_code == 403
        error = refused.json()["error"]
        assert error["code"] == "Authorization_RequestDenied"
        assert error["message"] == "Insufficient privileges to complete the operation."
        assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}


def test_sign_in_activity_needs_a_premium_tenant(tenant: Tenant) -> None:
    """Microsoft Entra, "How to analyze activity logs with Microsoft Graph", Common errors: "Neither tenant is
    B2C or tenant doesn't have premium license: Accessing sign-in reports requires a Microsoft Entra ID P1 or
    P2 license."; the rest of /users answers as usual."""
    with GraphSimulator(tenant, token=TOKEN, premium=False) as sim:
        with httpx.Client(base_url=sim.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as http:
            plain = http.get("/users", params={"$top": "1"})
            sign_in = http.get("/users", params={"$top": "1", "$select": "id,signInActivity"})
    assert plain.status_code == 200
    assert sign_in.status_code == 403
    assert sign_in.json()["error"]["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    assert (
        sign_in.json()["error"]["message"] == "Neither tenant is B2C or tenant doesn't have premium license"
    )
