"""The live checks of a deployment (`recertify doctor`, and `serve` at start): their result type, and the
health `serve` reports from them.

The checks themselves live with each adapter (connectors/aws/doctor.py, connectors/entra/doctor.py,
bot/doctor.py) and wiring.py runs them; the domain only defines what a result is, so that every adapter
answers the same way and nothing here imports a provider SDK.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of `recertify doctor`. `fix` says what to change when `ok` is false (the missing IAM action,
    Graph permission or Slack scope, the setting or variable to set). A `warning` passes but is worth
    reading (e.g. a tenant without the licence sign-in activity needs)."""

    source: str  # aws, entra, slack
    name: str  # what was checked, e.g. "iam:GetAccountAuthorizationDetails in 111122223333"
    ok: bool
    detail: str = ""
    fix: str = ""
    warning: bool = False

    def __post_init__(self) -> None:
        if not self.ok and not self.fix:
            raise ValueError(f"a failed check names its fix: {self.source} {self.name}")

    @property
    def label(self) -> str:
        return f"{self.source}: {self.name}"


def failed(results: Sequence[CheckResult]) -> list[CheckResult]:
    return [result for result in results if not result.ok]


@dataclass
class Health:
    """What `/healthz` answers, from the last run of the checks. Thread-safe: the HTTP server reads it while
    the re-check thread replaces it. Until the first run ends it is not healthy ("starting")."""

    allow_degraded: bool = False
    _results: tuple[CheckResult, ...] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, results: Sequence[CheckResult]) -> None:
        with self._lock:
            self._results = tuple(results)

    def failing(self) -> list[CheckResult]:
        with self._lock:
            return failed(self._results or ())

    def report(self) -> tuple[bool, dict[str, object]]:
        """(healthy, the JSON body). Failing checks make it unhealthy unless a degraded start was allowed
        (`[serve] allow_degraded_start`), when they are listed as `degraded` and it stays healthy."""
        with self._lock:
            results = self._results
        if results is None:
            return False, {"status": "starting"}
        failing = [_entry(result) for result in failed(results)]
        if not failing:
            return True, {"status": "ok"}
        if self.allow_degraded:
            return True, {"status": "degraded", "degraded": failing}
        return False, {"status": "failing", "failing": failing}


def _entry(result: CheckResult) -> dict[str, str]:
    return {"check": result.label, "detail": result.detail, "fix": result.fix}
