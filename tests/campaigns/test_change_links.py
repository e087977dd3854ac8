"""One revocation per real change: read and write on one store from one group membership are two review items
but one removal. The plan records one outbox row linked to both; it counts once toward the blast radius,
runs once at the provider, is settled once by the next sync (both items then revoked), undone once; a re-run
of the plan adds nothing; its audit events name both items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from reviews.actors import cli_operator
from reviews.campaigns.close import close_campaign
from reviews.campaigns.start import start_campaign
from reviews.campaigns.views import show_campaign
from reviews.clock import FrozenClock
from reviews.enforcement.outbox import execute, undo
from reviews.enforcement.plan import PlanSummary, plan_revocations
from reviews.enforcement.revoked_notice import tell_revoked
from reviews.enforcement.settings import EnforcementSettings
from reviews.entitlements import AccessLevel
from reviews.inventory.apply import apply_snapshot
from reviews.protection import Protection
from reviews.storage.models import (
    AccessGrant,
    AuditEvent,
    Campaign,
    ReviewItem,
    Revocation,
    RevocationItem,
    RevocationState,
)
from tests.campaigns.world import RecordingNotifier, cycle, email, store_cycle
from tests.fakes.provider import FakeConnector, FakeProvider
from tests.helpers import T0

CLAIMS = "arn:aws:s3:::claims"
RW = "g-claims-rw"
NOBODY = Protection.of([], [])


def arn(name: str) -> str:
    return f"arn:aws:iam::111122223333:user/{name}"


@dataclass
class World:
    """claims, owned by olu (recently active, its admin); kem reads and writes it through one group, unused
    for 200 days: the cycle's policy revokes both of kem's items."""

    session: Session
    engine: Engine
    clock: FrozenClock
    provider: FakeProvider
    connector: FakeConnector

    @classmethod
    def build(cls, session: Session, engine: Engine) -> World:
        clock = FrozenClock(T0)
        provider = FakeProvider(":memory:")
        provider.add_store(CLAIMS, name="claims", owners=(email("olu"),))
        provider.add_group(
            RW, store_provider_id=CLAIMS, name="claims-rw", access=(AccessLevel.READ, AccessLevel.WRITE)
        )
        provider.add_group(
            "g-claims-admin", store_provider_id=CLAIMS, name="claims-admin", access=AccessLevel.ADMIN
        )
        provider.add_principal(arn("olu"), email=email("olu"), last_used=T0 - timedelta(days=1))
        provider.add_principal(arn("kem"), email=email("kem"), last_used=T0 - timedelta(days=200))
        provider.add_member("g-claims-admin", arn("olu"))
        provider.add_member(RW, arn("kem"))
        world = cls(session, engine, clock, provider, FakeConnector(provider, clock=clock))
        world.sync()
        return world

    def sync(self) -> None:
        apply_snapshot(self.connector.snapshot(), session=self.session, clock=self.clock, max_drop=None)
        self.session.commit()

    def closed_by_silence(self) -> Campaign:
        definition = cycle(on_no_response="recommendation")
        row = store_cycle(self.session, definition, self.clock.now())
        campaign = start_campaign(
            self.session, row, definition, actor=cli_operator(), clock=self.clock, protection=NOBODY
        ).campaign
        for item in self.items(campaign):
            item.delivered_at = item.reminded_at = item.escalated_at = self.clock.now()
            self.session.add(item)
        self.session.commit()
        self.clock.advance(timedelta(days=15))
        close_campaign(self.session, campaign, actor=cli_operator(), clock=self.clock)
        self.session.commit()
        self.sync()
        return campaign

    def plan(self, campaign: Campaign, **limits: object) -> PlanSummary:
        summary = plan_revocations(
            self.session,
            campaign,
            {"aws": self.connector},
            settings=EnforcementSettings.model_validate({"mode": "live", **limits}),
            protection=NOBODY,
            auto_apply=True,
            cycle_name="quarterly",
            clock=self.clock,
        )
        self.session.commit()
        return summary

    def items(self, campaign: Campaign) -> list[ReviewItem]:
        query = select(ReviewItem).where(ReviewItem.campaign_id == campaign.id).order_by(col(ReviewItem.id))
        return list(self.session.exec(query).all())

    def kems(self, campaign: Campaign) -> list[int]:
        return [i.id for i in self.items(campaign) if i.frozen_grant["principal"]["name"] == "kem" and i.id]

    def outcomes(self, campaign: Campaign, ids: list[int]) -> list[str]:
        self.session.expire_all()
        lines = show_campaign(self.session, campaign.id or 0)[1]
        return [str(line.outcome.outcome) for line in lines if line.view.item_id in ids]


@pytest.fixture
def world(session: Session, engine: Engine) -> World:
    return World.build(session, engine)


def test_read_and_write_from_one_membership_are_one_revocation_counted_applied_and_settled_once(
    world: World,
) -> None:
    campaign = world.closed_by_silence()
    kems = world.kems(campaign)
    assert len(kems) == 2  # read and write
    # A limit of one automatic change per store: two items, one change, so not over it.
    summary = world.plan(campaign, blast_radius_count=1, blast_radius_share=1.0)
    assert (summary.approved, summary.held, summary.linked) == (1, 0, 1)
    (row,) = world.session.exec(select(Revocation)).all()
    links = world.session.exec(
        select(RevocationItem.review_item_id).where(RevocationItem.revocation_id == row.id)
    )
    assert sorted(links.all()) == kems
    assert row.state == RevocationState.APPROVED
    assert world.outcomes(campaign, kems) == ["revoking", "revoking"]

    settings = EnforcementSettings(mode="live", blast_radius_count=1)  # re-checked at apply: still one change
    executed = execute(
        world.engine, {"aws": world.connector}, settings=settings, clock=world.clock, worker="w"
    )
    assert dict(executed.outcomes) == {"applied": 1}
    writes = world.provider.writes()
    assert [(w.kind, w.group, w.principal) for w in writes] == [("remove_member", RW, arn("kem"))]
    assert world.outcomes(campaign, kems) == ["revoking", "revoking"]  # read back; no sync has confirmed it

    world.clock.advance(timedelta(hours=1))
    world.sync()
    world.session.expire_all()
    assert world.session.get(Revocation, row.id).state == RevocationState.VERIFIED  # type: ignore[union-attr]
    assert world.outcomes(campaign, kems) == ["revoked", "revoked"]
    # kem is told once, of both levels the one change ended.
    notifier = RecordingNotifier()
    tell_revoked(world.session, notifier, clock=world.clock)
    world.session.commit()
    assert [(n.principal, n.access) for n in notifier.notices] == [("kem", "read and write")]
    tell_revoked(world.session, notifier, clock=world.clock)  # not again, for either item
    assert len(notifier.notices) == 1
    events = world.session.exec(select(AuditEvent).where(AuditEvent.subject == f"revocation:{row.id}")).all()
    assert {e.kind for e in events} >= {"revocation.claimed", "revocation.applied", "revocation.verified"}
    assert all(e.payload["items"] == kems for e in events)
    (planned,) = world.session.exec(select(AuditEvent).where(AuditEvent.kind == "revocation.approved")).all()
    assert planned.payload["items"] == kems

    # A re-run of the plan finds nothing to plan: both items are linked.
    again = world.plan(campaign, blast_radius_count=1, blast_radius_share=1.0)
    assert (again.planned, again.approved, again.held, again.linked, again.already_absent) == (0, 0, 0, 0, 0)
    assert len(world.session.exec(select(Revocation)).all()) == 1

    # Undo restores the one change, once; both items say undone.
    undo(
        world.engine,
        row.id or 0,
        {"aws": world.connector},
        actor=cli_operator(),
        clock=world.clock,
        settings=settings,
    )
    assert [w.kind for w in world.provider.writes()] == ["remove_member", "add_member"]
    assert world.outcomes(campaign, kems) == ["undone", "undone"]


def test_one_change_still_reached_for_either_level_survived_for_both_items(world: World) -> None:
    campaign = world.closed_by_silence()
    kems = world.kems(campaign)
    world.plan(campaign, blast_radius_count=10, blast_radius_share=1.0)
    execute(
        world.engine,
        {"aws": world.connector},
        settings=EnforcementSettings(mode="live"),
        clock=world.clock,
        worker="w",
    )
    # Meanwhile someone gives kem write access through another group: the change did not end it.
    world.provider.add_group(
        "g-claims-write", store_provider_id=CLAIMS, name="claims-write", access=AccessLevel.WRITE
    )
    world.provider.add_member("g-claims-write", arn("kem"))
    world.clock.advance(timedelta(hours=1))
    world.sync()
    assert world.outcomes(campaign, kems) == ["survived", "survived"]


def three_readers_closed(world: World) -> Campaign:
    """kem, ada and bo read and write claims through one group, unused: six items, three changes, of the
    store's seven grants (olu's admin is the seventh); the cycle's policy revokes all six."""
    for name in ("ada", "bo"):
        world.provider.add_principal(arn(name), email=email(name), last_used=T0 - timedelta(days=200))
        world.provider.add_member(RW, arn(name))
    world.sync()
    return world.closed_by_silence()


