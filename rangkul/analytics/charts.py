"""Server-rendered SVG charts: no JavaScript, a few kilobytes, readable on a 360 px phone.

Each chart scales to its container (``viewBox``, width 100 %) and is paired on the page with a
table of the same numbers, for screen readers and for copying; the SVG itself is ``aria-hidden``.
Every value put into the markup is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 320
HEIGHT = 180
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 40, 10, 10, 28


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def line_chart(*, points: Sequence[tuple[str, float | None]], unit: str = "%", title: str = "") -> SafeString:
    """A line through ``points`` (label, value); a missing value breaks the line. Empty input gives no SVG."""
    known = [value for _label, value in points if value is not None]
    if not points or not known:
        return SafeString("")
    top = max(known) or 1.0
    top = top * 1.1
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / max(1, len(points) - 1)

    def xy(index: int, value: float) -> tuple[float, float]:
        return PAD_LEFT + index * step, PAD_TOP + plot_h - (value / top) * plot_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-hidden="true" '
        f'xmlns="http://www.w3.org/2000/svg" data-chart="line">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{WIDTH - PAD_RIGHT}" y2="{PAD_TOP + plot_h}" '
        'stroke="#888"/>',
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{PAD_TOP + plot_h}" stroke="#888"/>',
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + 8}" text-anchor="end" font-size="10">'
        f"{_number(top)}{escape(unit)}</text>",
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + plot_h}" text-anchor="end" font-size="10">0</text>',
    ]
    segment: list[str] = []
    segments: list[list[str]] = []
    for index, (_label, value) in enumerate(points):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        x, y = xy(index, value)
        segment.append(f"{x:.1f},{y:.1f}")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#0a6e4f"/>')
    if segment:
        segments.append(segment)
    for line in segments:
        parts.append(f'<polyline fill="none" stroke="#0a6e4f" stroke-width="2" points="{" ".join(line)}"/>')
    for index in sorted({0, len(points) - 1}):
        x, _y = xy(index, 0)
        anchor = "start" if index == 0 and len(points) > 1 else "end"
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}" font-size="10">'
            f"{escape(points[index][0])}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (numbers and escaped labels only)


def heat_map(
    *, rows: Sequence[tuple[str, Sequence[float | None]]], columns: Sequence[str], title: str = ""
) -> SafeString:
    """A grid of shares (0–1): darker is higher; a month not reached yet stays blank."""
    if not rows or not columns:
        return SafeString("")
    cell, left, top = 22, 52, 16
    width = left + cell * len(columns) + 4
    height = top + cell * len(rows) + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-hidden="true" '
        f'xmlns="http://www.w3.org/2000/svg" data-chart="heatmap">',
        f"<title>{escape(title)}</title>",
    ]
    for column, label in enumerate(columns):
        x = left + column * cell + cell / 2
        parts.append(f'<text x="{x:.0f}" y="11" text-anchor="middle" font-size="9">{escape(label)}</text>')
    for line, (label, shares) in enumerate(rows):
        y = top + line * cell
        parts.append(
            f'<text x="{left - 4}" y="{y + cell / 2 + 3:.0f}" text-anchor="end" font-size="9">{escape(label)}</text>'
        )
        for column, share in enumerate(shares[: len(columns)]):
            if share is None:
                continue
            x = left + column * cell
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="#0a6e4f" fill-opacity="{}">'
                    "<title>{} +{}: {}%</title></rect>",
                    x,
                    y,
                    cell - 2,
                    cell - 2,
                    f"{0.08 + 0.92 * max(0.0, min(1.0, share)):.2f}",
                    label,
                    column,
                    round(share * 100),
                )
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (numbers and escaped labels only)
