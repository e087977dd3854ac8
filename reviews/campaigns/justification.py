"""How long a reviewer's justification may be, enforced where it is recorded (CLI and Slack alike).

The text is stored twice, in the decision and in the audit event's payload, and shown in evidence exports
and in the notice to the person whose access was removed: a client that sends half a megabyte must be
refused, not trusted. 3,000 characters is Slack's own ceiling for a modal's text input, so anything the
Slack client accepts is accepted here too.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from reviews.errors import InvalidArgument
from reviews.storage.models import DecisionOutcome, ItemStatus, ReviewItem

JUSTIFICATION_MAX = 3_000


def checked_justification(text: str | None) -> str | None:
    """The justification as recorded (trimmed; None when empty). InvalidArgument when it is too long."""
    trimmed = (text or "").strip()
    if len(trimmed) > JUSTIFICATION_MAX:
        raise InvalidArgument(too_long(len(trimmed)))
    return trimmed or None


def too_long(length: int) -> str:
    return f"a justification is at most {JUSTIFICATION_MAX:,} characters; this one has {length:,}"


def needs_justification(outcome: DecisionOutcome, *, justification_required: bool) -> bool:
    """The rule, decided here only: keeping an item marked `justification_required` (its store's
    classification is in the cycle's `justification_required_for`) needs a reason; revoking never does."""
    return outcome is DecisionOutcome.KEEP and justification_required


def asks_for_justification(engine: Engine, *, item_id: int, outcome: DecisionOutcome) -> bool:
    """Whether a chat should ask for the reason before recording this press: the rule applies and the item
    is still pending (a press on a decided item goes straight to `record_decision`, which answers it)."""
    if not needs_justification(outcome, justification_required=True):
        return False  # whatever the item: no need to read it
    with Session(engine) as session:
        item = session.get(ReviewItem, item_id)
        return item is not None and item.justification_required and item.status == ItemStatus.PENDING
