"""History and every evidence export tell what the audit chain recorded, event by event (issue 16 item 1).

One campaign walks every path: decided by the owner, decided by a delegate, escalated after silence,
silent (decided by the cycle's policy), protected (refused), held over the blast radius and approved, applied,
undone, verified. The expected history is derived from the chain itself — every event about the campaign's
items, its messages (per item they listed), its revocations and the grants it reviewed, in chain order — and
each entry must carry what its event recorded (who, from whom to whom, why), never a later state. The CSV,
JSON and HTML exports must hold the same entries.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from reviews.actors import Actor, cli_operator
from reviews.campaigns.decide import record_decision
from reviews.campaigns.delegation import delegate
from reviews.campaigns.notify import advance_notifications
from reviews.enforcement.outbox import undo
from reviews.evidence.export import ExportFormat, export_campaign
from reviews.queries.history import HistoryEntry, HistoryFilter, history
from reviews.storage.models import (
    AuditEvent,
    Campaign,
    DecidedVia,
    DecisionOutcome,
    Person,
    ReviewItem,
    Revocation,
)
from tests.campaigns.test_enforce import LIVE, Loop, arn
from tests.campaigns.world import FALLBACK, RecordingNotifier, email
from tests.evidence.test_export import parse_html

CASES = "arn:aws:s3:::cases"

# What each kind of event is called in history: the contract an auditor reads (README "Audit history").
NAMES = {
    "grant.opened": "granted",
    "grant.closed": "access_ended",
    "item.opened": "review_opened",
    "notification.digest": "asked",
    "notification.reminder": "reminded",
    "notification.escalation": "escalation_sent",
    "item.escalated": "escalated",
    "decision.recorded": "decided",
    "item.closed_without_response": "decided",
    "revocation.planned": "revocation_planned",
    "revocation.held": "revocation_held",
    "revocation.refused": "revocation_refused",
    "revocation.approved": "revocation_approved",
    "revocation.claimed": "revocation_claimed",
    "revocation.applied": "revocation_applied",
    "revocation.read_back": "revocation_read_back",
    "revocation.verified": "revocation_verified",
    "revocation.undo_started": "revocation_undo_started",
    "revocation.undone": "revocation_undone",
}


@dataclass
class Walked:
    loop: Loop
    campaign: Campaign
    items: dict[str, int]  # holder name → item id (olu holds two: read, and admin)
    people: dict[int, str]  # person id → email


@pytest.fixture
def walked(session: Session, engine: Engine) -> Walked:
    """payroll (owner olu): olu keeps u00; olu's delegate dee revokes u01; u02-u04 and break-glass-1 stay
    silent (the policy revokes; break-glass-1 is protected, the other three are held over the blast radius).
    cases (owner pat): pat stays silent on u05 and is escalated to the fallback, who stays silent too.
    The fallback keeps olu's own access. Everything is approved and applied; u01's revocation is undone."""
    loop = Loop.with_readers(session, engine, 5)
    loop.provider.add_store(CASES, name="cases", owners=(email("pat"),))
    loop.provider.add_group("g-cases", store_provider_id=CASES, name="cases-read")
    loop.provider.add_principal(
        arn("u05"), email=email("u05"), last_used=loop.clock.now() - timedelta(days=200)
    )
    loop.provider.add_member("g-cases", arn("u05"))
    loop.sync()
    campaign = loop.start(on_no_response="revoke", escalate_after_days=3)
    items = {i.frozen_grant["principal"]["name"]: i.id for i in loop.items(campaign) if i.id is not None}
    notifier = RecordingNotifier()

    def tick() -> None:
        advance_notifications(session, notifier, clock=loop.clock)
        session.commit()

    tick()  # digests: olu, pat, and the fallback (for olu's own access)
    loop.clock.advance(timedelta(hours=1))
    loop.owner_decides(campaign, "u00", DecisionOutcome.KEEP, "runs payroll", via=DecidedVia.SLACK)
    olu = session.exec(select(Person).where(Person.email == email("olu"))).one()
    dee = Person(email=email("dee"), first_seen_at=loop.clock.now(), updated_at=loop.clock.now())
    session.add(dee)
    session.commit()
    assert olu.id is not None and dee.id is not None
    now = loop.clock.now()
    delegate(
        session,
        person_id=olu.id,
        delegate_person_id=dee.id,
        valid_from=now,
        valid_to=now + timedelta(days=2),
        actor=Actor("slack:olu", person_id=olu.id),
        clock=loop.clock,
    )
    session.commit()
    record_decision(
        engine,
        item_id=items["u01"],
        outcome=DecisionOutcome.REVOKE,
        actor=Actor("slack:dee", person_id=dee.id),
        via=DecidedVia.SLACK,
        clock=loop.clock,
        justification="left the team",
    )
    loop.fallback_keeps(campaign, "olu")
    for day in (4, 7, 11, 13):  # pat silent 3 days: escalated; then the reminders 7, 3 and 1 days before
        loop.clock.advance(timedelta(days=day) - (loop.clock.now() - campaign.started_at))
        tick()
    loop.close(campaign)
    loop.plan(campaign, blast_radius_count=2)
    loop.approve(campaign)
    loop.execute()
    undone = session.exec(select(Revocation).where(Revocation.review_item_id == items["u01"])).one()
    assert undone.id is not None
    undo(engine, undone.id, {"aws": loop.connector}, actor=cli_operator(), clock=loop.clock, settings=LIVE)
    loop.clock.advance(timedelta(hours=1))
    loop.sync()
    people = {p.id: p.email for p in session.exec(select(Person)).all() if p.id is not None}
    return Walked(loop, campaign, items, people)


def _chain(session: Session) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all())


def expected_from_chain(session: Session, walked: Walked) -> list[tuple[int, str, int | None]]:
    """(seq, event, item) for every event about the campaign, derived from the chain alone."""
    items = {i.id for i in walked.loop.items(walked.campaign)}
    campaign = f"campaign:{walked.campaign.id}"
    revocations = {
        f"revocation:{r.id}": r.review_item_id
        for r in session.exec(select(Revocation).where(Revocation.campaign_id == walked.campaign.id)).all()
    }
    reviewed = {
        (i.frozen_grant["store"]["id"], i.frozen_grant["principal"]["id"], i.frozen_grant["access"]): i.id
        for i in session.exec(select(ReviewItem).where(ReviewItem.campaign_id == walked.campaign.id)).all()
    }
    expected: list[tuple[int, str, int | None]] = []
    for event in _chain(session):
        kind, subject, payload = event.kind, event.subject, event.payload
        if subject.startswith("item:") and int(subject[5:]) in items:
            expected.append((event.seq, NAMES[kind], int(subject[5:])))
        elif subject in revocations:
            expected.append((event.seq, NAMES[kind], revocations[subject]))
        elif subject == campaign and kind.startswith("notification."):
            expected += [
                (event.seq, NAMES[kind], i)
                for i in sorted(payload["item_ids"], key=payload["item_ids"].index)
            ]
        elif kind.startswith("grant.") and subject.startswith("store:"):
            key = (subject[6:], payload["principal"], payload["access"])
            if key in reviewed and event.occurred_at <= walked.campaign.started_at:
                expected.append((event.seq, NAMES[kind], None))
            elif key in reviewed and kind == "grant.closed":
                expected.append((event.seq, NAMES[kind], None))
    return expected


def test_history_is_the_chain_told_event_by_event(walked: Walked, session: Session) -> None:
    entries = history(session, cli_operator(), HistoryFilter(campaign=walked.campaign.id))
    assert [(e.seq, e.event, e.item) for e in entries] == expected_from_chain(session, walked)
    told = {e.event for e in entries}
    # Every path was walked, and told.
    assert told >= {
        "granted", "review_opened", "asked", "reminded", "escalated", "escalation_sent", "decided",
        "revocation_planned", "revocation_held", "revocation_refused", "revocation_approved",
        "revocation_applied", "revocation_read_back", "revocation_undone", "revocation_verified",
        "access_ended",
    }  # fmt: skip
    events = {e.seq: e for e in _chain(session)}
    for entry in entries:
        _says_what_the_event_recorded(entry, events[entry.seq], walked.people)


def _says_what_the_event_recorded(entry: HistoryEntry, event: AuditEvent, people: dict[int, str]) -> None:
    """Each entry carries its own event's facts: who, from whom to whom, why; nothing from a later state."""
    p: dict[str, Any] = event.payload
    assert entry.at == event.occurred_at
    if event.kind == "item.opened":
        assert f"reviewer {people[p['reviewer']]}" in entry.detail
    elif event.kind.startswith("notification."):
        assert people[p["person"]] in entry.detail and "delivered" in entry.detail
        if p["reviewer"] != p["person"]:
            assert f"delegate of {people[p['reviewer']]}" in entry.detail
    elif event.kind == "item.escalated":
        assert f"from {people[p['from']]} to {people[p['to']]}" in entry.detail
    elif event.kind == "decision.recorded":
        assert entry.actor == people[p["by"]]
        assert entry.detail.startswith(f"{p['outcome']} via {p['via']}")
        if p["on_behalf_of"] is not None:
            assert f"as delegate of {people[p['on_behalf_of']]}" in entry.detail
        if p["justification"]:
            assert p["justification"] in entry.detail
    elif event.kind == "item.closed_without_response":
        assert entry.actor == event.actor and p["reason"] in entry.detail
    elif event.kind in ("revocation.held", "revocation.refused"):
        assert (p.get("hold_reason") or p.get("reason")) in entry.detail
    elif event.kind == "revocation.approved":
        assert entry.actor == event.actor
        assert entry.detail.startswith(f"approved from {p['was']}")
        assert ("it was held" in entry.detail) == (p["was"] == "held")
    elif event.kind == "revocation.planned":
        assert entry.detail.startswith(p["action"])
    for later in ("verified", "undone", "state now"):  # a state reached afterwards is never told here
        if later not in event.kind:
            assert later not in entry.detail, (entry, event.kind)


