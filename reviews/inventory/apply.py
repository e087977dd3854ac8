"""Apply a complete snapshot of one system: people, stores, principals and effective grants. This module is
the order of it, in one transaction: the rows (upsert.py), the grants' intervals (grant_intervals.py), what
the sync proves about revoked access (settle.py), then one audit append for it all.

Grants are kept as validity intervals: a grant seen for the first time opens an interval, a grant no longer
in the snapshot closes it, a re-grant opens a new one. "Who could read X on date D" is then a query over
intervals, never a reconstruction. Every opened and closed interval is an audit event, and the sync's
summary event carries a hash of the whole population so the grant table is tied to the chain.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from reviews import audit
from reviews.entitlements import Grant, Snapshot
from reviews.inventory.actor import ACTOR
from reviews.inventory.grant_intervals import reconcile_grants
from reviews.inventory.population_sanity import check_population, refuse_personless_links
from reviews.inventory.settle import reappeared_after_revocation, settle_revocations
from reviews.inventory.upsert import upsert_people, upsert_principals, upsert_stores
from reviews.ports import Clock
from reviews.storage.models import SyncRun, SyncStatus


@dataclass(frozen=True, slots=True)
class SyncSummary:
    sync_run_id: int
    stores: int
    principals: int
    grants: int
    opened: int
    closed: int
    changed: int
    population_sha256: str
    unmatched: int = 0
    notes: tuple[str, ...] = ()
    throttled: int = 0  # answers the source throttled during the read (Graph), each waited out
    revocations_verified: int = 0  # read-back revocations whose access this sync found gone
    revocations_survived: int = 0  # … and those it still found by some path


def apply_snapshot(
    snapshot: Snapshot,
    *,
    session: Session,
    clock: Clock,
    started_at: datetime | None = None,
    max_drop: float | None = None,
    throttled: int = 0,
) -> SyncSummary:
    """`max_drop`: refuse (PopulationDropped, nothing written) a population that fell by more than this
    share; None skips the check (an admin accepted the drop). `throttled`: the answers the source throttled
    during the read (counted in the run when there were any)."""
    refuse_personless_links(snapshot)
    if max_drop is not None:
        check_population(session, snapshot, max_drop=max_drop)
    now = clock.now()
    run = SyncRun(source=snapshot.system, started_at=started_at or now)
    session.add(run)
    session.flush()
    assert run.id is not None  # noqa: S101  (flushed)
    people = upsert_people(session, snapshot.people, now)
    stores = upsert_stores(session, snapshot, now)
    principals = upsert_principals(session, snapshot, people, now)
    events, opened, closed, changed = reconcile_grants(session, snapshot, stores, principals, run.id, now)
    events += reappeared_after_revocation(session, run.id)
    settled = settle_revocations(session, run, now)
    events += settled
    population = population_sha256(snapshot.grants)
    run.finished_at = clock.now()
    run.status = SyncStatus.SUCCEEDED
    run.counts = {
        "stores": len(snapshot.stores),
        "principals": len(snapshot.principals),
        "grants": len(snapshot.grants),
        "opened": opened,
        "closed": closed,
        "changed": changed,
        "unmatched_principals": len(snapshot.unmatched),
        **_throttled(throttled),
        **{f"read_{name}": n for name, n in snapshot.counts.items()},
    }
    events.append(
        audit.NewEvent(
            ACTOR,
            "sync.applied",
            f"system:{snapshot.system}",
            {
                **run.counts,
                "sync_run": run.id,
                "population_sha256": population,
                "notes": list(snapshot.notes),
            },
        )
    )
    audit.append_many(session, events, clock=clock)
    return SyncSummary(
        run.id,
        len(snapshot.stores),
        len(snapshot.principals),
        len(snapshot.grants),
        opened,
        closed,
        changed,
        population,
        len(snapshot.unmatched),
        snapshot.notes,
        throttled,
        sum(e.kind == "revocation.verified" for e in settled),
        sum(e.kind == "revocation.survived" for e in settled),
    )


def record_failed_sync(
    system: str, error: str, *, session: Session, clock: Clock, started_at: datetime, throttled: int = 0
) -> int:
    """A read that did not finish leaves a trace (and stops later campaigns relying on it), never rows."""
    run = SyncRun(
        source=system,
        started_at=started_at,
        finished_at=clock.now(),
        status=SyncStatus.FAILED,
        counts=_throttled(throttled),
        error=error,
    )
    session.add(run)
    session.flush()
    assert run.id is not None  # noqa: S101
    audit.append(
        session,
        audit.NewEvent(
            ACTOR, "sync.failed", f"system:{system}", {"error": error, "sync_run": run.id, **run.counts}
        ),
        clock=clock,
    )
    return run.id


def population_sha256(grants: tuple[Grant, ...]) -> str:
    """Order-independent fingerprint of who holds what."""
    lines = sorted(f"{g.store_provider_id}\t{g.principal_provider_id}\t{g.access}" for g in grants)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _throttled(count: int) -> dict[str, int]:
    """Only sources that report throttling (Graph) ever count any: AWS's retries stay inside botocore."""
    return {"throttled": count} if count else {}
