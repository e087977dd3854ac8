"""Exposure review items: a campaign reviews public and external grants like any other, with the store's
owner as reviewer and a recommendation in words a non-specialist understands; principals nobody is never
count as anyone's own access."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from reviews.actors import Actor, cli_operator
from reviews.campaigns.decide import record_decision
from reviews.campaigns.notify import advance_notifications
from reviews.campaigns.start import start_campaign
from reviews.clock import FrozenClock
from reviews.entitlements import AccessLevel, PrincipalType
from reviews.evidence.collect import read_evidence
from reviews.evidence.quality import reviewer_quality
from reviews.exposure import EXPOSURE_INTENDED, EXPOSURE_TAG
from reviews.protection import Protection
from reviews.storage.models import Campaign, DecidedVia, DecisionOutcome, ItemStatus, Person, ReviewItem
from tests.campaigns.world import Department, RecordingNotifier, cycle, email, store_cycle, used
from tests.helpers import T0

ANYONE, PARTNER, CLOUDTRAIL = (
    "anyone on the internet",
    "Partner Ltd (999988887777)",
    "cloudtrail.amazonaws.com",
)
PUBLIC_SENTENCE = "anyone on the internet can read benefit-claims"
PARTNER_SENTENCE = "account Partner Ltd (999988887777), outside the organisation, can write to benefit-claims"


def department() -> Department:
    return (
        Department()
        .store("benefit-claims", "olu")
        .store("payroll", "olu")
        .user("ana", manager="meg")
        .grant("ana", "payroll", used=used(T0 - timedelta(days=2)))
        .outsider(ANYONE, PrincipalType.PUBLIC, "*")
        .outsider(PARTNER, PrincipalType.AWS_ACCOUNT, "arn:aws:iam::999988887777:root", guest=True)
        .outsider(CLOUDTRAIL, PrincipalType.AWS_SERVICE, CLOUDTRAIL)
        .expose(ANYONE, "benefit-claims")
        .expose(
            PARTNER, "benefit-claims", AccessLevel.WRITE, statement="bucket policy statement PartnerUpload"
        )
        .expose(CLOUDTRAIL, "payroll", AccessLevel.WRITE, statement="bucket policy statement CloudTrailLogs")
    )


def started(
    session: Session,
    clock: FrozenClock,
    world: Department | None = None,
    protection: Protection | None = None,
    **overrides: object,
) -> Campaign:
    (world or department()).sync(session, clock)
    definition = cycle(**overrides)
    row = store_cycle(session, definition, clock.now())
    campaign = start_campaign(
        session,
        row,
        definition,
        actor=cli_operator(),
        clock=clock,
        protection=protection or Protection.of([], []),
    ).campaign
    session.commit()
    return campaign


def items(session: Session, campaign: Campaign) -> dict[str, ReviewItem]:
    found = session.exec(select(ReviewItem).where(ReviewItem.campaign_id == campaign.id)).all()
    return {item.frozen_grant["principal"]["name"]: item for item in found}


def reviewer(session: Session, item: ReviewItem) -> str | None:
    person = session.get(Person, item.reviewer_person_id) if item.reviewer_person_id else None
    return person.email if person else None


def test_the_store_owner_reviews_each_exposure_told_as_a_sentence(session: Session) -> None:
    campaign = started(session, FrozenClock(T0))
    by_holder = items(session, campaign)
    public, partner = by_holder[ANYONE], by_holder[PARTNER]
    for item in (public, partner):
        assert reviewer(session, item) == email("olu") and item.reviewer_source == "owner"
        assert item.holder_person_id is None and item.status == ItemStatus.PENDING
        assert item.recommendation == "revoke"
    assert public.recommendation_evidence["reason"] == (
        f"{PUBLIC_SENTENCE}, and nobody marked the store as meant to be exposed "
        "(tag recertify:exposure = intended)"
    )
    assert public.recommendation_evidence["exposure"] == "public"
    assert partner.recommendation_evidence["exposure"] == "external"
    assert partner.recommendation_evidence["exposure_sentence"] == PARTNER_SENTENCE


def test_the_digest_leads_each_exposure_with_its_sentence(session: Session) -> None:
    clock = FrozenClock(T0)
    started(session, clock)
    notifier = RecordingNotifier()
    advance_notifications(session, notifier, clock=clock)
    (digest,) = notifier.to("olu")
    views = {view.holder: view for view in digest.items}
    assert views[ANYONE].exposure == PUBLIC_SENTENCE and views[PARTNER].exposure == PARTNER_SENTENCE
    assert views["ana"].exposure is None and views[CLOUDTRAIL].exposure is None  # no exposure: no sentence


def test_an_exposure_the_owner_marked_intended_is_recommended_keep(session: Session) -> None:
    campaign = started(
        session, FrozenClock(T0), department().tag("benefit-claims", EXPOSURE_TAG, EXPOSURE_INTENDED)
    )
    public = items(session, campaign)[ANYONE]
    assert public.recommendation == "keep"
    assert public.recommendation_evidence["reason"] == (
        f"{PUBLIC_SENTENCE}; the store's owner marked this as intended (tag recertify:exposure = intended)"
    )
    assert public.recommendation_evidence["intended"] is True


def test_a_conditional_public_grant_says_it_is_public_only_under_its_condition(session: Session) -> None:
    world = department().expose(
        ANYONE,
        "payroll",
        statement="bucket policy statement VpcOnly (if aws:SourceVpce = vpce-1a2b)",
        conditional=True,
    )
    campaign = started(session, FrozenClock(T0), world)
    payroll = next(
        i
        for i in session.exec(select(ReviewItem).where(ReviewItem.campaign_id == campaign.id))
        if i.frozen_grant["principal"]["name"] == ANYONE and i.frozen_grant["store"]["name"] == "payroll"
    )
    assert payroll.frozen_grant["conditional"] is True
    assert payroll.recommendation_evidence["exposure_sentence"] == (
        "anyone on the internet can read payroll, but only under a condition: "
        "bucket policy statement VpcOnly (if aws:SourceVpce = vpce-1a2b)"
    )


def test_a_service_principal_keeps_the_usual_rules_and_the_owner_reviews_it(session: Session) -> None:
    campaign = started(session, FrozenClock(T0))
    service = items(session, campaign)[CLOUDTRAIL]
    assert service.recommendation is None  # nobody measured its use: no opinion, as for any grant
    assert (
        service.recommendation_evidence["reason"]
        == "usage unknown: no source measures it, so no recommendation"
    )
    assert "exposure" not in service.recommendation_evidence
    assert reviewer(session, service) == email("olu") and service.holder_person_id is None


def test_an_account_whose_contact_is_the_owner_is_still_reviewed_by_the_owner(
    engine: Engine, session: Session
) -> None:
    """Nobody *is* an outside account, even when the address a source gives as its contact is the owner's:
    the owner reviews it (no self-review detour to the fallback) and may decide it."""
    world = department().outsider(
        PARTNER, PrincipalType.AWS_ACCOUNT, "arn:aws:iam::999988887777:root", guest=True, contact=email("olu")
    )
    clock = FrozenClock(T0)
    campaign = started(session, clock, world)
    item = items(session, campaign)[PARTNER]
    assert reviewer(session, item) == email("olu") and "reviewer_note" not in item.recommendation_evidence
    olu = session.exec(select(Person).where(Person.email == email("olu"))).one()
    assert item.id is not None and olu.id is not None
    result = record_decision(
        engine,
        item_id=item.id,
        outcome=DecisionOutcome.REVOKE,
        actor=Actor("slack:olu", person_id=olu.id),
        via=DecidedVia.SLACK,
        clock=clock,
    )
    assert result.applied, result.message


def test_a_cycle_can_review_only_exposures(session: Session) -> None:
    campaign = started(session, FrozenClock(T0), scope={"principal_types": ["public", "aws_account"]})
    assert set(items(session, campaign)) == {ANYONE, PARTNER}


def test_a_cycle_of_people_leaves_exposures_out(session: Session) -> None:
    campaign = started(session, FrozenClock(T0), scope={"principal_types": ["iam_user"]})
    assert set(items(session, campaign)) == {"ana"}


def test_reviewer_quality_counts_the_owner_s_exposure_decisions(engine: Engine, session: Session) -> None:
    clock = FrozenClock(T0)
    campaign = started(session, clock)
    advance_notifications(session, RecordingNotifier(), clock=clock)
    session.commit()
    olu = session.exec(select(Person).where(Person.email == email("olu"))).one()
    clock.advance(timedelta(minutes=30))
    for name, outcome in ((ANYONE, DecisionOutcome.REVOKE), (PARTNER, DecisionOutcome.KEEP)):
        item = items(session, campaign)[name]
        assert item.id is not None and olu.id is not None
        record_decision(
            engine,
            item_id=item.id,
            outcome=outcome,
            actor=Actor("slack:olu", person_id=olu.id),
            via=DecidedVia.SLACK,
            clock=clock,
            justification="the partner uploads claims under contract",
        )
    session.expire_all()
    assert campaign.id is not None
    evidence = read_evidence(engine, cli_operator(), campaign.id, clock=clock)
    quality = reviewer_quality(list(evidence.rows), campaign_started_at=T0, keep_all_within=60)
    (owner,) = [q for q in quality.reviewers if q.reviewer == email("olu")]
    assert (owner.decisions, owner.kept, owner.revoked) == (2, 1, 1)
    assert owner.time_to_decide_max_seconds == 30 * 60


def test_a_protected_outside_account_is_decided_by_hand_and_still_told_as_a_sentence(
    session: Session,
) -> None:
    """An admin may protect an account (`[enforcement] protected`): as for any protected principal, no
    recommendation (never revoked automatically), and the owner still reads what the exposure is."""
    protect = Protection.of(["arn:aws:iam::999988887777:root"], [])
    campaign = started(session, FrozenClock(T0), protection=protect)
    partner = items(session, campaign)[PARTNER]
    assert partner.recommendation is None and partner.recommendation_evidence["protected"] is True
    assert partner.recommendation_evidence["exposure_sentence"] == PARTNER_SENTENCE
    assert campaign.notes["protected_in_scope"] == 1
    assert items(session, campaign)[ANYONE].recommendation == "revoke"
