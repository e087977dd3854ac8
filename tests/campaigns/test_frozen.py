"""The frozen grant: typed, versioned, read the same way whether written before or after the version was
stored, and loud when a row lacks what every writer has always written.

STYLE.md ("Errors"): "index required fields directly, `.get()` only optional ones; never manufacture a
safe-looking default for data you failed to read." Issue 18, step 3: "`.get("owners", [])` decides who
reviews the next stage"; a malformed row "fails loudly with a clear error naming the item"."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.campaigns.decide import record_decision
from reviews.campaigns.frozen import VERSION, FrozenGrant, frozen_grant_of
from reviews.campaigns.population import population_sha256
from reviews.clock import FrozenClock
from reviews.errors import MalformedRecord
from reviews.storage.models import ItemStatus, ReviewItem
from tests.campaigns.test_decide import KEEP, SLACK, item, person, setup
from tests.campaigns.test_start import department, items_by_holder, started
from tests.campaigns.world import email
from tests.helpers import T0

LEGACY = {  # a row as every campaign wrote it before the version was stored (no "version" key)
    "store": {
        "id": "arn:aws:s3:::payroll",
        "name": "payroll",
        "system": "aws",
        "kind": "s3_bucket",
        "owners": ["olu@example.com"],
        "classification": "",
    },
    "principal": {
        "id": "AIDAANA",
        "type": "user",
        "name": "ana",
        "email": "ana@example.com",
        "enabled": True,
        "guest": False,
    },
    "access": "read",
    "path": [{"kind": "group", "id": "g1", "name": "payroll-readers"}],
    "conditional": False,
    "needs_human_review": False,
    "last_used": None,
    "last_used_source": "cloudtrail",
}


def test_a_started_campaign_stores_version_1_and_reads_it_back_whole(session: Session) -> None:
    clock = FrozenClock(T0)
    department().sync(session, clock)
    campaign = started(session, clock)
    ana = items_by_holder(session, campaign)["ana"]
    assert ana.frozen_grant["version"] == VERSION == 1
    grant = frozen_grant_of(ana)
    assert grant.to_json() == ana.frozen_grant
    assert (grant.principal.name, grant.store.name, grant.access) == ("ana", "payroll", "read")
    assert grant.store.owners == (email("olu"),)


def test_the_population_hash_is_over_the_frozen_grants_with_the_same_bytes_as_before(
    session: Session,
) -> None:
    """The campaign's hash is recomputed by the evidence export from the frozen rows; its bytes must stay
    "store id TAB principal id TAB access", sorted, one a line, or every existing campaign stops verifying."""
    clock = FrozenClock(T0)
    department().sync(session, clock)
    campaign = started(session, clock)
    items = session.exec(select(ReviewItem).where(ReviewItem.campaign_id == campaign.id)).all()
    grants = [frozen_grant_of(item) for item in items]
    assert campaign.population_sha256 == population_sha256(grants)
    lines = sorted(
        f"{item.frozen_grant['store']['id']}\t{item.frozen_grant['principal']['id']}\t{item.frozen_grant['access']}"
        for item in items
    )
    assert campaign.population_sha256 == hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def test_a_row_written_before_the_version_reads_as_version_1() -> None:
    grant = FrozenGrant.from_json(LEGACY, item="review item 7")
    assert grant.version == 1
    assert grant.store.provider_id == "arn:aws:s3:::payroll"
    assert grant.path_steps == ("group:payroll-readers",)
    assert grant.to_json() == {**LEGACY, "version": 1}
    assert grant.key == "arn:aws:s3:::payroll\tAIDAANA\tread"


def without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    if len(keys) == 1:
        return {k: v for k, v in data.items() if k != keys[0]}
    return {**data, keys[0]: without(data[keys[0]], *keys[1:])}


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (without(LEGACY, "store", "owners"), "no 'owners'"),
        (without(LEGACY, "principal"), "no 'principal'"),
        (without(LEGACY, "access"), "no 'access'"),
        ({**LEGACY, "conditional": "yes"}, "conditional is not true or false"),
        ({**LEGACY, "path": [{"kind": "group"}]}, "a path step without a kind and a name"),
        ({**LEGACY, "store": {**LEGACY["store"], "owners": "olu@example.com"}}, "owners is not a list"),
        ({**LEGACY, "version": 2}, "unknown version 2"),
        ({}, "no 'store'"),
    ],
)
def test_a_malformed_row_fails_loudly_naming_the_item(data: dict[str, Any], problem: str) -> None:
    item = ReviewItem(id=12, campaign_id=1, grant_id=1, store_id=1, principal_id=1, frozen_grant=data)
    with pytest.raises(MalformedRecord, match=f"review item 12: .*{problem}"):
        frozen_grant_of(item)


def test_a_later_stage_is_not_routed_from_a_grant_without_owners(engine: Engine, session: Session) -> None:
    """The next stage's reviewer comes from the frozen owners; a row without them is refused, never read as
    "no owners" (which would hand the stage to the fallback reviewer)."""
    clock = FrozenClock(T0)
    setup(session, clock, stages=[{"name": "owner"}, {"name": "again", "applies_to": "kept"}])
    ana = item(session, "ana")
    ana.frozen_grant = without(ana.frozen_grant, "store", "owners")
    session.add(ana)
    session.commit()
    olu = person(session, "olu")
    with pytest.raises(MalformedRecord, match=f"review item {ana.id}: its frozen grant is malformed"):
        record_decision(engine, item_id=ana.id, outcome=KEEP, actor=olu, via=SLACK, clock=clock)
    session.expire_all()
    assert (item(session, "ana").status, item(session, "ana").stage) == (ItemStatus.PENDING, 1)
