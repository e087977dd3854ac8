"""The evidence as CSV: one row per review item, the columns of `EvidenceRow` in order, UTF-8, RFC 4180
quoting (`csv` module, CRLF line ends).

Spreadsheet safety: a cell whose first character, after any leading spaces, is `=`, `+`, `-`, `@`, a tab or
a carriage return would be read by Excel, LibreOffice or Google Sheets as a formula (a store name such as
`=HYPERLINK(...)` could run when an auditor opens the file). Such cells get a single quote (`'`) in front,
which spreadsheets show as text and which a program reading the file can strip. Every other cell is written
exactly as stored.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from reviews.evidence.collect import Evidence
from reviews.evidence.model import DecisionFact, columns
from reviews.queries.history import COLUMNS as HISTORY_COLUMNS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    return "'" + cell if cell.lstrip(" ").startswith(FORMULA_STARTS) else cell


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        if all(isinstance(v, DecisionFact) for v in value):
            return "; ".join(v.as_text() for v in value if isinstance(v, DecisionFact))
        if all(isinstance(v, int) for v in value):
            return ", ".join(str(v) for v in value)  # ids (the items one revocation ends)
        return " > ".join(str(v) for v in value)
    return str(value)


def render_csv(evidence: Evidence) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    names = columns()
    writer.writerow(names)
    for row in evidence.rows:
        writer.writerow([neutralise(cell(value)) for value in row.exported().values()])
    return buffer.getvalue().encode("utf-8")


def render_history_csv(evidence: Evidence) -> bytes:
    """The campaign's history (its audit events, one per row and item, in chain order): the columns of
    `recertify audit history --format csv`."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HISTORY_COLUMNS)
    for entry in evidence.history:
        row = entry.as_json()
        writer.writerow([neutralise(cell(row[name])) for name in HISTORY_COLUMNS])
    return buffer.getvalue().encode("utf-8")
