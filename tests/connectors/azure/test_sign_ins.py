"""Last use on Azure (issue 19 §3): "sign-in activity of the principal from the Entra source as the upper
bound … unknown stays unknown". Read through the real Graph client from the Graph simulator, which answers
`signInActivity` as Graph does: 403 Authorization_RequestDenied without AuditLog.Read.All, 403
Authentication_RequestFromNonPremiumTenantOrB2CTenant without a Microsoft Entra ID P1 or P2 licence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from connectors.azure.connector import AzureConnector
from connectors.azure.model import PrincipalType
from connectors.azure.reading import ArmRead, read_all
from connectors.azure.settings import AzureSettings
from connectors.entra.transform import SIGN_IN_SOURCE
from reviews.entitlements import Principal
from simulators.graph import GraphSimulator, Tenant
from tests.connectors.azure.evaluate_world import ACCOUNT, BLOB_READER, RG, assign, inventory, storage
from tests.connectors.azure.test_connector import NOW, TAGS
from tests.connectors.entra.graphing import client

INTERACTIVE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TOKEN_REFRESH = datetime(2026, 11, 20, 17, 30, tzinfo=UTC)


@pytest.fixture
def world() -> Iterator[tuple[GraphSimulator, dict[str, str]]]:
    tenant = Tenant(seed=23)
    ids = {
        "ana": tenant.add_user(
            "Ana Silva",
            "ana@dept.example.gov",
            last_sign_in=INTERACTIVE,
            last_non_interactive_sign_in=TOKEN_REFRESH,
        ),
        "bob": tenant.add_user("Bob Jones", "bob@dept.example.gov"),  # never signed in
        "app": tenant.add_service_principal("payroll-batch"),
        "hr": tenant.add_group("HR"),
    }
    tenant.add_member(ids["hr"], ids["bob"])
    tenant.add_member(ids["hr"], ids["app"])
    with GraphSimulator(tenant, token="test-token") as sim:  # noqa: S106  (the simulator's own)
        yield sim, ids


def _principals(
    sim: GraphSimulator, ids: dict[str, str], notes: list[str] | None = None
) -> dict[str, Principal]:
    inv = inventory(
        storage(False),
        assign(BLOB_READER, RG, ids["ana"]),
        assign(BLOB_READER, ACCOUNT, ids["hr"], PrincipalType.GROUP),
    )
    with client(sim) as graph:
        connector = AzureConnector(
            AzureSettings(enabled=True),
            lambda: read_all(lambda: ArmRead(inv, {ACCOUNT: TAGS}), graph, now=NOW),
        )
        snap = connector.snapshot()
    (notes if notes is not None else []).extend(snap.notes)
    by_id = {p.provider_id: p for p in snap.principals}
    return {name: by_id[object_id] for name, object_id in ids.items() if object_id in by_id}


def test_a_users_last_sign_in_bounds_the_use_of_what_they_hold_in_azure(
    world: tuple[GraphSimulator, dict[str, str]],
) -> None:
    """signInActivity "Provides the last interactive or non-interactive sign-in attempt time for a specific
    user"; the later of the two is the bound ("you can use the non-interactive sign-in date to along with
    lastSignInDateTime to identify inactive users"), valid up to when it was read."""
    sim, ids = world
    principals = _principals(sim, ids)
    ana = principals["ana"].last_sign_in
    assert ana is not None and ana.at == TOKEN_REFRESH and ana.covers_all_use
    assert ana.window_end == NOW and ana.source == SIGN_IN_SOURCE
    bob = principals["bob"].last_sign_in  # reached through a group, never signed in: a bound, not unknown
    assert bob is not None and bob.at is None and bob.covers_all_use


def test_a_service_principal_has_no_sign_in_activity_so_its_last_use_stays_unknown(
    world: tuple[GraphSimulator, dict[str, str]],
) -> None:
    """Graph v1.0 carries `signInActivity` on users only: a service principal's last use is not known."""
    sim, ids = world
    assert _principals(sim, ids)["app"].last_sign_in is None


@pytest.mark.parametrize(
    ("premium", "permissions", "why"),
    [
        (True, frozenset({"User.Read.All", "GroupMember.Read.All", "Application.Read.All"}), "AuditLog"),
        (False, None, "P1 or P2"),
    ],
    ids=["no AuditLog.Read.All", "no licence"],
)
def test_unreadable_sign_in_activity_stays_unknown_with_the_reason(
    world: tuple[GraphSimulator, dict[str, str]], premium: bool, permissions: frozenset[str] | None, why: str
) -> None:
    """ "unknown stays unknown": without the permission or the licence, no user reads as inactive, and the
    snapshot's notes say why."""
    sim, ids = world
    sim.premium, sim.permissions = premium, permissions
    notes: list[str] = []
    principals = _principals(sim, ids, notes)
    assert any(why in note and "never 'inactive'" in note for note in notes), notes
    for name in ("ana", "bob"):
        last = principals[name].last_sign_in
        assert last is not None and last.at is None and not last.covers_all_use
        assert why in last.source
