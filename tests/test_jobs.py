"""The scheduler's job bodies (jobs.py), run as the leader runs them: a JobContext over a real database and
the Wiring built from the settings. What they leave behind is asserted (audit events, rows), not calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from config import load_settings
from jobs import scheduled_cycle, scheduled_jobs
from reviews.actors import Actor, Role
from reviews.clock import FrozenClock
from reviews.cycles.definition import CycleDefinition
from reviews.cycles.manage import apply_cycles
from reviews.storage.models import AuditEvent, Campaign
from scheduler import JobContext, Leadership
from scheduler.jobs import resolve_target
from tests.helpers import run_cli
from wiring import Wiring

ADMIN = Actor("cli:admin", roles=frozenset({Role.ADMIN}))


def test_a_refused_scheduled_start_is_recorded_in_the_audit_chain_and_starts_nothing(
    engine: Engine, database_url: str
) -> None:
    """A cycle due every minute, applied an hour ago, with nothing synced: the start is refused (a campaign
    over an unread population would ask about nothing) and the refusal is on the record, with its reason,
    for the auditor who asks why a period has no campaign."""
    applied_at = datetime.now(UTC) - timedelta(hours=1)
    definition = CycleDefinition.model_validate(
        {
            "name": "minutely",
            "reviewers": {"fallback": "sec@example.org"},
            "schedule": {"cron": "* * * * *", "timezone": "UTC"},
        }
    )
    with Session(engine) as session:
        apply_cycles(session, [definition], actor=ADMIN, clock=FrozenClock(applied_at))
        session.commit()
    config = load_settings(None, {"RECERTIFY_DATABASE_URL": database_url})
    leadership = Leadership(engine, name="jobs")
    assert leadership.try_acquire()
    try:
        scheduled_cycle(JobContext(engine, leadership, Wiring(config, engine)), cycle="minutely")
    finally:
        leadership.release()
    with Session(engine) as session:
        assert session.exec(select(Campaign)).all() == []
        query = select(AuditEvent).where(AuditEvent.kind == "campaign.refused").order_by(col(AuditEvent.seq))
        [event] = session.exec(query).all()
    assert (event.actor, event.subject) == ("system:scheduler", "cycle:minutely")
    assert "nothing has been synced yet" in event.payload["reason"]


def test_deciding_as_someone_recertify_does_not_know_is_refused_with_a_clear_error(
    database_url: str, capsys, monkeypatch
) -> None:
    """`campaign decide --as` and `campaign delegate` name people Recertify already knows (from syncs and
    campaigns): an unknown email is an error (exit 1), never a person made up on the spot."""
    env = {"RECERTIFY_DATABASE_URL": database_url}
    decided = run_cli(
        capsys, monkeypatch, "campaign", "decide", "1", "keep", "--as", " Nobody@Example.org ", env=env
    )
    assert decided.code == 1
    assert "no person with email ' Nobody@Example.org '" in decided.stderr
    delegated = run_cli(
        capsys, monkeypatch, "campaign", "delegate", "a@example.org", "b@example.org", env=env
    )
    assert delegated.code == 1
    assert "no person with email 'a@example.org'" in delegated.stderr


def test_job_targets_stored_by_earlier_versions_still_resolve(engine: Engine) -> None:
    """The scheduler keeps each job's target in its job table; versions before jobs.py named them
    "app:<function>", and a row they stored may run before the leader rewrites it."""
    for name in ("scheduled_cycle", "scheduled_tick", "scheduled_checkpoint"):
        assert resolve_target(f"app:{name}") is resolve_target(f"jobs:{name}")
    assert {job.target for job in scheduled_jobs(engine)} == {
        "jobs:scheduled_tick",
        "jobs:scheduled_checkpoint",
    }
