"""One replica for the two-process takeover test: Leadership and the scheduler on a PostgreSQL database, an
interval job every 0.5 s writing (holder, time) rows. `python -m tests.scheduler.worker URL HOLDER`; stops on
SIGTERM, or dies on SIGKILL like a crashed replica."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from datetime import timedelta

from reviews.storage.db import create_db_engine
from scheduler import Leadership, ScheduledJob, build_scheduler

TICK = ScheduledJob("tick", "tests.scheduler.targets:record", {"label": "tick"}, every=timedelta(seconds=0.5))


def main(url: str, holder: str) -> None:
    logging.basicConfig(level=logging.INFO, format=f"{holder} %(asctime)s %(name)s %(message)s")
    engine = create_db_engine(url)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    scheduler = build_scheduler(
        engine,
        jobs=[TICK],
        leadership=Leadership(engine, holder=holder),
        poll_interval=timedelta(seconds=0.5),
    )
    scheduler.start()  # decides at once whether this replica leads
    logging.getLogger(__name__).info("started, leading: %s", scheduler.leading)
    stop.wait()
    scheduler.shutdown()
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
