"""A revocation worker in its own process, for test_outbox_crash, which kill -9s it at random moments.

    python -m tests.outbox_worker DB_URL PROVIDER_FILE --ready FILE [--claim-timeout S] [--delay S]

Runs `execute` in live mode with a FakeConnector on the file-backed provider and the real clock, again
and again, until no revocation is left unfinished (claims left by a killed predecessor expire after
`--claim-timeout` seconds and are taken over). Touches `--ready` just before it starts, so the test can
time its kill from there rather than from interpreter start-up. Exit 0: all done; 1: gave up (timeout).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, and_, or_
from sqlmodel import Session, col, func, select

from reviews.clock import SystemClock
from reviews.enforcement.outbox import execute
from reviews.enforcement.settings import EnforcementSettings
from reviews.entitlements import System
from reviews.ports import Connector
from reviews.storage.db import create_db_engine
from reviews.storage.models import Revocation, RevocationState
from tests.fakes.provider import FakeConnector, FakeProvider

S = RevocationState


def unfinished(engine: Engine) -> int:
    """Revocations that still need a worker: not yet executed, claimed, retrying, or applied and not read
    back."""
    with Session(engine) as session:
        return session.exec(
            select(func.count()).where(
                or_(
                    col(Revocation.state).in_([S.APPROVED, S.CLAIMED, S.FAILED_RETRYABLE]),
                    and_(
                        col(Revocation.state).in_([S.APPLIED, S.ALREADY_ABSENT]),
                        col(Revocation.read_back_at).is_(None),
                    ),
                )
            )
        ).one()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("provider")
    parser.add_argument("--ready", required=True)
    parser.add_argument("--claim-timeout", type=float, default=0.5)
    parser.add_argument("--delay", type=float, default=0.004)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)

    engine = create_db_engine(args.url)
    connectors: dict[str, Connector] = {
        System.AWS: FakeConnector(FakeProvider(args.provider, delay=args.delay), system=System.AWS)
    }
    settings = EnforcementSettings(
        mode="live",
        claim_timeout_seconds=args.claim_timeout,
        max_attempts=50,  # many kills may land on one row; none of them is the row's fault
        retry_base_seconds=0.05,
        retry_max_seconds=0.2,
    )
    worker = f"pid-{os.getpid()}"
    Path(args.ready).touch()
    deadline = time.monotonic() + args.timeout
    while True:
        execute(engine, connectors, settings=settings, clock=SystemClock(), worker=worker)
        left = unfinished(engine)
        if left == 0:
            return 0
        if time.monotonic() > deadline:
            sys.stderr.write(f"{worker}: {left} revocations still unfinished after {args.timeout} s\n")
            return 1
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
