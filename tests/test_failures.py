"""The failure suite's database part (TESTING.md "Faults"): PostgreSQL drops every connection in the middle of
a revocation batch, again and again, as a restart does. Each `execute` that loses its connection fails loudly;
running it again finishes the work; every revocation takes effect exactly once and the chain holds.

(The other faults are where their adapters are tested: Graph with 30 % 429s, resets and damaged pages in
tests/connectors/entra/test_connector.py and test_client_faults.py; AWS throttling in
tests/connectors/aws/test_fetch_faults.py; Slack 429s and outages in tests/bot/test_notifier.py and
tests/campaigns/test_notify_close.py; kill -9 of a worker mid-batch in tests/test_outbox_crash.py.)
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import psycopg
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from reviews.clock import SystemClock
from reviews.db import create_db_engine
from reviews.models import Revocation, RevocationState
from reviews.operations.outbox import execute
from reviews.settings import EnforcementSettings
from tests.fakes.provider import REMOVE_MEMBER
from tests.outbox_worker import unfinished
from tests.test_outbox import GROUP, Outbox, arn

REVOCATIONS = 60
MAX_DROPS = 40
SETTINGS = EnforcementSettings(
    mode="live", claim_timeout_seconds=0.5, max_attempts=50, retry_base_seconds=0.05, retry_max_seconds=0.2
)


def drop_connections(database_url: str) -> int:
    """What a restart does to the clients: every backend of this database terminated."""
    url = make_url(database_url)
    admin = f"postgresql://{url.username}@{url.host}:{url.port or 5432}/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (url.database,),
        ).fetchall()
    return len(rows)


def test_postgresql_dropping_every_connection_mid_batch_loses_nothing_and_doubles_nothing(
    postgresql_url: str,
) -> None:
    engine: Engine = create_db_engine(postgresql_url)
    try:
        outbox = Outbox(engine, SystemClock(), delay=0.02)  # each provider call takes 20 ms: a long batch
        names = [f"user{i:03d}" for i in range(REVOCATIONS)]
        outbox.revocations(names)
        failures: list[str] = []
        done = threading.Event()

        def worker() -> None:
            while unfinished(engine) and not done.is_set():
                try:
                    execute(engine, outbox.connectors, settings=SETTINGS, clock=SystemClock(), worker="w1")
                except DBAPIError as exc:  # the connection died under it: loud, then run again
                    failures.append(type(exc.orig).__name__)
                    time.sleep(0.6)  # past the claim timeout, as a restarted worker would be
            done.set()

        thread = threading.Thread(target=worker)
        thread.start()
        dropped = drops = 0
        while not done.wait(0.15) and drops < MAX_DROPS:  # until the batch is done
            dropped += drop_connections(postgresql_url)
            drops += 1
        thread.join(timeout=120)
        assert not thread.is_alive(), "the batch never finished"

        assert dropped and failures, "no drop landed in the middle of the batch"
        with Session(engine) as session:
            rows = session.exec(select(Revocation)).all()
        states = Counter(row.state for row in rows)
        assert len(rows) == REVOCATIONS and set(states) <= {
            RevocationState.VERIFIED,
            RevocationState.ALREADY_ABSENT,
        }
        assert outbox.provider.members(GROUP) == set()
        writes = Counter((w.kind, w.group, w.principal) for w in outbox.provider.writes())
        assert writes == Counter({(REMOVE_MEMBER, GROUP, arn(name)): 1 for name in names})
        outbox.chain_intact()
    finally:
        engine.dispose()
