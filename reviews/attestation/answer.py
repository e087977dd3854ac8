"""The answer an attestation carries, and which audit events each of its rows rests on.

For a store on a day: who could access it that day (reviews.queries.access, the `access --at`
answer), through what, every review of that access (campaign, item, reviewer, decisions with their
justification) and every revocation of it (state and when). For a campaign: its evidence rows
(reviews.evidence, the `audit export` answer).

Each row names the event subjects it rests on (`Cite`); the bundle then lists those events and gives each
row the seqs of the events it cites, so a verifier can check that every row cites only events it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from reviews.actors import Actor
from reviews.clock import SystemClock
from reviews.errors import InvalidArgument
from reviews.evidence.collect import read_evidence
from reviews.ports import Clock
from reviews.queries.access import (
    access_row,
    access_window,
    effective_grants,
    known_access,
    store_ids,
)
from reviews.storage.models import Decision, Person, ReviewItem, Revocation, Store


@dataclass(frozen=True, slots=True)
class Cite:
    """Events a row rests on: those about `subjects`, and those about `store` whose payload names this
    principal and access level (a store's grant.opened/closed/path_changed events)."""

    subjects: frozenset[str] = frozenset()
    store: str | None = None  # "store:<provider id>"
    principal: str | None = None
    access: str | None = None

    def covers(self, subject: str, payload: dict[str, Any]) -> bool:
        if subject in self.subjects:
            return True
        return (
            subject == self.store
            and payload.get("principal") == self.principal
            and payload.get("access") == self.access
        )


@dataclass(frozen=True, slots=True)
class Answer:
    subject: dict[str, Any]
    rows: list[tuple[dict[str, Any], Cite]]
    subjects: frozenset[str]  # every event about one of these goes into the bundle
    notes: list[str] = field(default_factory=list)


def store_answer(session: Session, store: str, day: str, *, now: datetime) -> Answer:
    """Who could access `store` (a provider id or a name) on the UTC day `day` (YYYY-MM-DD)."""
    if len(day) != 10:
        raise InvalidArgument(f"--at {day!r}: an attestation is for a day, YYYY-MM-DD")
    start, end = access_window(day, now=now)
    notes = known_access(session, end=end, at=day)
    grants = effective_grants(session=session, start=start, end=end, store=store)
    items = _by_grant(session, ReviewItem, [g.id for g, _, _ in grants])
    revocations = _by_grant(session, Revocation, [g.id for g, _, _ in grants])
    all_items = [item for listed in items.values() for item in listed]
    decisions = _decisions(session, [item.id for item in all_items if item.id is not None])
    emails = _emails(session, all_items, decisions)
    rows: list[tuple[dict[str, Any], Cite]] = []
    subjects: set[str] = set()
    stores: dict[str, str] = {}
    for grant, store_row, principal in grants:
        assert grant.id is not None  # noqa: S101  (read from the database)
        stores[store_row.provider_id] = store_row.name
        its_items, its_revocations = items.get(grant.id, []), revocations.get(grant.id, [])
        row = access_row(grant, store_row, principal).as_json()
        row["grant"] = grant.id
        row["reviews"] = [_review(item, decisions.get(item.id or 0, []), emails) for item in its_items]
        row["revocations"] = [_revocation(r) for r in its_revocations]
        cited = {f"grant:{grant.id}"}
        cited |= {f"item:{item.id}" for item in its_items} | {f"campaign:{i.campaign_id}" for i in its_items}
        cited |= {f"revocation:{r.id}" for r in its_revocations}
        subjects |= cited | {f"store:{store_row.provider_id}"}
        cite = Cite(frozenset(cited), f"store:{store_row.provider_id}", principal.provider_id, grant.access)
        rows.append((row, cite))
    if not grants:  # nobody could: the store's own events still show what it was that day
        for provider_id in _store_provider_ids(session, store):
            subjects.add(f"store:{provider_id}")
    subject: dict[str, Any] = {"store": store, "at": day, "from": start.isoformat(), "until": end.isoformat()}
    if stores:
        subject["stores"] = [{"id": i, "name": n} for i, n in sorted(stores.items())]
    return Answer(subject, rows, frozenset(subjects), notes)


def campaign_answer(engine: Engine, actor: Actor, campaign_id: int, *, clock: Clock | None = None) -> Answer:
    """A campaign's evidence rows: every item, its reviewer and decisions, its revocation."""
    evidence = read_evidence(engine, actor, campaign_id, clock=clock or SystemClock())
    with Session(engine) as session:
        revocation_ids = dict(
            session.exec(
                select(Revocation.review_item_id, Revocation.id).where(
                    col(Revocation.campaign_id) == campaign_id
                )
            ).all()
        )
    rows: list[tuple[dict[str, Any], Cite]] = []
    subjects = {f"campaign:{campaign_id}"}
    for evidence_row in evidence.rows:
        cited = {f"campaign:{campaign_id}", f"item:{evidence_row.item_id}"}
        revocation = revocation_ids.get(evidence_row.item_id)
        if revocation is not None:
            cited.add(f"revocation:{revocation}")
        subjects |= cited
        rows.append((evidence_row.as_json(), Cite(frozenset(cited))))
    return Answer({"campaign": campaign_id, **evidence.campaign.as_json()}, rows, frozenset(subjects))


def _by_grant(session: Session, model: Any, grant_ids: list[int | None]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    wanted = [i for i in grant_ids if i is not None]
    for row in session.exec(select(model).where(col(model.grant_id).in_(wanted)).order_by(col(model.id))):
        found.setdefault(row.grant_id, []).append(row)
    return found


def _decisions(session: Session, item_ids: list[int]) -> dict[int, list[Decision]]:
    found: dict[int, list[Decision]] = {}
    query = (
        select(Decision)
        .where(col(Decision.review_item_id).in_(item_ids), col(Decision.superseded).is_(False))
        .order_by(col(Decision.decided_at), col(Decision.id))
    )
    for decision in session.exec(query):
        found.setdefault(decision.review_item_id, []).append(decision)
    return found


def _emails(
    session: Session, items: list[ReviewItem], decisions: dict[int, list[Decision]]
) -> dict[int, str]:
    ids = {item.reviewer_person_id for item in items}
    for listed in decisions.values():
        ids |= {d.decided_by_person_id for d in listed} | {d.on_behalf_of_person_id for d in listed}
    wanted = [i for i in ids if i is not None]
    query = select(Person.id, Person.email).where(col(Person.id).in_(wanted))
    return {i: email for i, email in session.exec(query).all() if i is not None}


def _review(item: ReviewItem, decisions: list[Decision], emails: dict[int, str]) -> dict[str, Any]:
    return {
        "campaign": item.campaign_id,
        "item": item.id,
        "reviewer": emails.get(item.reviewer_person_id or 0),
        "status": item.status,
        "decided_at": _iso(item.decided_at),
        "decisions": [
            {
                "outcome": d.outcome,
                "by": emails.get(d.decided_by_person_id or 0),
                "on_behalf_of": emails.get(d.on_behalf_of_person_id or 0),
                "at": _iso(d.decided_at),
                "via": d.via,
                "justification": d.justification,
            }
            for d in decisions
        ],
    }


def _revocation(revocation: Revocation) -> dict[str, Any]:
    return {
        "id": revocation.id,
        "state": revocation.state,
        "dry_run": revocation.dry_run,
        "hold_reason": revocation.hold_reason,
        "approved_by": revocation.approved_by,
        "planned_at": _iso(revocation.planned_at),
        "approved_at": _iso(revocation.approved_at),
        "applied_at": _iso(revocation.applied_at),
        "verified_at": _iso(revocation.verified_at),
        "survived_at": _iso(revocation.survived_at),
        "undone_at": _iso(revocation.undone_at),
    }


def _store_provider_ids(session: Session, store: str) -> list[str]:
    ids = store_ids(session, store)
    return list(session.exec(select(Store.provider_id).where(col(Store.id).in_(ids))).all())


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