def test_the_silent_owner_is_named_and_the_fallback_is_not_credited_from_the_start(
    walked: Walked, session: Session
) -> None:
    u05 = walked.items["u05"]
    told = [
        e
        for e in history(session, cli_operator(), HistoryFilter(campaign=walked.campaign.id))
        if e.item == u05
    ]
    opened = next(e for e in told if e.event == "review_opened")
    assert opened.detail.startswith(f"reviewer {email('pat')} (owner)")
    escalated = next(e for e in told if e.event == "escalated")
    assert escalated.detail == f"from {email('pat')} to {FALLBACK}: silent 3 days after delivery"
    assert escalated.actor == "system:notifier"
    asked = [(e.event, e.detail) for e in told if e.event in ("asked", "escalation_sent", "reminded")]
    assert asked[0] == ("asked", f"digest delivered to {email('pat')}")
    assert ("escalation_sent", f"escalation delivered to {FALLBACK}") in asked
    pats = history(session, cli_operator(), HistoryFilter(reviewer=email("pat")))
    assert {e.item for e in pats} == {u05}  # asked first, though the item's reviewer is now the fallback


def test_a_delegate_s_decision_and_the_message_to_the_delegate_are_told_as_such(
    walked: Walked, session: Session
) -> None:
    u01 = walked.items["u01"]
    told = [
        e
        for e in history(session, cli_operator(), HistoryFilter(campaign=walked.campaign.id))
        if e.item == u01
    ]
    decided = next(e for e in told if e.event == "decided")
    assert decided.actor == email("dee")
    assert decided.detail == f"revoke via slack, stage 1, as delegate of {email('olu')}: left the team"
    assert [e.event for e in told] == [
        "review_opened",
        "asked",  # olu's digest: the delegation began after it
        "decided",
        "revocation_planned",  # a reviewer's decision: not held
        "revocation_approved",
        "revocation_claimed",
        "revocation_applied",
        "revocation_read_back",
        "revocation_undo_started",
        "revocation_undone",  # the access is back: the next sync closes nothing, verifies nothing
    ]


