"""Exposures in Slack, end to end through the Slack simulator: the owner's digest and App Home say what each
exposure means, auditors list them with `/recertify exposure`, and an exposure the owner revoked waits for
an admin, who approves it from `/recertify held`; the outbox then removes it at the (fake) provider."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.actors import cli_operator
from reviews.campaigns.close import close_campaign
from reviews.clock import FrozenClock
from reviews.enforcement.outbox import execute
from reviews.enforcement.plan import plan_revocations
from reviews.enforcement.settings import EnforcementSettings
from reviews.entitlements import AccessLevel, PrincipalType
from reviews.inventory.apply import apply_snapshot
from reviews.protection import Protection
from reviews.storage.models import Campaign, ItemStatus, Revocation, RevocationState
from tests.bot.conftest import Conversation, converse, eventually, items
from tests.bot.test_slack_commands import ask
from tests.campaigns.world import arn, email
from tests.fakes.provider import FakeConnector, FakeProvider
from tests.helpers import T0

PAYROLL = "arn:aws:s3:::payroll"
PARTNER = "arn:aws:iam::999988887777:root"
APPROVAL = "changes payroll's bucket policy, which others share: an admin approves"
PUBLIC_SENTENCE = "anyone on the internet can read payroll"
PARTNER_SENTENCE = "account Partner Ltd (999988887777), outside the organisation, can write to payroll"
NAMES = ("olu", "ana", "aud", "adm")


@dataclass
class ProviderWorld:
    """payroll (owner olu) read by ana through a group, by anyone through its bucket policy, written by
    Partner Ltd's account; every change to the policy needs an admin."""

    provider: FakeProvider
    connector: FakeConnector

    @classmethod
    def build(cls) -> ProviderWorld:
        provider = FakeProvider(":memory:")
        provider.add_store(PAYROLL, name="payroll", owners=(email("olu"),))
        provider.add_group("g-read", store_provider_id=PAYROLL, name="payroll-read")
        for name in NAMES:  # each a person, so each can be linked to Slack
            provider.add_principal(arn(name), email=email(name), last_used=T0 - timedelta(days=2))
        provider.add_member("g-read", arn("ana"))
        provider.add_statement(
            "s-public",
            store_provider_id=PAYROLL,
            name="bucket policy statement PublicRead",
            approval=APPROVAL,
        )
        provider.add_principal("*", name="anyone on the internet", type=PrincipalType.PUBLIC, last_used=None)
        provider.add_member("s-public", "*")
        provider.add_statement(
            "s-partner", store_provider_id=PAYROLL, name="bucket policy statement PartnerUpload",
            access=AccessLevel.WRITE, approval=APPROVAL,
        )  # fmt: skip
        provider.add_principal(
            PARTNER,
            name="Partner Ltd (999988887777)",
            type=PrincipalType.AWS_ACCOUNT,
            guest=True,
            last_used=None,
        )
        provider.add_member("s-partner", PARTNER)
        return cls(provider, FakeConnector(provider, clock=FrozenClock(T0)))

    def sync(self, session: Session, clock: FrozenClock) -> object:
        summary = apply_snapshot(self.connector.snapshot(), session=session, clock=clock)
        session.commit()
        return summary


@pytest.fixture
def world() -> ProviderWorld:
    return ProviderWorld.build()


@pytest.fixture
def talk(engine: Engine, session: Session, world: ProviderWorld) -> Iterator[Conversation]:
    with converse(engine, session, world, NAMES) as conversation:
        yield conversation


def test_the_owner_s_digest_says_what_each_exposure_means(talk: Conversation) -> None:
    text = str(talk.digest("olu").blocks)
    assert f":globe_with_meridians: *{PUBLIC_SENTENCE}*" in text
    assert f":globe_with_meridians: *{PARTNER_SENTENCE}*" in text
    assert (
        "Recommendation: *revoke*: nobody marked the store as meant to be exposed "
        "(tag recertify:exposure = intended)"
    ) in text
    assert "*ana* (ana@dept.example.gov)" in text  # a person's access reads as before


