"""How long a reviewer's justification may be, enforced where it is recorded (CLI and Slack alike).

The text is stored twice, in the decision and in the audit event's payload, and shown in evidence exports
and in the notice to the person whose access was removed: a client that sends half a megabyte must be
refused, not trusted. 3,000 characters is Slack's own ceiling for a modal's text input, so anything the
Slack client accepts is accepted here too.
"""

from __future__ import annotations

from reviews.errors import InvalidArgument

JUSTIFICATION_MAX = 3_000


def checked_justification(text: str | None) -> str | None:
    """The justification as recorded (trimmed; None when empty). InvalidArgument when it is too long."""
    trimmed = (text or "").strip()
    if len(trimmed) > JUSTIFICATION_MAX:
        raise InvalidArgument(too_long(len(trimmed)))
    return trimmed or None


def too_long(length: int) -> str:
    return f"a justification is at most {JUSTIFICATION_MAX:,} characters; this one has {length:,}"
