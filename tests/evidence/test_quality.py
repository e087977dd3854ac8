"""Reviewer quality: time to decide, batches, "kept everything within N seconds", share kept against share
recommended keep. First on the campaign of test_export (known delivery and decision times), then the rules'
edges on rows built by hand."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from reviews.actors import cli_operator
from reviews.evidence.export import ExportFormat, export_campaign
from reviews.evidence.model import DecisionFact, EvidenceRow
from reviews.evidence.quality import ReviewerQuality, batch_key, reviewer_quality
from reviews.evidence.summary import completion, revocations
from tests.campaigns.world import FALLBACK, email
from tests.evidence.test_export import DELIVERED, Scene, export, scene
from tests.helpers import T0


def by_reviewer(path: Path, campaign_id: int) -> dict[str, dict]:
    body = json.loads((path / f"campaign-{campaign_id}-evidence.json").read_text(encoding="utf-8"))
    return {r["reviewer"]: r for r in body["reviewer_quality"]["reviewers"]}


def test_a_bulk_keep_all_is_flagged_and_a_careful_reviewer_is_not(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    world = scene(session, engine)
    export(engine, world, tmp_path)
    quality = by_reviewer(tmp_path, world.campaign_id)
    assert set(quality) == {email("olu"), email("pat"), FALLBACK}

    pat = quality[email("pat")]  # "keep all" on both items, 20 s after the digest reached them
    assert (pat["decisions"], pat["kept"], pat["revoked"], pat["undecided"]) == (2, 2, 0, 0)
    assert pat["time_to_decide_median_seconds"] == pat["time_to_decide_max_seconds"] == 20.0
    assert pat["first_delivered_at"] == DELIVERED.isoformat() and pat["span_seconds"] == 20.0
    assert (pat["batches"], pat["largest_batch"], pat["bulk_decisions"], pat["batch_sizes"]) == (1, 2, 2, [2])
    assert (pat["share_kept"], pat["share_recommended_keep"]) == (1.0, 0.5)  # eve's access was idle
    assert pat["kept_all_quickly"] is True

    olu = quality[email("olu")]  # delivered at +1 h; decided at +2 h, +3 h, +1 day and +1 day 30 s
    assert (olu["decisions"], olu["kept"], olu["revoked"]) == (4, 1, 3)
    assert olu["time_to_decide_median_seconds"] == (3_600 * 2 + 82_800) / 2  # 7,200 and 82,800 s
    assert olu["time_to_decide_max_seconds"] == 82_830.0
    assert olu["batch_sizes"] == [2, 1, 1]  # cy and dan in the same minute, the rest alone
    assert (olu["batches"], olu["largest_batch"], olu["median_batch"], olu["bulk_decisions"]) == (3, 2, 1, 0)
    assert (olu["share_kept"], olu["share_recommended_keep"]) == (0.25, 0.25)
    assert olu["kept_all_quickly"] is False

    silent = quality[FALLBACK]  # olu's own access, never answered: the policy decided it
    assert (silent["items_assigned"], silent["undecided"], silent["decisions"]) == (1, 1, 0)
    assert silent["time_to_decide_median_seconds"] is None and silent["kept_all_quickly"] is False


def test_the_threshold_is_the_callers(engine: Engine, session: Session, tmp_path: Path) -> None:
    world = scene(session, engine)
    body = json.loads(
        (export_with(engine, world, tmp_path, 20) / f"campaign-{world.campaign_id}-evidence.json").read_text()
    )
    pat = next(r for r in body["reviewer_quality"]["reviewers"] if r["reviewer"] == email("pat"))
    assert pat["span_seconds"] == 20.0 and pat["kept_all_quickly"] is False  # 20 s is not under 20 s
    assert body["reviewer_quality"]["keep_all_within_seconds"] == 20


def export_with(engine: Engine, world: Scene, tmp_path: Path, seconds: int) -> Path:
    out = tmp_path / f"within-{seconds}"
    export_campaign(
        engine,
        cli_operator(),
        world.campaign_id,
        formats=[ExportFormat.JSON],
        out_dir=out,
        clock=world.clock,
        keep_all_within=seconds,
    )
    return out


# ── the rules, on rows built by hand ────────────────────────────────────────────────────────────────────

START = T0
ANA, BEN, DEL = "ana@x.gov", "ben@x.gov", "del@x.gov"


def decision(item: int, at: datetime, by: str = ANA, **overrides: object) -> DecisionFact:
    base = DecisionFact(
        decision_id=item,
        item_id=item,
        stage=1,
        outcome="keep",
        via="slack",
        decided_at=at,
        decided_by=by,
        decided_by_person_id=1,
        on_behalf_of=None,
        justification=None,
        superseded=False,
        request_key=None,
        bulk=None,
        reason=None,
        delivered_at=None,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def row(
    item: int, *decisions: DecisionFact, reviewer: str = ANA, recommendation: str | None = "keep"
) -> EvidenceRow:
    effective = decisions[-1] if decisions else None
    return EvidenceRow(
        campaign_id=1,
        cycle="q",
        cycle_version=1,
        population_count=1,
        population_sha256="0" * 64,
        item_id=item,
        store_provider_id="arn:aws:s3:::s",
        store_name="s",
        store_system="aws",
        store_kind="s3_bucket",
        store_classification="",
        principal_provider_id=f"p{item}",
        principal_name=f"p{item}",
        principal_type="iam_user",
        person=None,
        access="read",
        path=("group:g",),
        conditional=False,
        exposure=None,
        exposure_sentence=None,
        recommendation=recommendation,
        recommendation_reason="r",
        evidence_source="src",
        evidence_last_used_at=None,
        evidence_window_start=None,
        evidence_window_end=None,
        evidence_bound=None,
        evidence_last_sign_in_at=None,
        evidence_observed_until=None,
        first_reviewer=reviewer,
        reviewer=reviewer,
        reviewer_source="owner",
        escalated_at=None,
        escalated_from=None,
        escalation_sent_at=None,
        escalation_reason=None,
        stage=1,
        status={"keep": "kept", "revoke": "revoked"}[effective.outcome] if effective else "pending",
        decision=effective.outcome if effective else None,
        decision_stage=1 if effective else None,
        justification=None,
        decided_at=effective.decided_at if effective else None,
        decided_via=effective.via if effective else None,
        decided_by=effective.decided_by if effective else None,
        on_behalf_of=None,
        decision_history=decisions,
        delivery_status=None,
        delivered_at=None,
        revocation_state=None,
        revocation_dry_run=None,
        revocation_dry_run_result=None,
        revocation_hold_reason=None,
        revocation_error=None,
        applied_at=None,
        read_back_at=None,
        verified_at=None,
        survived_at=None,
        surviving_path=None,
        undone_at=None,
        human_review_reason=None,
    )


def one(rows: list[EvidenceRow], who: str = ANA, within: int = 60) -> ReviewerQuality:
    report = reviewer_quality(rows, campaign_started_at=START, keep_all_within=within)
    return next(q for q in report.reviewers if q.reviewer == who)


def test_one_bulk_request_is_one_batch_however_long_it_took() -> None:
    minute = T0.replace(hour=10, minute=4, second=59)
    bulk = [
        decision(i, minute + timedelta(seconds=i), bulk="keep_all", request_key=f"T1:U1:bulk-7:{i}")
        for i in range(1, 4)
    ]
    assert {batch_key(d) for d in bulk} == {"bulk:T1:U1:bulk-7"}
    assert one([row(d.item_id, d) for d in bulk]).batch_sizes == (3,)


def test_other_decisions_batch_by_calendar_minute() -> None:
    at = T0.replace(hour=10, minute=4, second=59)
    decisions = [
        decision(1, at),  # 10:04:59
        decision(2, at + timedelta(seconds=1)),  # 10:05:00: the next minute
        decision(3, at + timedelta(seconds=60)),  # 10:05:59
        decision(4, at + timedelta(seconds=2), bulk="keep_all"),  # bulk without a request key: by minute
    ]
    quality = one([row(d.item_id, d) for d in decisions])
    assert quality.batch_sizes == (3, 1)
    assert (quality.batches, quality.largest_batch, quality.median_batch, quality.bulk_decisions) == (
        2,
        3,
        2,
        1,
    )


def test_time_to_decide_runs_from_delivery_or_else_from_the_campaign_start() -> None:
    delivered = decision(1, T0 + timedelta(hours=5), delivered_at=T0 + timedelta(hours=4))
    never = decision(2, T0 + timedelta(hours=2))  # the item never reached them
    quality = one([row(1, delivered), row(2, never)])
    assert quality.time_to_decide_max_seconds == 7_200.0  # from the start, not from nothing
    assert quality.time_to_decide_median_seconds == (3_600.0 + 7_200.0) / 2
    assert quality.first_delivered_at == T0 and quality.span_seconds == 18_000.0


def test_keeping_everything_fast_with_an_item_left_undecided_is_not_flagged() -> None:
    fast = decision(1, T0 + timedelta(seconds=5), delivered_at=T0)
    assert one([row(1, fast)]).kept_all_quickly is True
    assert one([row(1, fast), row(2)]).kept_all_quickly is False  # item 2 is still theirs, undecided
    revoke = decision(3, T0 + timedelta(seconds=6), delivered_at=T0, outcome="revoke")
    assert one([row(1, fast), row(3, revoke)]).kept_all_quickly is False
    assert one([row(1, fast)], within=5).kept_all_quickly is False  # 5 s is not under 5 s


def test_a_delegates_decision_counts_for_the_delegate_and_decides_the_reviewers_item() -> None:
    by_delegate = decision(1, T0 + timedelta(minutes=3), by=DEL, on_behalf_of=ANA, delivered_at=T0)
    rows = [row(1, by_delegate, reviewer=ANA)]
    ana, delegate = one(rows, ANA), one(rows, DEL)
    assert (ana.items_assigned, ana.undecided, ana.decisions) == (1, 0, 0)
    assert (delegate.items_assigned, delegate.decisions, delegate.time_to_decide_max_seconds) == (0, 1, 180.0)


def test_policy_decisions_and_superseded_clicks_count_for_nobody() -> None:
    policy = decision(1, T0 + timedelta(days=14), by="policy:q", via="policy")
    late = decision(2, T0 + timedelta(days=15), by=BEN, superseded=True)
    kept = decision(2, T0 + timedelta(days=1), by=ANA)
    report = reviewer_quality([row(1, policy), row(2, kept, late)], campaign_started_at=START)
    assert {q.reviewer for q in report.reviewers} == {ANA, BEN}
    ben = next(q for q in report.reviewers if q.reviewer == BEN)
    assert (ben.decisions, ben.superseded) == (0, 1)
    ana = next(q for q in report.reviewers if q.reviewer == ANA)
    assert (ana.decisions, ana.undecided, ana.share_kept, ana.share_recommended_keep) == (1, 1, 1.0, 1.0)


def test_revocations_are_grouped_by_fate_and_completion_by_who_decided() -> None:
    on_time = row(1, decision(1, T0 + timedelta(days=1)))
    late = row(2, decision(2, T0 + timedelta(days=20)))
    by_policy = row(3, decision(3, T0 + timedelta(days=14), by="policy:q", via="policy", outcome="revoke"))
    revoked = "revoked"  # the item status: decided revoke
    rows = [
        replace(on_time, status=revoked, revocation_state="held"),
        replace(late, status=revoked, revocation_state="failed_permanent"),
        replace(by_policy, status=revoked, revocation_state="verified", verified_at=T0),
        row(4),
        replace(row(5), status=revoked, revocation_state="survived", surviving_path="group:payroll-read-too"),
        replace(row(6), status=revoked, revocation_state="applied"),
    ]
    grouped = revocations(rows)
    assert [r.item_id for r in grouped["held"]] == [1]
    assert [r.item_id for r in grouped["failed"]] == [2]
    assert [r.item_id for r in grouped["revoked"]] == [3]  # only what a sync found gone
    assert [r.item_id for r in grouped["survived"]] == [5]
    assert [r.item_id for r in grouped["revoking"]] == [6]
    done = completion(rows, due_at=T0 + timedelta(days=14))
    assert (done.by_reviewer, done.on_time, done.late, done.by_policy, done.undecided) == (2, 1, 1, 1, 3)
