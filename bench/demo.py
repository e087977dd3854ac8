"""Demo speed: `recertify demo`, the whole review loop on the in-process simulators, run as a new user runs it.

    .venv/bin/python -m bench.demo              # 3 runs
    .venv/bin/python -m bench.demo --runs 5

Each run is the installed console script (`recertify`, beside this interpreter) in its own process:
`recertify demo --fresh --quiet --out <a new temporary directory>`, from that directory, with no
RECERTIFY_* or SLACK_* variable inherited (the demo configures itself). Measured: the wall time of the whole
process (interpreter start, imports, the loop, the evidence report), min/median/max over the runs, the time
the demo prints for itself ("Demo complete in … s", the loop without interpreter start and imports), and the
peak RSS of the child from getrusage(RUSAGE_CHILDREN).ru_maxrss, which is the largest of any child waited
for so far (a running max, not each run's own figure). Bytecode caches already written in the checkout and
the virtualenv are reused, so this is a warm start; a fresh clone's first run also compiles them.

Target (issue 8): the demo completes in under 60 s on a fresh clone. Exit status 1 when a run fails (its
stderr's tail is printed) or misses the target.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 60.0
SELF_REPORTED = re.compile(r"Demo complete in ([0-9.]+) s")


def count(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1, not {text!r}")
    return int(text)


def count_argument(doc: str | None, option: str, default: int, meaning: str) -> int:
    """The command line of a benchmark whose only option is how many times to measure (runs, kills)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(option, type=count, default=default, help=meaning)
    return int(getattr(parser.parse_args(), option.removeprefix("--").replace("-", "_")))


def run_once(number: int, env: dict[str, str]) -> float:
    """One demo in its own process; its wall time in seconds. Exits 1 when the demo fails."""
    script = Path(sys.executable).with_name("recertify")
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        started = time.perf_counter()
        result = subprocess.run(  # noqa: S603  (our own script, fixed arguments)
            [str(script), "demo", "--fresh", "--quiet", "--out", str(Path(tmp) / "out")],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if result.returncode != 0:
        print(f"run {number}: recertify demo exited {result.returncode} after {elapsed:.1f} s; stderr tail:")
        print(result.stderr[-3000:] or "(empty)")
        raise SystemExit(1)
    found = SELF_REPORTED.search(result.stdout)
    own = f"{float(found.group(1)):.1f} s" if found else "not printed"
    print(
        f"run {number}: {elapsed:.1f} s wall (the demo's own figure: {own}); "
        f"peak RSS of the children so far {peak_mb:,.0f} MB",
        flush=True,
    )
    return elapsed


def main() -> None:
    runs = count_argument(__doc__, "--runs", 3, "demos to run, one after the other")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECERTIFY_", "SLACK_"))}
    times = [run_once(number, env) for number in range(1, runs + 1)]
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    good = max(times) < TARGET_S
    print(
        f"recertify demo, {runs} runs: min {min(times):.1f} s, median {statistics.median(times):.1f} s, "
        f"max {max(times):.1f} s; peak RSS {peak_mb:,.0f} MB; target < {TARGET_S:.0f} s "
        f"[{'ok' if good else 'MISSED'}]"
    )
    if not good:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
