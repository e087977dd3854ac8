"""Work after the acknowledgement, off Bolt's listener threads, one item at a time.

Slack wants an answer within 3 s, and a campaign's reviewers press at once. Bolt acknowledges a press only
when a listener thread runs it, and every Python thread shares one interpreter lock: when each listener went
on to record its decision and redraw the message, 50 simultaneous presses were acknowledged after up to
0.6 s, and a redraw meeting `chat.update`'s limit (Tier 3, about 50 a minute) slept for `Retry-After` in the
thread the next press needed (bench/slack.py). So listeners only acknowledge and check what must be checked
at once (a modal needs its trigger within 3 s); decisions then run on one worker (they serialize on the
audit chain's head anyway), and redraws on another, where a message waiting to be redrawn is drawn once
however many presses arrive meanwhile: the redraw reads the database when it runs, so the latest state wins.

What is queued lives in memory: a process killed after the acknowledgement loses the presses not yet
recorded, as it would have with the work in the listener; the digest then still shows them pending and the
reviewer presses again (the decision's request key makes a repeat of a recorded press harmless).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable

logger = logging.getLogger(__name__)


class SerialWorker:
    """Runs queued work in arrival order on one thread; at most one pending piece of work per key (a later
    request for a pending key replaces it)."""

    def __init__(self, name: str) -> None:
        self._pending: dict[Hashable, Callable[[], None]] = {}
        self._busy = 0
        self._changed = threading.Condition()
        self._name = name
        self._worker: threading.Thread | None = None

    def request(self, key: Hashable, work: Callable[[], None]) -> None:
        with self._changed:
            self._pending[key] = work
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._worker.start()
            self._changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is pending or running (tests, and a graceful stop)."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._pending and not self._busy, timeout)

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._pending))
                key = next(iter(self._pending))
                work = self._pending.pop(key)
                self._busy += 1
            try:
                work()
            except Exception:  # noqa: BLE001  (one failure must not stop the work queued behind it)
                logger.exception("%s: work for %s failed", self._name, key)
            finally:
                with self._changed:
                    self._busy -= 1
                    self._changed.notify_all()
