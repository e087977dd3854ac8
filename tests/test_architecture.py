"""The dependency direction is the architecture (STYLE.md), enforced by import-linter contracts.

This proves the contracts bite: the real tree passes, and a copy with one forbidden import fails naming it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    for package in ("reviews", "connectors", "bot", "ops", "simulators", "scheduler", "cli"):
        shutil.copytree(ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__"))
    for file in (
        "app.py",
        "wiring.py",
        "jobs.py",
        "serve.py",
        "config.py",
        "config_sections.py",
        "config_logging.py",
        "pyproject.toml",
    ):
        shutil.copy(ROOT / file, tree / file)
    return tree


def test_the_real_tree_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 10 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("reviews/leak.py", "import boto3\n", "The domain (reviews) imports no adapter and no SDK"),
        ("reviews/leak.py", "import apscheduler.schedulers.background\n", "The domain (reviews) imports no"),
        ("scheduler/leak.py", "import boto3\n", "The scheduler is a clock"),
        ("cli/leak.py", "from connectors.aws import connector\n", "Commands build no adapter"),
        (
            "cli/leak.py",
            "from wiring import Wiring\n",
            "Commands do not reach back into the composition root",
        ),
        ("reviews/leak.py", "from bot import blocks\n", "The domain (reviews) imports no adapter and no SDK"),
        ("connectors/leak.py", "from reviews.storage import models\n", "Connectors touch neither Slack"),
        # The rooms of reviews/ (docs/architecture.md): no upward arrow, no arrow between siblings.
        ("reviews/campaigns/leak.py", "from reviews.enforcement import plan\n", "The domain's rooms"),
        ("reviews/storage/leak.py", "from reviews.audit import chain\n", "The domain's rooms"),
        ("reviews/cycles/leak.py", "from reviews.inventory import apply\n", "The domain's rooms"),
        ("reviews/exposure.py", "from reviews.campaigns import frozen\n", "The shared kernel"),
        ("bot/leak.py", "import connectors\n", "The bot never calls connectors or provider SDKs"),
        ("bot/leak.py", "from ops import metrics\n", "The bot never calls connectors or provider SDKs"),
        ("ops/leak.py", "from connectors.aws import connector\n", "The ops figures read the domain"),
        # The composition root loads the configuration; the domain is handed its section.
        ("reviews/leak.py", "import config\n", "The domain (reviews) imports no adapter and no SDK"),
        # Indirect imports count too: reviews.storage.database_url parses URLs with SQLAlchemy.
        (
            "connectors/leak.py",
            "from reviews.storage import database_url\n",
            "Connectors touch neither Slack",
        ),
    ],
)
def test_a_forbidden_import_breaks_the_build(tmp_path: Path, module: str, line: str, contract: str) -> None:
    tree = _copy(tmp_path)
    (tree / "bot" / "blocks.py").write_text("")
    (tree / module).write_text(line)
    result = _lint(tree)
    assert result.returncode != 0
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout
    assert module.replace("/", ".").removesuffix(".py") in result.stdout
