"""The failure suite's database part (TESTING.md "Faults"): PostgreSQL drops every connection in the middle of
a revocation batch, again and again, as a restart does (in CI); or really restarts, three times (a separate
command: it restarts the machine's PostgreSQL). Each `execute` that loses its connection fails loudly; running
it again finishes the work; every revocation takes effect exactly once and the chain holds.

(The other faults are where their adapters are tested: Graph with 30 % 429s, resets and damaged pages in
tests/connectors/entra/test_connector.py and test_client_faults.py; AWS throttling in
tests/connectors/aws/test_fetch_faults.py; Slack 429s and outages in tests/bot/test_notifier.py and
tests/campaigns/test_notify_close.py; kill -9 of a worker mid-batch in tests/test_outbox_crash.py.)
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from bot.directory import slack_client
from bot.notifier import SlackNotifier
from reviews.actors import cli_operator
from reviews.campaigns.close import close_campaign
from reviews.campaigns.notify import advance_notifications, reminders_due
from reviews.clock import FrozenClock, SystemClock
from reviews.cycles.manage import cycle_definition
from reviews.enforcement.outbox import execute
from reviews.enforcement.settings import EnforcementSettings
from reviews.storage.db import create_db_engine
from reviews.storage.models import (
    Campaign,
    ItemStatus,
    Notification,
    ReviewItem,
    Revocation,
    RevocationState,
)
from simulators.slack import SlackSimulator, SlackWorkspace
from tests.bot.conftest import TOKEN, link_slack_accounts
from tests.campaigns.test_notify_close import olu_keeps_ana, setup, statuses
from tests.fakes.provider import REMOVE_MEMBER
from tests.helpers import T0
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


def restart_postgresql(_database_url: str) -> int:
    """The server itself restarted (fast shutdown: every client cut, new connections refused until it is
    back), as an operator or a failover does."""
    (version,) = os.listdir("/etc/postgresql")
    restart = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]
    subprocess.run(restart, check=True, capture_output=True, timeout=60)  # noqa: S603
    return 1


def test_postgresql_dropping_every_connection_mid_batch_loses_nothing_and_doubles_nothing(
    postgresql_url: str,
) -> None:
    batch_under(postgresql_url, drop_connections, every=0.15, most=MAX_DROPS)


@pytest.mark.skipif(
    os.environ.get("RECERTIFY_TEST_RESTART_POSTGRESQL") != "1",
    reason="restarts the machine's PostgreSQL: RECERTIFY_TEST_RESTART_POSTGRESQL=1 (README, Failure suite)",
)
def test_postgresql_restarted_mid_batch_loses_nothing_and_doubles_nothing(postgresql_url: str) -> None:
    batch_under(postgresql_url, restart_postgresql, every=1.0, most=3)


def batch_under(postgresql_url: str, fault: Callable[[str], int], *, every: float, most: int) -> None:
    """A batch of revocations run by a worker that, like `serve`'s tick, runs `execute` again after a
    failure; `fault` strikes every `every` seconds, at most `most` times, until the batch is done."""
    engine: Engine = create_db_engine(postgresql_url)
    try:
        outbox = Outbox(engine, SystemClock(), delay=0.02)  # each provider call takes 20 ms: a long batch
        names = [f"user{i:03d}" for i in range(REVOCATIONS)]
        outbox.revocations(names)
        failures: list[str] = []
        done = threading.Event()

        def worker() -> None:
            while not done.is_set():
                try:
                    if not unfinished(engine):
                        break
                    execute(engine, outbox.connectors, settings=SETTINGS, clock=SystemClock(), worker="w1")
                except DBAPIError as exc:  # the connection died under it: loud, then run again
                    failures.append(type(exc.orig).__name__)
                    time.sleep(0.6)  # past the claim timeout, as a restarted worker would be
            done.set()

        thread = threading.Thread(target=worker)
        thread.start()
        struck = strikes = 0
        while not done.wait(every) and strikes < most:  # until the batch is done
            struck += fault(postgresql_url)
            strikes += 1
        thread.join(timeout=120)
        assert not thread.is_alive(), "the batch never finished"

        assert struck and failures, "no fault landed in the middle of the batch"
        with Session(engine) as session:
            rows = session.exec(select(Revocation)).all()
        states = Counter(row.state for row in rows)
        assert len(rows) == REVOCATIONS and set(states) <= {
            RevocationState.APPLIED,
            RevocationState.ALREADY_ABSENT,
        }
        assert all(row.read_back_at is not None for row in rows)  # each read back, for a sync to verify
        assert outbox.provider.members(GROUP) == set()
        writes = Counter((w.kind, w.group, w.principal) for w in outbox.provider.writes())
        assert writes == Counter({(REMOVE_MEMBER, GROUP, arn(name)): 1 for name in names})
        outbox.chain_intact()
    finally:
        engine.dispose()


@pytest.mark.parametrize("stormy", [False, True], ids=["calm", "429s-and-an-outage-across-a-reminder"])
def test_slack_429s_and_an_outage_across_a_reminder_change_no_outcome(
    engine: Engine, session: Session, stormy: bool
) -> None:
    """The real SlackNotifier against the simulator: the digests meet 429s, the first reminder day meets
    an outage. Failed deliveries are recorded and sent again on the next tick; the review ends as it does
    calm. (Calm is not free of 429s: unpaced, the simulator's one-a-second per channel limit answers some.)"""
    clock = FrozenClock(T0)
    campaign = setup(session, clock, escalate_after_days=None)
    ws = SlackWorkspace(team_id="T0001", team_name="Department")
    link_slack_accounts(session, ws, ("olu", "pat"))
    with SlackSimulator(ws, bot_token=TOKEN) as sim:
        notifier = SlackNotifier(slack_client(TOKEN, sim.api_url), pace_seconds=0)
        if stormy:
            sim.faults.rate_limit_next("chat.postMessage", times=2, retry_after=1)
        advance_notifications(session, notifier, clock=clock)
        session.commit()
        olu = olu_keeps_ana(engine, session, clock)
        reminders_before_outage = 0
        for _day in range(15):
            clock.advance(timedelta(days=1))
            down = stormy and not reminders_before_outage and _reminder_due(session, campaign, clock)
            sim.faults.outage(down)
            advance_notifications(session, notifier, clock=clock)
            session.commit()
            reminders_before_outage += down
        sim.faults.outage(False)
        posts = sim.calls_to("chat.postMessage")
    close_campaign(session, campaign, actor=cli_operator(), clock=clock)
    session.commit()
    assert statuses(session) == {"ana": ItemStatus.KEPT, "ben": ItemStatus.REVOKED, "cat": ItemStatus.EXPIRED}
    delivered = Counter(
        (n.kind, n.person_id)
        for n in session.exec(select(Notification).where(col(Notification.delivered))).all()
    )
    assert delivered[("digest", olu.id)] == 1 and delivered[("reminder", olu.id)] >= 1
    failed = session.exec(select(Notification).where(col(Notification.delivered).is_(False))).all()
    if stormy:
        assert reminders_before_outage == 1 and failed and all(n.kind == "reminder" for n in failed)
        assert sum(c.status == 429 for c in posts) >= 2  # the two armed ones at least, all retried
    else:
        assert not failed


def _reminder_due(session: Session, campaign: Campaign, clock: FrozenClock) -> bool:
    """Whether today's tick owes a reminder (so the outage lands on one), as the engine counts them."""
    session.expire_all()
    owed = reminders_due(cycle_definition(session, campaign), campaign, clock.now())
    pending = session.exec(select(ReviewItem).where(ReviewItem.status == ItemStatus.PENDING)).all()
    return any(item.reminders_sent < owed for item in pending)
