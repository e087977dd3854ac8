"""The clock: jobs in our database, missed runs coalesced, the job store kept equal to the configuration,
and every run gated by the lease."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text

from reviews.cycles.definition import Schedule
from reviews.storage.db import MIGRATIONS, create_db_engine
from scheduler import JobContext, Leadership, RecertifyScheduler, ScheduledJob, build_scheduler
from scheduler.jobs import activate, deactivate, run_job
from tests.scheduler import targets
from tests.scheduler.targets import calls, create_calls_table

QUIET = timedelta(seconds=60)  # supervisor poll: nothing changes hands during these tests
RECORD = "tests.scheduler.targets:record"


@pytest.fixture
def started() -> Iterator[Callable[[RecertifyScheduler], RecertifyScheduler]]:
    running: list[RecertifyScheduler] = []

    def start(scheduler: RecertifyScheduler) -> RecertifyScheduler:
        scheduler.start()
        running.append(scheduler)
        return scheduler

    yield start
    for scheduler in running:
        scheduler.shutdown()


def _stored(engine: Engine) -> dict[str, float]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, next_run_time FROM apscheduler_jobs"))
        return {row.id: row.next_run_time for row in rows}


def _wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_runs_missed_while_no_scheduler_ran_happen_once(engine: Engine) -> None:
    create_calls_table(engine)
    tick = ScheduledJob("tick", RECORD, {"label": "tick"}, every=timedelta(seconds=1))
    before = build_scheduler(
        engine, jobs=[tick], leadership=Leadership(engine, holder="before"), poll_interval=QUIET
    )
    before.start()
    assert before.leading
    before.shutdown()  # the job is stored with its next run one second from now; it has not run
    due = _stored(engine)["tick"]
    assert calls(engine) == []

    time.sleep(max(0.0, due + 1.2 - time.time()))  # two runs (due, due + 1 s) pass while nobody schedules
    after = build_scheduler(
        engine, jobs=[tick], leadership=Leadership(engine, holder="after"), poll_interval=QUIET
    )
    after.start()
    try:
        _wait_for(lambda: len(calls(engine)) > 0, timeout=3)
        time.sleep(0.2)  # without coalescing, the second missed run would follow at once
    finally:
        after.shutdown()
    assert time.time() < due + 2, "too slow to tell a coalesced run from the next regular one"
    assert [(row.label, row.holder, row.token) for row in calls(engine)] == [("tick", "after", 2)]
    assert _stored(engine)["tick"] == pytest.approx(due + 2)  # the schedule goes on, not from the restart


def test_the_job_store_is_kept_equal_to_the_configuration(
    engine: Engine, started: Callable[[RecertifyScheduler], RecertifyScheduler]
) -> None:
    daily = ScheduledJob("start-campaigns", RECORD, {"label": "c"}, cron=Schedule(cron="0 9 * * *"))
    hourly = ScheduledJob("sync", RECORD, {"label": "s"}, every=timedelta(hours=1))
    scheduler = started(
        build_scheduler(engine, jobs=[daily, hourly], leadership=Leadership(engine), poll_interval=QUIET)
    )
    first = _stored(engine)
    assert set(first) == {"start-campaigns", "sync"}

    time.sleep(0.05)
    notify = ScheduledJob("notify", RECORD, {"label": "n"}, every=timedelta(minutes=5))
    scheduler.sync_jobs([daily, notify])
    second = _stored(engine)
    assert set(second) == {"start-campaigns", "notify"}  # sync removed, notify added
    assert second["start-campaigns"] == first["start-campaigns"]  # unchanged: left alone

    elsewhere = ScheduledJob(
        "start-campaigns",
        RECORD,
        {"label": "c"},
        cron=Schedule(cron="0 9 * * *", timezone="Pacific/Auckland"),
    )
    scheduler.sync_jobs([elsewhere, notify])
    third = _stored(engine)
    assert third["start-campaigns"] != first["start-campaigns"]  # a changed schedule replaces the job
    assert third["notify"] == second["notify"]

    relabelled = ScheduledJob("notify", RECORD, {"label": "other"}, every=timedelta(minutes=5))
    time.sleep(0.05)
    scheduler.sync_jobs([elsewhere, relabelled])
    assert _stored(engine)["notify"] != third["notify"]  # changed kwargs replace it too


def test_a_follower_runs_no_scheduler_and_leaves_the_store_alone(postgresql_url: str) -> None:
    engine = create_db_engine(postgresql_url)
    tick = ScheduledJob("tick", RECORD, {"label": "tick"}, every=timedelta(hours=1))
    leader = build_scheduler(
        engine, jobs=[tick], leadership=Leadership(engine, holder="a"), poll_interval=QUIET
    )
    follower = build_scheduler(
        engine, jobs=[], leadership=Leadership(engine, holder="b"), poll_interval=QUIET
    )
    leader.start()
    follower.start()
    try:
        assert leader.leading and not follower.leading
        follower.sync_jobs([])  # not leading: remembered, the store is untouched
        assert set(_stored(engine)) == {"tick"}
    finally:
        follower.shutdown()
        leader.shutdown()
        engine.dispose()


def test_the_scheduler_table_does_not_look_like_schema_drift(
    engine: Engine, started: Callable[[RecertifyScheduler], RecertifyScheduler]
) -> None:
    """APScheduler creates `apscheduler_jobs` in our database; `alembic check` must still see no change."""
    tick = ScheduledJob("tick", RECORD, {"label": "tick"}, every=timedelta(hours=1))
    started(build_scheduler(engine, jobs=[tick], leadership=Leadership(engine), poll_interval=QUIET))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.check(config)


def test_a_run_needs_the_lease(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    targets.REMEMBERED.clear()
    leadership = Leadership(engine, name="gate")
    context = JobContext(engine, leadership)
    run_job("gate", "tests.scheduler.targets:remember", {"n": 1})  # no scheduler runs in this process
    activate(context)
    try:
        run_job("gate", "tests.scheduler.targets:remember", {"n": 2})  # not the leader
        assert targets.REMEMBERED == []
        assert leadership.try_acquire()
        run_job("gate", "tests.scheduler.targets:remember", {"n": 3})
        assert targets.REMEMBERED == [{"n": 3}]
        with caplog.at_level(logging.WARNING, "scheduler.jobs"):
            with engine.begin() as connection:  # another replica takes over
                connection.execute(text("UPDATE scheduler_lease SET token = token + 1 WHERE name = 'gate'"))
            run_job("gate", "tests.scheduler.targets:lose", {})
        assert "another replica took over" in caplog.text
    finally:
        deactivate(context)
        leadership.release()


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"target": RECORD}, "exactly one of cron or every"),
        ({"target": RECORD, "every": timedelta(0)}, "must be positive"),
        ({"target": RECORD, "every": timedelta(1), "cron": Schedule(cron="* * * * *")}, "exactly one"),
        ({"target": "tests.scheduler.targets.record", "every": timedelta(1)}, "package.module:function"),
        ({"target": "tests.scheduler.targets:missing", "every": timedelta(1)}, "cannot be imported"),
        ({"target": "tests.scheduler.targets:not_callable", "every": timedelta(1)}, "not callable"),
        ({"target": RECORD, "every": timedelta(1), "kwargs": {"at": time}}, "plain JSON"),
        ({"target": RECORD, "every": timedelta(1), "kwargs": {"ids": (1, 2)}}, "plain JSON"),
    ],
)
def test_a_job_is_checked_when_it_is_configured(kwargs: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        ScheduledJob("job", **kwargs)  # type: ignore[arg-type]


def test_job_ids_are_unique() -> None:
    engine = create_engine("sqlite://")  # never connected
    job = ScheduledJob("job", RECORD, every=timedelta(hours=1))
    with pytest.raises(ValueError, match="unique: job"):
        build_scheduler(engine, jobs=[job, job], leadership=Leadership(engine))


def test_a_leader_that_loses_its_lease_stops_its_scheduler_then_competes_again(postgresql_url: str) -> None:
    engine = create_db_engine(postgresql_url)
    leadership = Leadership(engine, holder="a")
    tick = ScheduledJob("tick", RECORD, {"label": "tick"}, every=timedelta(hours=1))
    scheduler = build_scheduler(
        engine, jobs=[tick], leadership=leadership, poll_interval=timedelta(seconds=0.1)
    )
    scheduler.start()
    try:
        assert scheduler.leading and leadership.token == 1
        with engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": leadership.backend_pid})
        _wait_for(lambda: leadership.token == 2, timeout=3)  # lost, stopped, and (alone) leads again
        _wait_for(lambda: scheduler.leading, timeout=3)
    finally:
        scheduler.shutdown()
        engine.dispose()
    assert not scheduler.leading and leadership.token is None


def test_a_new_misfire_grace_reaches_the_stored_jobs(engine: Engine) -> None:
    hourly = ScheduledJob("sync", RECORD, {"label": "s"}, every=timedelta(hours=1))

    def run_once(grace: timedelta) -> float:
        scheduler = build_scheduler(
            engine, jobs=[hourly], leadership=Leadership(engine), misfire_grace=grace, poll_interval=QUIET
        )
        scheduler.start()
        scheduler.shutdown()
        time.sleep(0.02)
        return _stored(engine)["sync"]

    first = run_once(timedelta(hours=6))
    assert run_once(timedelta(hours=6)) == first  # same configuration: the stored job is kept
    assert run_once(timedelta(hours=1)) != first  # the grace is stored per job: replaced
    with pytest.raises(ValueError, match="misfire_grace"):
        build_scheduler(engine, jobs=[], leadership=Leadership(engine), misfire_grace=timedelta(0))


def test_a_catch_up_job_runs_whenever_a_replica_starts_leading_and_keeps_its_cron(engine: Engine) -> None:
    """A leader killed while a cycle's start ran has already stored the next run: the start is made up at
    the next takeover, and the cron's own next run is not moved."""
    create_calls_table(engine)
    yearly = Schedule(cron="0 9 1 1 *")
    start = ScheduledJob("cycle:annual", RECORD, {"label": "annual"}, cron=yearly, catch_up=True)
    plain = ScheduledJob("cycle:plain", RECORD, {"label": "plain"}, cron=yearly)
    for holder, token in (("first", 1), ("second", 2)):
        scheduler = build_scheduler(
            engine, jobs=[start, plain], leadership=Leadership(engine, holder=holder), poll_interval=QUIET
        )
        scheduler.start()
        try:
            _wait_for(lambda token=token: len(calls(engine)) == token, timeout=5)
            time.sleep(0.2)  # a second run would follow at once
        finally:
            scheduler.shutdown()
        stored = _stored(engine)
        assert stored["cycle:annual"] == stored["cycle:plain"]  # both due on 1 January, 09:00 UTC
    assert [(row.label, row.holder, row.token) for row in calls(engine)] == [
        ("annual", "first", 1),
        ("annual", "second", 2),
    ]
