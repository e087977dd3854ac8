"""Inline SVG charts for the HTML report: drawn here as text, so the report needs no script, no library and
no network. Every label is escaped; colours are fixed per category so charts read the same everywhere."""

from __future__ import annotations

from html import escape

COLOURS = {  # the outcome words (reviews.outcomes), then completion's categories
    "kept": "#2e7d32",
    "revoked": "#c62828",
    "revoking": "#e57373",
    "decided revoke": "#ffcdd2",
    "held": "#f9a825",
    "refused": "#ef6c00",
    "left to a person": "#ffb74d",
    "survived": "#6d4c41",
    "failed": "#4e342e",
    "undone": "#1565c0",
    "expired": "#757575",
    "pending": "#bdbdbd",
    "on time": "#2e7d32",
    "late": "#f9a825",
    "by policy": "#6a1b9a",
    "undecided": "#bdbdbd",
}
LABEL_WIDTH, BAR_WIDTH, ROW_HEIGHT = 220, 480, 26


def stacked_bars(title: str, bars: list[tuple[str, list[tuple[str, int]]]]) -> str:
    """One horizontal bar per label, split into (category, count) segments, scaled to the largest total."""
    largest = max((sum(n for _, n in segments) for _, segments in bars), default=0) or 1
    height = ROW_HEIGHT * len(bars) + 30
    parts = [_open(title, LABEL_WIDTH + BAR_WIDTH + 60, height)]
    for index, (label, segments) in enumerate(bars):
        y = 4 + index * ROW_HEIGHT
        parts.append(_text(LABEL_WIDTH - 6, y + 15, _clip(label), anchor="end"))
        x = float(LABEL_WIDTH)
        for category, count in segments:
            if count <= 0:
                continue
            width = BAR_WIDTH * count / largest
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{ROW_HEIGHT - 6}" '
                f'fill="{COLOURS.get(category, "#90a4ae")}"><title>{escape(category)}: {count}</title></rect>'
            )
            x += width
        parts.append(_text(x + 4, y + 15, str(sum(n for _, n in segments))))
    shown = dict.fromkeys(c for _, segments in bars for c, n in segments if n > 0)  # in order of appearance
    parts.append(_legend(list(shown), height - 8))
    parts.append("</svg>")
    return "".join(parts)


def histogram(title: str, buckets: list[tuple[str, int]]) -> str:
    """Vertical bars, one per bucket."""
    largest = max((n for _, n in buckets), default=0) or 1
    column, top, plot = 90, 20, 140
    parts = [_open(title, column * len(buckets) + 20, top + plot + 40)]
    for index, (label, count) in enumerate(buckets):
        x = 10 + index * column
        bar = plot * count / largest
        parts.append(
            f'<rect x="{x + 15}" y="{top + plot - bar:.1f}" width="{column - 30}" height="{bar:.1f}" '
            f'fill="#1565c0"><title>{escape(label)}: {count}</title></rect>'
        )
        parts.append(_text(x + column / 2, top + plot - bar - 4, str(count), anchor="middle"))
        parts.append(_text(x + column / 2, top + plot + 16, label, anchor="middle"))
    parts.append("</svg>")
    return "".join(parts)


def _open(title: str, width: float, height: float) -> str:
    return (
        f'<svg role="img" width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'font-family="sans-serif" font-size="12"><title>{escape(title)}</title>'
    )


def _legend(categories: list[str], y: float) -> str:
    parts, x = [], float(LABEL_WIDTH)
    for category in categories:
        parts.append(
            f'<rect x="{x:.0f}" y="{y - 10:.0f}" width="10" height="10" '
            f'fill="{COLOURS.get(category, "#90a4ae")}"/>'
        )
        parts.append(_text(x + 14, y, category.replace("_", " ")))
        x += 24 + 7 * len(category)
    return "".join(parts)


def _text(x: float, y: float, text: str, *, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'


def _clip(label: str, limit: int = 32) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
