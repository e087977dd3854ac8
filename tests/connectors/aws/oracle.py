"""iam-simulate as an independent oracle for IAM decisions (tests and bench only; never imported by product
code).

Why this oracle: @cloud-copilot/iam-simulate (npm, AGPL-3.0-or-later) is actively maintained and evaluates
every policy type Recertify reasons about (identity, resource, SCP, RCP, permissions boundaries, role and
federated sessions, anonymous requests, S3 Block Public Access's RestrictPublicBuckets, KMS key-policy trust)
from the documents alone, with no AWS account. The previous oracle, principalmapper 1.1.5, is abandoned,
needed a `collections` shim, knows no RCPs and little of sessions or resource policies.

License: AGPL. We never copy its code or its test data; `tests/oracle/package.json` pins the published
package, `npm ci` installs it at test time into `tests/oracle/node_modules` (ignored by git), and
`tests/oracle/runner.mjs` runs it in a separate Node.js process that we talk to over pipes: one JSON
simulation (iam-simulate's `Simulation` shape) per line in, one answer per line out.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parents[2] / "oracle"
PACKAGE = "@cloud-copilot/iam-simulate"
DECISIONS = frozenset({"Allowed", "ExplicitlyDenied", "ImplicitlyDenied"})
Simulation = dict[str, Any]


class OracleUnavailable(RuntimeError):
    """Node.js or npm is missing, or the pinned package could not be installed."""


class OracleError(RuntimeError):
    """The oracle refused a simulation (invalid policy, unknown action, …) or died."""


def pinned_version(folder: Path = FOLDER) -> str:
    return str(json.loads((folder / "package.json").read_text())["dependencies"][PACKAGE])


def ensure_installed(folder: Path = FOLDER) -> None:
    """Installs the pinned package with `npm ci` when node_modules is missing or holds another version."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise OracleUnavailable(
                f"`{tool}` is not on PATH: the differential tests run the IAM oracle (iam-simulate) with "
                "Node.js; install Node.js (tested with 20) and npm (e.g. `apt-get install nodejs npm`)"
            )
    installed = folder / "node_modules" / PACKAGE / "package.json"
    if installed.exists() and json.loads(installed.read_text())["version"] == pinned_version(folder):
        return
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise OracleUnavailable(f"`npm ci` in {folder} failed ({done.returncode}): {done.stderr.strip()}")


class IamOracle:
    """One long-lived Node.js process answering simulations in order. Answers are cached by the simulation's
    text: hypothesis replays and shrinks the same requests many times."""

    def __init__(self, folder: Path = FOLDER) -> None:
        ensure_installed(folder)
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (closed in close())
        self._process = subprocess.Popen(
            ["node", str(folder / "runner.mjs")],
            cwd=folder,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1 << 16,
        )
        self._cache: dict[str, str] = {}
        self.asked = 0  # simulations actually sent (not answered from the cache)

    def decide(self, simulation: Simulation) -> str:
        """ "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied"."""
        return self.decide_many([simulation])[0]

    def decide_many(self, simulations: list[Simulation]) -> list[str]:
        answers = self.try_many(simulations)
        refused = [(s, a) for s, a in zip(simulations, answers, strict=True) if a not in DECISIONS]
        if refused:
            simulation, why = refused[0]
            raise OracleError(
                f"the oracle refused {len(refused)} simulation(s), first {json.dumps(simulation)}: {why}"
            )
        return answers

    def try_many(self, simulations: list[Simulation]) -> list[str]:
        """Like decide_many, but a refused simulation answers with the oracle's reason instead of raising."""
        lines = [json.dumps(s, sort_keys=True, separators=(",", ":")) for s in simulations]
        missing = list(dict.fromkeys(line for line in lines if line not in self._cache))
        if missing:
            for line, answer in zip(missing, self._ask(missing), strict=True):
                self._cache[line] = answer
        return [self._cache[line] for line in lines]

    def _ask(self, lines: list[str]) -> list[str]:
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        # Write from another thread: the runner answers while we still send, and a full pipe each way would
        # otherwise deadlock both processes.
        failure: list[BaseException] = []

        def send() -> None:
            try:
                stdin.write("".join(line + "\n" for line in lines))
                stdin.flush()
            except OSError as exc:
                failure.append(exc)

        writer = threading.Thread(target=send, daemon=True)
        writer.start()
        answers = []
        for _ in lines:  # every answer is read, refusals too: the next batch must start in step
            raw = stdout.readline()
            if not raw:
                writer.join()
                raise OracleError(f"the oracle process ended: {self._died()}")
            answer = json.loads(raw)
            result = answer.get("result")
            answers.append(result if result in DECISIONS else json.dumps(answer.get("error", answer)))
        writer.join()
        if failure:
            raise OracleError(f"writing to the oracle failed: {failure[0]}")
        self.asked += len(lines)
        return answers

    def _died(self) -> str:
        code = self._process.wait(timeout=5)
        self._stderr.seek(0)
        return f"exit status {code}; stderr: {self._stderr.read().strip()[-2000:]}"

    def close(self) -> None:
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe is not None:
                pipe.close()
        self._process.wait(timeout=10)
        self._stderr.close()
