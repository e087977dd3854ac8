"""Running the real `recertify` entry point in-process, and small builders shared by tests."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import app
from cli import common

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


CLI_TERMINAL = {"COLUMNS": "200"}  # what run_cli sets in the environment for the command's lifetime


def run_cli(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    env: dict[str, str] | None = None,
) -> CliResult:
    """Call `app.main()` exactly as the console script does: argv in, exit status and output out. Standard
    output is captured, so it is not a terminal: tables are drawn as when piped, every cell whole (whatever
    COLUMNS says); stderr is drawn for a terminal of CLI_TERMINAL's width whatever runs the tests, and Rich
    keeps the width COLUMNS had when a console was made, so it is read afresh."""
    for name, value in CLI_TERMINAL.items():
        monkeypatch.setenv(name, value)
    for console in (common.out, common.err):
        monkeypatch.setattr(console, "_width", None)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("sys.argv", ["recertify", *args])
    capsys.readouterr()
    code = 0
    try:
        app.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)


def recertify_process(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    """The installed console script in its own process, as an operator starts it; output piped as text."""
    script = Path(sys.executable).with_name("recertify")
    return subprocess.Popen(  # noqa: S603  (our own script, fixed arguments)
        [str(script), *args], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def stop_processes(processes: Iterable[subprocess.Popen[Any]], *, grace: float) -> None:
    """SIGTERM to every process still running, then wait `grace` seconds each before SIGKILL."""
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
