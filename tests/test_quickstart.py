"""docs/quickstart.md cannot rot: its commands run, in its order, against the simulators.

The configuration is the quickstart's own block; only what a simulator must replace comes from the
environment, as a deployment overrides its file (the database, the Graph and Slack addresses, the
department's group and app names, the tokens). Every `recertify …` line of its shell blocks runs through a
shell as a reader runs it, `serve` included (until it has connected to Slack in Socket Mode, then stopped as
an operator does).
The StackSet template the quickstart builds from the generated policies is built too, and checked.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cli.demo.loop import simulator_environment
from connectors.entra.permissions import all_permissions
from simulators import department
from simulators.department.stores import REGION

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "docs" / "quickstart.md"
TEXT = QUICKSTART.read_text(encoding="utf-8")


def _block_after(marker: str, language: str) -> str:
    found = re.search(rf"<!-- {marker} -->\s*```{language}\n(.*?)```", TEXT, re.S)
    assert found, f"docs/quickstart.md has no ```{language} block after <!-- {marker} -->"
    return found.group(1)


def _shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", TEXT, re.S)


def _recertify_lines() -> list[str]:
    """Every `recertify …` command of the quickstart's shell blocks, in the page's order."""
    return [
        line.split("  # ", 1)[0].strip()
        for block in _shell_blocks()
        for line in block.splitlines()
        if line.startswith("recertify ")
    ]


def _stackset_script() -> str:
    found = re.search(r"python3 - > recertify-read-stackset\.json <<'EOF'\n(.*?)\nEOF\n", TEXT, re.S)
    assert found, "the StackSet template script is gone from docs/quickstart.md"
    return found.group(1)


def test_the_quickstart_runs_in_its_order_against_the_simulators(tmp_path: Path) -> None:
    lines = _recertify_lines()
    ordered = [
        "db upgrade",
        "config check",
        "doctor",
        "sync",
        "cycles apply",
        "campaign start",
        "serve",
    ]
    run = _block_after("quickstart:run", "sh")
    positions = [run.find(f" {step}") for step in ordered]
    assert -1 not in positions and positions == sorted(positions), run
    (tmp_path / "recertify.toml").write_text(_block_after("quickstart:config", "toml"), encoding="utf-8")
    (tmp_path / "cycles").mkdir()
    shutil.copy(ROOT / "examples" / "cycles" / "quarterly-personal-data.yaml", tmp_path / "cycles")
    bin_dir = str(Path(sys.executable).parent)
    start = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    with department.running_department(start, socket_mode=True) as world:
        env = {
            **os.environ,  # the simulators' AWS: AWS_ENDPOINT_URL, dummy credentials
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",  # as after step 1's export
            "PYTHONUNBUFFERED": "1",
            **simulator_environment(world, f"sqlite:///{tmp_path / 'recertify.db'}"),
            "RECERTIFY_AWS_REGIONS": json.dumps([REGION]),
            "SLACK_APP_TOKEN": department.APP_TOKEN,
        }
        for name in ("AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_SECRET", "SLACK_SIGNING_SECRET"):
            env.pop(name, None)
        said: dict[str, str] = {}
        for line in lines:
            if line.endswith(" serve"):
                _serve_until_connected(line, tmp_path, env, world)
                continue
            done = subprocess.run(  # noqa: S603  (the quickstart's own lines, through a shell)
                ["/bin/sh", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, (line, done.stdout, done.stderr)
            said[line] = done.stdout
    by_step = {step: next(out for line, out in said.items() if f" {step}" in line) for step in ordered[:-1]}
    assert "configuration is valid" in by_step["config check"]
    assert re.search(r"campaign \d+: quarterly-personal-data v1, \d+ items", by_step["campaign start"])
    # Step 3's files: the generated policies, and the StackSet template built from them as the page builds it.
    trust = json.loads((tmp_path / "trust.json").read_text())
    assert trust["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:role/recertify"}
    template = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _stackset_script()], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    role = json.loads(template.stdout)["Resources"]["RecertifyRead"]["Properties"]
    assert role["AssumeRolePolicyDocument"] == trust
    assert role["Policies"][0]["PolicyDocument"] == json.loads((tmp_path / "read-policy.json").read_text())


def _serve_until_connected(
    line: str, cwd: Path, env: dict[str, str], world: department.RunningDepartment
) -> None:
    process = subprocess.Popen(  # noqa: S603  (the quickstart's own line)
        ["/bin/sh", "-c", f"exec {line}"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert world.slack.socket is not None
        try:
            world.slack.socket.wait_for_connection(timeout=60)
        except TimeoutError:
            process.kill()
            out, err = process.communicate(timeout=30)
            pytest.fail(f"`{line}` never connected to Slack:\n{out}\n{err}")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, (out, err)
    assert "Socket Mode connected" in out + err


def test_the_quickstart_grants_every_graph_read_permission_the_code_declares() -> None:
    """Step 4 lists the read permissions twice (portal and `az`): both must hold all the code reads with."""
    portal, cli = TEXT.split("With the Azure CLI:", 1)
    for permission in all_permissions()["read"].values():
        for name in permission:
            assert f"`{name}`" in portal.rsplit("## 4.", 1)[1], name
            assert name in cli.split("## 5.", 1)[0], name
