"""The AWS evaluator as it was before issue 14, run on the benchmark's own data in a separate process.

`git archive` takes the old `connectors/` and `reviews/` from the repository's history into a temporary
folder (no second copy of the evaluator lives in the tree); the inventory goes over as JSON and is rebuilt
with the old types, leaving out the fields they did not have (access points, ACLs, keys, RCPs), which the
old evaluator ignored anyway. Needs a clone with its history (not a shallow one).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors.aws.inventory import AwsInventory

REVISION = "e2a30e7"  # the last commit before the issue 14 evaluator

_RUNNER = r"""
import dataclasses, datetime, json, resource, sys, time
from connectors.aws import inventory as I
from connectors.aws.access import effective_access
from connectors.aws.catalog import ActionCatalog

def build(cls, values):
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in names})

def inline(items):
    return tuple(I.InlinePolicy(**p) for p in items)

def pairs(items):
    return tuple(tuple(x) for x in items)

data = json.load(open(sys.argv[1]))
accounts = []
for a in data["accounts"]:
    users = tuple(build(I.IamUser, {**u, "created": None, "groups": tuple(u["groups"]), "attached": tuple(u["attached"]),
        "inline": inline(u["inline"]), "tags": pairs(u["tags"]), "access_keys": ()}) for u in a["users"])
    groups = tuple(build(I.IamGroup, {**g, "attached": tuple(g["attached"]), "inline": inline(g["inline"])})
        for g in a["groups"])
    roles = tuple(build(I.IamRole, {**r, "created": None, "attached": tuple(r["attached"]), "inline": inline(r["inline"]),
        "tags": pairs(r["tags"])}) for r in a["roles"])
    policies = tuple(build(I.ManagedPolicy, p) for p in a["policies"])
    stores = tuple(build(I.StoreResource, {**s, "tags": pairs(s["tags"]), "data_arns": tuple(s["data_arns"])})
        for s in a["stores"])
    levels = tuple(tuple(level) for level in a["scp_levels"])
    accounts.append(I.AccountInventory(a["account_id"], users, groups, roles, policies, stores, levels))
inventory = I.AwsInventory(datetime.datetime.fromisoformat(data["taken_at"]), tuple(accounts))
catalog = ActionCatalog()
started = time.perf_counter()
grants = len(effective_access(inventory, catalog).grants)
elapsed = time.perf_counter() - started
print(json.dumps({"grants": grants, "seconds": elapsed,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@dataclasses.dataclass(frozen=True)
class Baseline:
    grants: int
    seconds: float
    peak_mb: float


def run(inventory: AwsInventory, revision: str = REVISION) -> Baseline:
    """Time the evaluator of `revision` on `inventory`, in its own process (so its peak memory is its own)."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="recertify-baseline-") as folder:
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", revision, "connectors", "reviews"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        data = Path(folder, "inventory.json")
        data.write_text(json.dumps(dataclasses.asdict(inventory), default=_encode))
        runner = Path(folder, "run.py")
        runner.write_text(_RUNNER)
        answer = subprocess.run(
            [sys.executable, str(runner), str(data)], cwd=folder, check=True, capture_output=True, text=True
        )
    return Baseline(**json.loads(answer.stdout))


def _encode(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")
