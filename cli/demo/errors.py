"""The demo's two failures: what a step raises when the product did not do what it should (`Unexpected`), and
what the command reports, naming the step (`DemoFailed`, exit status 1)."""

from __future__ import annotations

from reviews.errors import RecertifyError


class DemoFailed(RecertifyError):
    """A step of the demo did not produce what it should; the message names the step."""


class Unexpected(Exception):
    """Raised inside a step: what was expected and what happened. The step adds its own name."""
