"""One source's sync: read its snapshot, apply it, and keep a trace either way.

Shared by `recertify sync` and the demo, each with its own clock. A read or an apply that fails is recorded
as a failed sync run (which stops campaigns and revocations relying on that source) and raised again. The
throttled answers the source gave during the read (Graph's 429 and 503, each waited out and retried) are
counted into the run, so an operator sees them in /metrics whichever process ran the sync.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from reviews.entitlements import Snapshot
from reviews.errors import RecertifyError
from reviews.inventory.apply import SyncSummary, apply_snapshot, record_failed_sync
from reviews.ports import Clock
from reviews.storage.db import session_scope


@dataclass
class ThrottleTally:
    """Handed to the connector as its `on_throttled` callback: counts each throttled answer."""

    count: int = 0

    def __call__(self, status: int) -> None:
        self.count += 1


def sync_source(
    source: str,
    read: Callable[[ThrottleTally], Snapshot],
    *,
    engine: Engine,
    clock: Clock,
    max_drop: float | None,
) -> SyncSummary:
    """`read(tally)` reads the source, reporting throttled answers to `tally`. `max_drop`: as apply_snapshot
    (None: an admin accepted a sharp drop)."""
    started, tally = clock.now(), ThrottleTally()
    try:
        snapshot = read(tally)
        with session_scope(engine) as session:
            return apply_snapshot(
                snapshot,
                session=session,
                clock=clock,
                started_at=started,
                max_drop=max_drop,
                throttled=tally.count,
            )
    except RecertifyError as exc:
        with session_scope(engine) as session:
            record_failed_sync(
                source, str(exc), session=session, clock=clock, started_at=started, throttled=tally.count
            )
        raise
