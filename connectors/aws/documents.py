"""Policy documents as AWS hands them over: parsed JSON when they parse, the raw text when they do not.

Text that is not a JSON object is kept, never dropped: the evaluator marks what it cannot read for human
review (DESIGN §3.6), which it could not do for a policy that silently vanished here.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from connectors.aws.inventory import PolicyDocument

logger = logging.getLogger(__name__)


def decode(value: Any, *, url_encoded: bool = False) -> PolicyDocument:
    """IAM sends documents URL-encoded; botocore decodes those that parse and leaves the rest encoded, so
    `url_encoded` text is unquoted before keeping it. S3, DynamoDB and Organizations send plain JSON text."""
    if isinstance(value, dict):
        return value
    text = unquote(value) if url_encoded else str(value)
    try:
        parsed = json.loads(text)
    except ValueError:
        logger.info("a policy document is not valid JSON; kept as text for human review")
        return text
    if isinstance(parsed, dict):
        return parsed
    return text  # valid JSON but not a policy object (a list, a string): the evaluator flags it


def utc(value: datetime | None) -> datetime | None:
    """botocore parses timestamps in the local zone (moto) or UTC (AWS); compare them in UTC."""
    return value.astimezone(UTC) if value is not None else None


def tag_pairs(tags: list[dict[str, str]] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((tag["Key"], tag["Value"]) for tag in tags or ()))