def test_blast_radius_counts_changes_not_items(world: World) -> None:
    campaign = three_readers_closed(world)
    # Three people, six items, three changes: over a limit of two changes, under a limit of three.
    held = world.plan(campaign, blast_radius_count=2, blast_radius_share=1.0)
    assert (held.held, held.linked) == (3, 3)
    (reason,) = {r.hold_reason for r in world.session.exec(select(Revocation)).all()}
    assert reason is not None and reason.startswith("3 automatic revocations")
    assert "(86% of its grants)" in reason  # the share is of grants ended: six of the store's seven


def test_the_blast_radius_share_is_of_the_grants_the_changes_end(world: World) -> None:
    """Three changes end six of seven grants (86%): over a 50% share, though three changes are 43% of them."""
    campaign = three_readers_closed(world)
    held = world.plan(campaign, blast_radius_count=100, blast_radius_share=0.5)
    assert held.held == 3


def test_a_change_that_would_also_remove_the_last_admin_is_refused_for_every_item_it_ends(
    world: World,
) -> None:
    # olu is claims' only admin, and reads it, through one group: revoking the read would remove the admin.
    world.provider.remove_member("g-claims-admin", arn("olu"))
    world.provider.add_group(
        "g-claims-all",
        store_provider_id=CLAIMS,
        name="claims-all",
        access=(AccessLevel.READ, AccessLevel.ADMIN),
    )
    world.provider.add_member("g-claims-all", arn("olu"))
    world.clock.advance(timedelta(minutes=1))
    world.sync()
    campaign = world.closed_by_silence()
    olus = [i for i in world.items(campaign) if i.frozen_grant["principal"]["name"] == "olu"]
    for item in olus:  # both of olu's items decided revoke (say, by a reviewer)
        item.status = "revoked"
        world.session.add(item)
    world.session.commit()
    world.plan(campaign, blast_radius_count=10, blast_radius_share=1.0)
    world.session.expire_all()
    assert not world.session.exec(
        select(Revocation).where(Revocation.principal_id == olus[0].principal_id)
    ).all()
    assert world.outcomes(campaign, [i.id for i in olus if i.id]) == ["refused", "refused"]
    assert world.provider.is_member("g-claims-all", arn("olu"))


