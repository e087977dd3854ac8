"""Running the real `recertify` entry point in-process, and small builders shared by tests."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

import app

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    env: dict[str, str] | None = None,
) -> CliResult:
    """Call `app.main()` exactly as the console script does: argv in, exit status and output out."""
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
