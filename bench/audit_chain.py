"""Audit chain speed: append N events in one transaction, then verify the whole chain.

    .venv/bin/python -m bench.audit_chain                       # SQLite in a temporary directory
    .venv/bin/python -m bench.audit_chain --url postgresql+psycopg://postgres@127.0.0.1:5432/bench_audit

Target (issue "Foundation"): 10,000 events appended in one transaction in under 5 s on SQLite. The given
PostgreSQL database must exist and be empty; the benchmark migrates it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from reviews import audit
from reviews.clock import SystemClock
from reviews.storage.db import create_db_engine, session_scope, upgrade


def run(url: str, events: int) -> None:
    engine = create_db_engine(url)
    upgrade(engine)
    batch = [
        audit.NewEvent(
            "system:bench",
            "grant.opened",
            f"store:arn:aws:s3:::bucket-{i % 50}",
            {
                "principal": f"arn:aws:iam::111122223333:user/u{i}",
                "access": "read",
                "path": [{"kind": "policy", "id": "p", "name": "ReadAll"}],
            },
        )
        for i in range(events)
    ]
    started = time.perf_counter()
    with session_scope(engine) as session:
        head = audit.append_many(session, batch, clock=SystemClock())
    appended = time.perf_counter() - started
    started = time.perf_counter()
    with session_scope(engine) as session:
        verified = audit.verify(session)
    checked = time.perf_counter() - started
    engine.dispose()
    assert verified == head
    print(
        f"{engine.dialect.name}: appended {events:,} events in one transaction in {appended:.2f} s "
        f"({events / appended:,.0f}/s); verified {verified.seq:,} in {checked:.2f} s "
        f"({verified.seq / checked:,.0f}/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    if args.url:
        run(args.url, args.events)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", args.events)


if __name__ == "__main__":
    main()