def test_either_level_granted_again_after_the_one_change_is_flagged(world: World) -> None:
    campaign = world.closed_by_silence()
    world.plan(campaign, blast_radius_count=10, blast_radius_share=1.0)
    execute(
        world.engine,
        {"aws": world.connector},
        settings=EnforcementSettings(mode="live"),
        clock=world.clock,
        worker="w",
    )
    world.clock.advance(timedelta(hours=1))
    world.sync()  # verified
    (row,) = world.session.exec(select(Revocation)).all()
    assert world.session.get(AccessGrant, row.grant_id).access == "read"  # type: ignore[union-attr]
    # Someone grants kem write again, through another group: the write item's grant, not the row's own.
    world.provider.add_group(
        "g-claims-write", store_provider_id=CLAIMS, name="claims-write", access=AccessLevel.WRITE
    )
    world.provider.add_member("g-claims-write", arn("kem"))
    world.clock.advance(timedelta(hours=1))
    world.sync()
    flagged = world.session.exec(select(AuditEvent).where(AuditEvent.kind == "grant.reappeared")).all()
    assert [(e.payload["access"], e.payload["revocation"]) for e in flagged] == [("write", row.id)]


def test_each_linked_item_s_history_tells_the_one_change(world: World) -> None:
    """History tells a shared change's events once for every item it ends (their `items`), in chain order."""
    from reviews.queries.history import HistoryFilter, history

    campaign = world.closed_by_silence()
    world.plan(campaign)
    execute(
        world.engine,
        {"aws": world.connector},
        settings=EnforcementSettings(mode="live"),
        clock=world.clock,
        worker="w",
    )
    world.clock.advance(timedelta(hours=1))
    world.sync()
    entries = history(
        world.session, cli_operator(), HistoryFilter(campaign=campaign.id, principal=arn("kem"))
    )
    steps = ["revocation_approved", "revocation_claimed", "revocation_applied", "revocation_read_back",
             "revocation_verified"]  # fmt: skip
    for item in world.kems(campaign):
        told = [e.event for e in entries if e.item == item and e.event.startswith("revocation_")]
        assert told == steps, (item, told)  # planned already approved (auto_apply): one approved event
    (applied,) = {e.seq for e in entries if e.event == "revocation_applied"}  # one event, told per item


def test_at_apply_the_share_is_also_of_the_grants_the_changes_end(world: World) -> None:
    """Planned under generous limits, applied after the share was lowered to 50%: the outbox re-checks the
    rule with the limits in force as it goes, so the third change (three changes ending six of seven grants,
    86%; counted in changes it would be 43%) is held."""
    campaign = three_readers_closed(world)
    assert world.plan(campaign, blast_radius_count=100, blast_radius_share=1.0).approved == 3
    lowered = EnforcementSettings(mode="live", blast_radius_count=100, blast_radius_share=0.5)
    executed = execute(
        world.engine, {"aws": world.connector}, settings=lowered, clock=world.clock, worker="w"
    )
    assert dict(executed.outcomes) == {"applied": 2, "held": 1}
    world.session.expire_all()
    (reason,) = {r.hold_reason for r in world.session.exec(select(Revocation)).all() if r.hold_reason}
    assert reason.startswith("held at apply: 3 automatic revocations") and "(86% of its grants)" in reason
