"""The HTML report's tables and cells: every value escaped, and long identifiers given places to wrap.

Cells wrap (long ARNs and emails included) so that every column fits an A4 landscape page and a 1280 px
wide window instead of being cut off at the right edge; a flagged row is highlighted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape


def render_table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], marked: Sequence[bool] = (), css: str = ""
) -> str:
    lines = list(rows)
    if not lines:
        return '<p class="none">none</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        ('<tr class="flag">' if index < len(marked) and marked[index] else "<tr>")
        + "".join(f"<td>{cell(v)}</td>" for v in line)
        + "</tr>"
        for index, line in enumerate(lines)
    )
    opening = f'<table class="{escape(css)}">' if css else "<table>"
    return f"{opening}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def cell(value: object) -> str:
    """Escaped, with a line-break opportunity (<wbr>) after the separators of long identifiers (ARNs,
    emails, paths, state names), so that narrow columns wrap there rather than overflow or split words."""
    return _BREAKS.sub(r"\1<wbr>", escape(text_of(value)))


_BREAKS = re.compile(r"([@./_]|:(?!\d))(?=[^\s<])")


def text_of(value: object) -> str:
    """A value as the report shows it: a dash for none, times in UTC to the second."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)


def share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"
