"""`recertify serve` as an operator runs it: a process that schedules the applied cycles and the tick in the
database's own job store, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import OperationalError, ProgrammingError

from reviews.storage.db import create_db_engine
from tests.helpers import run_cli

CYCLE = """\
name: nightly
schedule: {cron: '30 1 * * *', timezone: Europe/London}
reviewers: {fallback: sec@x.gov}
"""


def test_serve_schedules_the_cycles_and_the_tick_then_stops_on_sigterm(
    database_url: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    (tmp_path / "nightly.yaml").write_text(CYCLE)
    applied = run_cli(
        capsys,
        monkeypatch,
        "cycles",
        "apply",
        str(tmp_path / "nightly.yaml"),
        env={"RECERTIFY_DATABASE_URL": database_url},
    )
    assert applied.code == 0, applied.stderr
    env = {
        **os.environ,
        "RECERTIFY_DATABASE_URL": database_url,
        "RECERTIFY_AWS_ENABLED": "false",
        "RECERTIFY_ENTRA_ENABLED": "false",
    }
    script = Path(sys.executable).with_name("recertify")
    process = subprocess.Popen(
        [str(script), "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        engine = create_db_engine(database_url)
        jobs: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sorted(jobs) != ["audit:checkpoint", "cycle:nightly", "tick"]:
            time.sleep(0.2)
            with engine.connect() as connection:
                try:
                    jobs = [row[0] for row in connection.execute(text("SELECT id FROM apscheduler_jobs"))]
                except (OperationalError, ProgrammingError):  # no table yet: the scheduler creates it
                    connection.rollback()
        engine.dispose()
        assert sorted(jobs) == ["audit:checkpoint", "cycle:nightly", "tick"]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "scheduler started (leading)" in out
