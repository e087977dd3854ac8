"""Slack speed: concurrent button presses against `recertify serve --http`, and a digest fan-out under
Slack's rate limits (issue 6).

    .venv/bin/python -m bench.slack                              # both parts on PostgreSQL (a new database
                                                                 #   on 127.0.0.1:5432, dropped after)
    .venv/bin/python -m bench.slack --part presses               # presses only (1–3 minutes)
    .venv/bin/python -m bench.slack --part presses --sqlite      # the same on SQLite, to compare
    .venv/bin/python -m bench.slack --part presses --in-process  # the bot in this process, as the tests run it
    .venv/bin/python -m bench.slack --part fanout                # 2,000 reviewers at the simulator's
                                                                 #   default limit: about 6 minutes
    .venv/bin/python -m bench.slack --part fanout --reviewers 500 --rate-per-minute 250   # about 1 minute

Presses: `--presses` (50) reviewers each own `--rounds` (3) stores with one grant; a campaign DMs each its
digest through the real SlackNotifier (the simulator stands in for Slack's Web API). The bot runs as
deployed, `recertify serve --http PORT` in its own process, configured by the environment only (database,
`slack.api_url` = the simulator, bot token, signing secret, team id); it answers `/slack/events`. Per round,
every reviewer presses Keep or Revoke on a different item: signed as Slack signs, all sent at once (threads
released by a barrier), each on a new HTTP connection as Slack makes them. Measured: each acknowledgement's
latency as Slack sees it (`Delivery.elapsed`: connect to the last byte of the answer), p50/p95/p99/max (a
press that got no answer counts as infinite); then, once every answered press is processed (the decision and
the digest's redraw with chat.update happen after the ack), that each press is one Decision row, none
superseded, and every item decided as pressed. Rounds follow each other at once, so a round's redraws share
chat.update's per-minute limit (Tier 3, 50/min in the simulator) with the previous rounds'. Target: p99 ≤
300 ms (Slack's limit is 3 s) and every press recorded exactly once.

Fan-out: `--reviewers` (2,000) reviewers own one store each with one grant, in one campaign; one
`advance_notifications` with the real `SlackNotifier` (default pacing, one message a second per channel:
each reviewer is a different DM) and slack_sdk's RateLimitErrorRetryHandler, against the simulator with
its default limits (chat.postMessage: the configured per-minute limit L, over a sliding minute, plus 1 per
second per conversation), on real time. Two floors: N / L minutes at the steady rate; and, since a sliding
minute starting empty lets the first L through at once, the strict minimum (ceil(N / L) - 1) minutes, which
the target (≤ 1.2×) is checked against. Reported: total time, both floors and ratios, the 429s the
simulator answered, and that every digest was delivered and recorded (Notification rows delivered = N, no
failed delivery). `--rate-per-minute` overrides the simulator's limit (`rate_limits=`) for a shorter run.

Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from bot.app import BotServices, build_app
from bot.directory import SlackDirectory, slack_client
from bot.http import BotServer
from bot.notifier import SlackNotifier
from bot.settings import SlackSettings
from reviews.actors import cli_operator
from reviews.campaigns.notify import advance_notifications
from reviews.campaigns.start import start_campaign
from reviews.clock import FrozenClock
from reviews.cycles.definition import CycleDefinition
from reviews.cycles.manage import definition_sha256
from reviews.entitlements import (
    AccessLevel,
    Grant,
    PathStep,
    Person,
    Principal,
    PrincipalType,
    Snapshot,
    Store,
    StoreKind,
    System,
)
from reviews.inventory.apply import apply_snapshot
from reviews.protection import Protection
from reviews.storage.db import create_db_engine, upgrade
from reviews.storage.models import Decision, ItemStatus, Notification, ReviewCycle, ReviewItem
from reviews.storage.models import Person as PersonRow
from simulators.slack import SlackMessage, SlackRequests, SlackSimulator, SlackWorkspace
from simulators.slack.outgoing import Delivery, Outgoing

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DOMAIN = "dept.example.gov"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # noqa: S105  (the simulator's signing secret, not a real one)
TOKEN = "xoxb-bench"  # noqa: S105
HOLDERS_PER_STORE_BATCH = 20  # each holder has access to this many stores (holders never review)


# ---- databases ---------------------------------------------------------------------------------------
@contextmanager
def database(sqlite: bool) -> Iterator[Engine]:
    """A fresh, migrated database: SQLite in a temporary directory, or a new PostgreSQL one (dropped after)."""
    if sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            engine = create_db_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
            upgrade(engine)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    name = f"bench_slack_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    engine = create_db_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---- the department ----------------------------------------------------------------------------------
def email(name: str) -> str:
    return f"{name}@{DOMAIN}"


def arn(name: str) -> str:
    return f"arn:aws:iam::111122223333:user/{name}"


def seed(
    engine: Engine, ws: SlackWorkspace, owners: int, stores_per_owner: int, clock: FrozenClock
) -> dict[str, str]:
    """`owners` reviewers, each owning `stores_per_owner` personal-data stores with one grant each (held by
    people who review nothing), synced as a connector would; each reviewer has a Slack account, linked.
    Returns owner name → Slack user id. A campaign over everything is started."""
    stores_total = owners * stores_per_owner
    holders = max(1, math.ceil(stores_total / HOLDERS_PER_STORE_BATCH))
    owner_names = [f"owner{i}" for i in range(owners)]
    holder_names = [f"holder{i}" for i in range(holders)]
    stores, grants = [], []
    for s in range(stores_total):
        owner, store = owner_names[s // stores_per_owner], f"store-{s}"
        stores.append(
            Store(
                System.AWS,
                StoreKind.S3_BUCKET,
                f"arn:aws:s3:::{store}",
                store,
                owners=(email(owner),),
                classification="personal",
                tags=(("data-classification", "personal"),),
            )
        )
        holder = holder_names[s % holders]
        group = PathStep("group", f"arn:aws:iam::111122223333:group/{store}-read", f"{store}-read")
        grants.append(Grant(f"arn:aws:s3:::{store}", arn(holder), AccessLevel.READ, path=(group,)))
    principals = tuple(
        Principal(
            System.AWS, PrincipalType.IAM_USER, arn(h), h, email=email(h), enabled=True, person_email=email(h)
        )
        for h in holder_names
    )
    people = tuple(Person(email(n), display_name=n.title()) for n in owner_names + holder_names)
    snapshot = Snapshot(System.AWS, clock.now(), tuple(stores), principals, tuple(grants), people)
    users = {name: ws.add_user(email(name), name.title()) for name in owner_names}
    definition = CycleDefinition.model_validate(
        {
            "name": "quarterly",
            "reviewers": {"fallback": f"security@{DOMAIN}"},
            "on_no_response": "revoke",
            "max_sync_age_hours": 24,
        }
    )
    with Session(engine) as session:
        apply_snapshot(snapshot, session=session, clock=clock)
        session.commit()
        for name, user_id in users.items():  # what the people sync would have linked
            session.execute(
                update(PersonRow).where(col(PersonRow.email) == email(name)).values(slack_user_id=user_id)
            )
        row = ReviewCycle(
            name=definition.name,
            version=1,
            definition=definition.model_dump(mode="json"),
            definition_sha256=definition_sha256(definition),
            applied_at=clock.now(),
            applied_by="bench",
        )
        session.add(row)
        session.commit()
        start_campaign(
            session, row, definition, actor=cli_operator(), clock=clock, protection=Protection.of([], [])
        )
        session.commit()
    return users


# ---- part 1: button presses --------------------------------------------------------------------------
@dataclass
class Round:
    latencies: list[float]
    statuses: list[int]
    errors: list[str]  # distinct connection errors (no answer at all)
    failed: int  # presses that got no answer
    processed_s: float  # from the release until every decision and every redraw was done
    decisions: int
    superseded: int
    as_pressed: bool


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def digest(ws: SlackWorkspace, user_id: str) -> SlackMessage:
    (message,) = [m for m in ws.dm_messages(user_id) if m.bot_id]
    return message


def wait_for(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def press_round(
    engine: Engine,
    sim: SlackSimulator,
    url: str,
    users: dict[str, str],
    items: dict[str, list[int]],
    number: int,
) -> Round:
    ws = sim.workspace
    targets: list[tuple[int, ItemStatus]] = []
    payloads: list[Outgoing] = []
    for i, (name, user_id) in enumerate(users.items()):
        item_id = items[name][number]
        keep = i % 2 == 0
        targets.append((item_id, ItemStatus.KEPT if keep else ItemStatus.REVOKED))
        action = "item_keep" if keep else "item_revoke"
        payloads.append(
            sim.payloads().block_action(
                user_id, digest(ws, user_id), action, str(item_id), block_id=f"item:{item_id}"
            )
        )
    updates_before = len(sim.calls_to("chat.update"))
    barrier = threading.Barrier(len(payloads) + 1)
    answers: list[Delivery | Exception | None] = [None] * len(payloads)

    def press(index: int) -> None:
        slack = SlackRequests(url, SECRET)
        barrier.wait()
        try:
            answers[index] = slack.send(payloads[index])
        except OSError as exc:  # refused or reset: Slack would count the press as not acknowledged
            answers[index] = exc

    threads = [threading.Thread(target=press, args=(i,)) for i in range(len(payloads))]
    for thread in threads:
        thread.start()
    barrier.wait()
    released = time.perf_counter()
    for thread in threads:
        thread.join()
    ids = [item_id for item_id, _ in targets]

    def decided() -> int:
        with Session(engine) as session:
            return int(
                session.exec(
                    select(func.count()).select_from(Decision).where(col(Decision.review_item_id).in_(ids))
                ).one()
            )

    got = [a for a in answers if isinstance(a, Delivery)]
    errors = sorted({f"{type(a).__name__}: {a}" for a in answers if isinstance(a, Exception)})
    # Every answered press is processed after its ack (even one Bolt answered 404 for a late ack); a
    # press whose connection was reset may never have reached the bot.
    expected = len(got)

    def processed() -> bool:
        redrawn = [c for c in sim.calls_to("chat.update")[updates_before:] if c.status == 200]
        return decided() >= expected and len(redrawn) >= expected

    wait_for(processed, timeout=150)
    processed_s = time.perf_counter() - released
    time.sleep(0.5)  # anything processed twice would show up now
    with Session(engine) as session:
        rows = session.exec(select(Decision).where(col(Decision.review_item_id).in_(ids))).all()
        statuses = {
            item.id: item.status
            for item in session.exec(select(ReviewItem).where(col(ReviewItem.id).in_(ids))).all()
        }
    return Round(
        latencies=[a.elapsed for a in got],
        statuses=[a.status for a in got],
        errors=errors,
        failed=len(answers) - len(got),
        processed_s=processed_s,
        decisions=len(rows),
        superseded=sum(1 for r in rows if r.superseded),
        as_pressed=len({r.review_item_id for r in rows}) == len(ids)
        and all(statuses.get(item_id) == wanted for item_id, wanted in targets),
    )


@contextmanager
def bot(engine: Engine, sim: SlackSimulator, clock: FrozenClock, in_process: bool) -> Iterator[str]:
    """The bot's request URL: `recertify serve --http PORT` in its own process (as deployed; the scheduler
    runs beside it), configured by the environment only; or, `in_process`, the same BotServer and Bolt app
    in this process (as the tests build it: the presses' client threads then share its interpreter)."""
    if in_process:
        client = slack_client(TOKEN, sim.api_url)
        services = BotServices(
            engine, clock, SlackSettings(team_id="T0001"), SlackDirectory(client), Protection.of([], [])
        )
        server = BotServer(
            build_app(services, client=client, signing_secret=SECRET),
            signing_secret=SECRET,
            host="127.0.0.1",
            port=0,
            ready=lambda: True,
        ).start()
        try:
            yield f"{server.url}/slack/events"
        finally:
            server.stop()
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("RECERTIFY_", "SLACK_", "AWS_", "AZURE_"))
    }
    env |= {
        "PYTHONPATH": str(ROOT),
        "RECERTIFY_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "RECERTIFY_SLACK_API_URL": sim.api_url,
        "RECERTIFY_SLACK_TEAM_ID": "T0001",
        "RECERTIFY_AWS_ENABLED": "false",
        "RECERTIFY_ENTRA_ENABLED": "false",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
    }
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "serve.log", "w+b") as log:
        command = [sys.executable, "-c", "import app; app.main()", "serve", "--http", str(port)]
        process = subprocess.Popen(command, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            deadline = time.monotonic() + 60
            while not healthy(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(
                        f"recertify serve --http did not start:\n{log.read().decode()[-3000:]}"
                    )
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}/slack/events"
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def presses(sqlite: bool, reviewers: int, rounds: int, in_process: bool) -> bool:
    backend = ("SQLite" if sqlite else "PostgreSQL") + (", bot in-process" if in_process else "")
    # `serve` runs on the real clock: the campaign starts now, so its scheduler finds nothing due
    clock = FrozenClock(datetime.now(UTC))
    ws = SlackWorkspace(team_id="T0001", team_name="Department")
    with database(sqlite) as engine:
        users = seed(engine, ws, reviewers, rounds, clock)
        with Session(engine) as session:
            by_owner: dict[str, list[int]] = {name: [] for name in users}
            emails = {p.id: p.email for p in session.exec(select(PersonRow)).all()}
            for item in session.exec(select(ReviewItem).order_by(col(ReviewItem.id))).all():
                assert item.id is not None and item.reviewer_person_id is not None  # noqa: S101
                by_owner[emails[item.reviewer_person_id].split("@")[0]].append(item.id)
        with SlackSimulator(ws, bot_token=TOKEN) as sim:
            client = slack_client(TOKEN, sim.api_url)
            with Session(engine) as session:
                advance_notifications(session, SlackNotifier(client, pace_seconds=0), clock=clock)
                session.commit()
            ok = True
            with bot(engine, sim, clock, in_process) as url:
                for number in range(rounds):
                    result = press_round(engine, sim, url, users, by_owner, number)
                    # a press that got no answer at all counts as never acknowledged
                    lat = [x * 1000 for x in result.latencies] + [math.inf] * result.failed
                    p99 = percentile(lat, 99)
                    good = (
                        result.statuses.count(200) == reviewers
                        and result.decisions == reviewers
                        and result.superseded == 0
                        and result.as_pressed
                        and p99 <= 300
                    )
                    ok = ok and good
                    codes = ", ".join(f"{n}×{code}" for code, n in sorted(Counter(result.statuses).items()))
                    answered = [x * 1000 for x in result.latencies]
                    mean = f"{statistics.mean(answered):.0f} ms" if answered else "-"
                    lost = (
                        f"; {result.failed} got no answer ({'; '.join(result.errors)})"
                        if result.failed
                        else ""
                    )
                    print(
                        f"{backend} presses round {number + 1}: {reviewers} concurrent, ack p50 "
                        f"{percentile(lat, 50):.0f} ms, p95 {percentile(lat, 95):.0f} ms, p99 {p99:.0f} ms, "
                        f"max {max(lat):.0f} ms (mean of answered {mean}); answers {codes}"
                        f"{lost}; processed (decisions + redraws) {result.processed_s:.2f} s after the release; "
                        f"{result.decisions} decisions, {result.superseded} superseded, each item decided as "
                        f"pressed: {result.as_pressed} [{'ok' if good else 'MISSED'}]",
                        flush=True,
                    )
    return ok


# ---- part 2: fan-out ---------------------------------------------------------------------------------
def fanout(sqlite: bool, reviewers: int, rate_per_minute: int | None) -> bool:
    backend = "SQLite" if sqlite else "PostgreSQL"
    clock = FrozenClock(T0)
    ws = SlackWorkspace(team_id="T0001", team_name="Department")
    limits = {"chat.postMessage": rate_per_minute} if rate_per_minute else None
    with database(sqlite) as engine:
        started = time.perf_counter()
        seed(engine, ws, reviewers, 1, clock)
        print(
            f"{backend} fan-out: seeded {reviewers:,} reviewers in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        with SlackSimulator(ws, bot_token=TOKEN, rate_limits=limits) as sim:
            limit = sim.limiter.limits["chat.postMessage"]
            assert limit is not None  # noqa: S101
            channel = sim.channel_limiter.limit
            client = slack_client(TOKEN, sim.api_url)
            with Session(engine) as session:
                started = time.perf_counter()
                summary = advance_notifications(session, SlackNotifier(client), clock=clock)
                session.commit()
                elapsed = time.perf_counter() - started
                delivered = int(
                    session.exec(
                        select(func.count()).select_from(Notification).where(col(Notification.delivered))
                    ).one()
                )
                failed = int(
                    session.exec(
                        select(func.count())
                        .select_from(Notification)
                        .where(col(Notification.delivered).is_(False))
                    ).one()
                )
                items_delivered = int(
                    session.exec(
                        select(func.count())
                        .select_from(ReviewItem)
                        .where(col(ReviewItem.delivery_status) == "delivered")
                    ).one()
                )
            posts = sim.calls_to("chat.postMessage")
    throttled = sum(1 for c in posts if c.status == 429)
    answered = sum(1 for c in posts if c.status == 200 and c.response.get("ok"))
    rate_floor = reviewers / limit * 60
    window_floor = (math.ceil(reviewers / limit) - 1) * 60.0
    window_ratio = f"{elapsed / window_floor:.3f}×" if window_floor else "n/a (fits in one window)"
    good = (
        delivered == reviewers
        and failed == 0
        and summary.failed == 0
        and answered == reviewers
        and items_delivered == reviewers
        and elapsed <= 1.2 * (window_floor or rate_floor)
    )
    per_channel = f"{channel.per_second:g}/s, burst {channel.burst}" if channel else "none"
    print(
        f"{backend} fan-out: {reviewers:,} digests at chat.postMessage {limit}/min "
        f"({'overridden' if limits else 'the simulator default'}; per channel {per_channel}) in "
        f"{elapsed:.1f} s; floor {rate_floor:.1f} s at the steady rate (ratio {elapsed / rate_floor:.3f}×), "
        f"{window_floor:.0f} s over a sliding minute starting empty (ratio {window_ratio}); "
        f"{throttled} answered 429 (all retried), {answered} posted; Notification rows delivered "
        f"{delivered:,}, failed {failed}; items delivered {items_delivered:,}; summary sent {summary.sent:,}, "
        f"failed {summary.failed} [{'ok' if good else 'MISSED'}]",
        flush=True,
    )
    return good


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=("all", "presses", "fanout"), default="all")
    parser.add_argument("--sqlite", action="store_true", help="SQLite in a temporary directory")
    parser.add_argument(
        "--postgresql", action="store_true", help="a new database on 127.0.0.1:5432 (default)"
    )
    parser.add_argument("--presses", type=int, default=50, help="concurrent presses (one reviewer each)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="presses: serve the bot in this process instead of `serve --http`",
    )
    parser.add_argument("--reviewers", type=int, default=2_000, help="fan-out: reviewers, one item each")
    parser.add_argument(
        "--rate-per-minute",
        type=int,
        default=None,
        help="fan-out: override the simulator's chat.postMessage limit",
    )
    args = parser.parse_args()
    if args.sqlite and args.postgresql:
        parser.error("--sqlite or --postgresql, not both")
    ok = True
    if args.part in ("all", "presses"):
        ok = presses(args.sqlite, args.presses, args.rounds, args.in_process) and ok
    if args.part in ("all", "fanout"):
        ok = fanout(args.sqlite, args.reviewers, args.rate_per_minute) and ok
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