def test_the_app_home_lists_exposures_as_sentences(talk: Conversation) -> None:
    olu = talk.users["olu"]
    talk.slack.send(talk.sim.payloads().app_home_opened(olu))

    def shown() -> None:
        home = talk.ws.home(olu)
        assert (
            home is not None and PUBLIC_SENTENCE in str(home.blocks) and PARTNER_SENTENCE in str(home.blocks)
        )

    eventually(shown)


def test_auditors_list_exposures_and_nobody_else_may(talk: Conversation) -> None:
    answer = ask(talk, "aud", "exposure")
    assert PUBLIC_SENTENCE in answer and PARTNER_SENTENCE in answer
    assert answer.index(PUBLIC_SENTENCE) < answer.index(PARTNER_SENTENCE)  # public first
    assert "ana" not in answer.replace("anyone", "")  # a person's access is no exposure
    assert "Not done: only auditors" in ask(talk, "olu", "exposure")
    before = ask(talk, "aud", "exposure payroll at 2026-02-01")  # nothing was recorded then: not "nobody"
    assert (
        "Not done: at '2026-02-01' is before the first sync (it finished 2026-03-01 09:00:00 UTC)" in before
    )


def test_who_can_access_and_history_name_the_new_kinds(talk: Conversation) -> None:
    who = ask(talk, "aud", "who-can-access payroll")
    assert f"*{PUBLIC_SENTENCE}* · public" in who and "*ana* (ana@dept.example.gov) · iam_user" in who
    history = ask(talk, "aud", "history *")
    assert "anyone on the internet (public)" in history and "granted" in history


def test_an_admin_approves_a_held_exposure_from_slack_and_the_outbox_removes_it(
    talk: Conversation, world: ProviderWorld, session: Session, engine: Engine
) -> None:
    public = items(engine)["anyone on the internet"]
    talk.press("olu", talk.digest("olu"), "item_revoke", str(public.id))
    eventually(lambda: _status(engine, "anyone on the internet", ItemStatus.REVOKED))

    talk.clock.advance(timedelta(days=15))
    campaign = session.exec(select(Campaign)).one()
    close_campaign(session, campaign, actor=cli_operator(), clock=talk.clock)
    world.sync(session, talk.clock)  # planning needs a fresh sync
    plan_revocations(
        session, campaign, {"aws": world.connector}, settings=EnforcementSettings(mode="live"),
        protection=Protection.of([], []), auto_apply=True, cycle_name="quarterly", clock=talk.clock,
    )  # fmt: skip
    session.commit()
    (row,) = session.exec(select(Revocation)).all()
    assert row.state == RevocationState.HELD and row.hold_reason == APPROVAL

    assert "Not done: only admins" in ask(talk, "olu", "held")
    held = ask(talk, "adm", "held")
    assert APPROVAL in held and "approve_held" in held
    message = talk.ws.ephemeral_messages(talk.users["adm"])[-1]
    press = talk.sim.payloads().block_action(
        talk.users["adm"], message, "approve_held", str(row.id), block_id=f"held:{row.id}"
    )
    assert talk.slack.send(press).status == 200

    def approved() -> None:
        with Session(engine) as fresh:
            found = fresh.get(Revocation, row.id)
            assert found is not None and found.state == RevocationState.APPROVED
            assert found.approved_by == f"slack:{talk.users['adm']}"

    eventually(approved)
    result = execute(engine, {"aws": world.connector}, settings=EnforcementSettings(mode="live"),
                     clock=talk.clock, worker="w1")  # fmt: skip
    assert result.outcomes["applied"] == 1
    assert world.provider.members("s-public") == set() and world.provider.members("s-partner") == {PARTNER}


def _status(engine: Engine, holder: str, status: str) -> None:
    assert items(engine)[holder].status == status
