"""The evidence as one JSON document: the campaign, the audit head it was read at, the summary, reviewer
quality with its rules, every item (the CSV's fields, with the path and the decision history as lists), and
the campaign's history: every audit event about it, told one by one in chain order.
Written compactly, UTF-8."""

from __future__ import annotations

import json

from reviews.evidence.collect import Evidence
from reviews.evidence.model import FORMAT_VERSION
from reviews.evidence.quality import QualityReport
from reviews.evidence.summary import summary_json


def render_json(evidence: Evidence, quality: QualityReport) -> bytes:
    rows = list(evidence.rows)
    body = {
        "format": FORMAT_VERSION,
        "campaign": evidence.campaign.as_json(),
        "audit_head": str(evidence.audit_head),
        "exported_at": evidence.exported_at.isoformat(),
        "exported_by": evidence.exported_by,
        "summary": summary_json(rows, evidence.campaign.due_at),
        "reviewer_quality": quality.as_json(),
        "items": [row.as_json() for row in rows],
        "history": [entry.as_json() for entry in evidence.history],  # the audit events, in chain order
    }
    # Compact: 100,000 items indented would be half whitespace (use `jq .` to read it).
    text = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")