def _export(walked: Walked, out: Path) -> None:
    assert walked.campaign.id is not None
    export_campaign(
        walked.loop.engine,
        cli_operator(),
        walked.campaign.id,
        formats=list(ExportFormat),
        out_dir=out,
        clock=walked.loop.clock,
    )


def _rows(entries: list[HistoryEntry]) -> Iterator[tuple[str, ...]]:
    for e in entries:
        yield (str(e.seq), e.event, "" if e.item is None else str(e.item), e.actor, e.detail)


def test_the_csv_json_and_html_exports_hold_the_same_history(
    walked: Walked, session: Session, tmp_path: Path
) -> None:
    entries = history(session, cli_operator(), HistoryFilter(campaign=walked.campaign.id))
    expected = list(_rows(entries))
    _export(walked, tmp_path)
    cid = walked.campaign.id
    body = json.loads((tmp_path / f"campaign-{cid}-evidence.json").read_text())
    assert [
        (str(h["seq"]), h["event"], "" if h["item"] is None else str(h["item"]), h["actor"], h["detail"])
        for h in body["history"]
    ] == expected
    table = list(csv.DictReader(io.StringIO((tmp_path / f"campaign-{cid}-history.csv").read_text())))
    assert [(r["seq"], r["event"], r["item"], r["actor"], r["detail"]) for r in table] == expected
    _text, cells = parse_html(tmp_path, cid)
    html = [row for row in cells.sections["history"] if row]
    assert [(r[0], r[2], "" if r[3] == "–" else r[3], r[6], r[7]) for r in html] == expected
    by_item = {row["item_id"]: row for row in body["items"]}
    u05 = by_item[walked.items["u05"]]
    assert (u05["first_reviewer"], u05["reviewer"]) == (email("pat"), FALLBACK)
    assert u05["escalated_from"] == email("pat")
    quality = {q["reviewer"]: q for q in body["reviewer_quality"]["reviewers"]}
    # The silent owner is named (asked first, escalated away), and not charged as the fallback's reviewer.
    assert (quality[email("pat")]["items_assigned"], quality[email("pat")]["moved_away"]) == (0, 1)
    assert quality[FALLBACK]["moved_away"] == 0
