"""Appends audit events one transaction at a time, from its own process (test_audit_concurrency)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from reviews import audit
from reviews.clock import SystemClock
from reviews.storage.db import create_db_engine, session_scope


def main(url: str, label: str, count: int, start_flag: str) -> None:
    engine = create_db_engine(url)
    Path(f"{start_flag}.{label}.ready").touch()
    deadline = time.monotonic() + 30
    while not Path(start_flag).exists():  # both processes start appending together
        if time.monotonic() > deadline:
            raise SystemExit("start flag never appeared")
        time.sleep(0.01)
    for i in range(count):
        with session_scope(engine) as session:
            audit.append(
                session, audit.NewEvent(f"test:{label}", "test.appended", f"{label}:{i}"), clock=SystemClock()
            )
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
