"""Waiting for the bot: it acknowledges a press at once and does the work after, so the demo polls for the
work's result rather than trusting the acknowledgement."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

WAIT_SECONDS = 20.0  # for the bot's work after it acknowledged a press
T = TypeVar("T")


def eventually(check: Callable[[], T | None], what: str, timeout: float = WAIT_SECONDS) -> T:
    """The bot acknowledges first and works after (Slack's 3 s): wait for the work, not for the answer."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except LookupError:  # not there yet: the message, the reply, the modal
            found = None
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"no sign of {what} after {timeout:.0f} s")
        time.sleep(0.02)
