"""Review cycles as code: validate files, apply them as new versions, list what is in force, read back the
version a campaign runs under.

A cycle's version changes only when what it says changes: the SHA-256 of its canonical JSON (every field,
defaults included, keys sorted) is compared with the latest stored version, so applying the same files
twice records nothing new. An apply is all or nothing: the caller's transaction holds every new version and
its audit event, and files are validated completely before anything is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import and_, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from reviews import audit
from reviews.actors import Actor
from reviews.cycles.definition import CycleDefinition
from reviews.cycles.files import load_cycle_files
from reviews.cycles.references import References
from reviews.errors import InvalidArgument, NotAuthorized, NotFound, RecertifyError
from reviews.ports import Clock
from reviews.storage.models import Campaign, ReviewCycle


class ApplyOutcome(StrEnum):
    CREATED = "created"  # the first version of a new cycle
    UPDATED = "updated"  # a new version: the definition changed
    UNCHANGED = "unchanged"  # same hash as the latest version: nothing written


@dataclass(frozen=True, slots=True)
class AppliedCycle:
    name: str
    version: int  # the version in force after the apply
    sha256: str
    outcome: ApplyOutcome


@dataclass(frozen=True, slots=True)
class CycleSummary:
    name: str
    version: int
    applied_at: datetime
    applied_by: str
    sha256: str
    schedule: str  # "0 9 1-7 */3 mon (Europe/London)" or "by hand only"
    next_start: datetime | None  # None: no schedule, or one that never fires again

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "applied_at": self.applied_at.isoformat(),
            "applied_by": self.applied_by,
            "sha256": self.sha256,
            "schedule": self.schedule,
            "next_start": self.next_start.isoformat() if self.next_start else None,
        }


def validate_files(
    paths: Iterable[Path | str], references: References | None = None
) -> list[CycleDefinition]:
    """Every cycle the files define, or ConfigurationError naming every problem, what they name from the
    configuration (`references`) included. No side effects."""
    return load_cycle_files(paths, references)


def canonical_json(definition: CycleDefinition) -> str:
    return json.dumps(
        definition.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def definition_sha256(definition: CycleDefinition) -> str:
    return hashlib.sha256(canonical_json(definition).encode("utf-8")).hexdigest()


def apply_cycles(
    session: Session, definitions: Sequence[CycleDefinition], *, actor: Actor, clock: Clock
) -> list[AppliedCycle]:
    """Store a new version of each changed cycle, with its audit event, in the caller's transaction."""
    if not actor.is_admin:
        raise NotAuthorized(f"{actor.id} may not define review cycles: only admins may")
    names = [definition.name for definition in definitions]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise InvalidArgument(f"cycle {', '.join(twice)} is given more than once in one apply")
    latest = _latest_rows(session, names)
    now, results, events = clock.now(), [], []
    for definition in definitions:
        sha, current = definition_sha256(definition), latest.get(definition.name)
        if current is not None and current.definition_sha256 == sha:
            results.append(AppliedCycle(definition.name, current.version, sha, ApplyOutcome.UNCHANGED))
            continue
        version = 1 if current is None else current.version + 1
        session.add(
            ReviewCycle(
                name=definition.name,
                version=version,
                definition=definition.model_dump(mode="json"),
                definition_sha256=sha,
                applied_at=now,
                applied_by=actor.id,
            )
        )
        outcome = ApplyOutcome.CREATED if current is None else ApplyOutcome.UPDATED
        results.append(AppliedCycle(definition.name, version, sha, outcome))
        events.append(
            audit.NewEvent(
                actor.id,
                "cycle.applied",
                f"cycle:{definition.name}",
                {
                    "version": version,
                    "sha256": sha,
                    "previous_sha256": current.definition_sha256 if current else None,
                },
            )
        )
    try:
        session.flush()
    except IntegrityError:
        raise RecertifyError(
            "another apply of the same cycles ran at the same time; nothing was applied: run it again"
        ) from None
    if events:
        audit.append_many(session, events, clock=clock)
    return results


def list_cycles(session: Session, *, clock: Clock) -> list[CycleSummary]:
    """The latest version of each cycle, by name, with its next scheduled start."""
    now, summaries = clock.now(), []
    for row in _latest_rows(session, None).values():
        definition = CycleDefinition.model_validate(row.definition)
        summaries.append(
            CycleSummary(
                name=row.name,
                version=row.version,
                applied_at=row.applied_at,
                applied_by=row.applied_by,
                sha256=row.definition_sha256,
                schedule=describe_schedule(definition),
                next_start=next_start(definition, now),
            )
        )
    return summaries


def latest_cycle(session: Session, name: str) -> tuple[ReviewCycle, CycleDefinition]:
    """The version of a cycle in force; NotFound lists the cycles that exist."""
    row = _latest_rows(session, [name]).get(name)
    if row is None:
        known = session.exec(select(ReviewCycle.name).distinct().order_by(col(ReviewCycle.name))).all()
        hint = f"known: {', '.join(known)}" if known else "none applied yet: `recertify cycles apply FILE`"
        raise NotFound(f"no review cycle named {name!r} ({hint})")
    return row, CycleDefinition.model_validate(row.definition)


def cycle_definition(session: Session, campaign: Campaign) -> CycleDefinition:
    """The cycle version the campaign was started under (a later version applies to later campaigns only)."""
    cycle = session.get(ReviewCycle, campaign.cycle_id)
    assert cycle is not None  # noqa: S101  (foreign key)
    return CycleDefinition.model_validate(cycle.definition)


def describe_schedule(definition: CycleDefinition) -> str:
    if definition.schedule is None:
        return "by hand only"
    return f"{definition.schedule.cron} ({definition.schedule.timezone})"


def next_start(definition: CycleDefinition, now: datetime) -> datetime | None:
    """The first scheduled start after `now`, in the cycle's time zone."""
    if definition.schedule is None:
        return None
    fire: datetime | None = definition.schedule.trigger().get_next_fire_time(None, now)
    return fire


def _latest_rows(session: Session, names: Sequence[str] | None) -> dict[str, ReviewCycle]:
    newest = select(ReviewCycle.name, func.max(ReviewCycle.version).label("version")).group_by(
        col(ReviewCycle.name)
    )
    if names is not None:
        newest = newest.where(col(ReviewCycle.name).in_(names))
    latest = newest.subquery()
    rows = session.exec(
        select(ReviewCycle)
        .join(
            latest, and_(col(ReviewCycle.name) == latest.c.name, col(ReviewCycle.version) == latest.c.version)
        )
        .order_by(col(ReviewCycle.name))
    ).all()
    return {row.name: row for row in rows}
