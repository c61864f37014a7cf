"""The province map: a server-rendered SVG choropleth coloured by coverage rate, no JavaScript.

Shapes come from ``data/provinces.json`` (simplified from ``@svg-maps/indonesia``, CC BY 4.0; see
``data/LICENSE-provinces.md``). Each shape names the Kemendagri codes it covers: provinces created
after the map was drawn (Papua Selatan, Papua Tengah, Papua Pegunungan, Papua Barat Daya) are
coloured with their parent, from the members and workforce of all of them together. The SVG carries a
title and a description for screen readers, and each province is a link to its regencies; the page
puts a table of the same numbers beside it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from rangkul.analytics.rates import AreaRate

MAP_FILE = Path(__file__).parent / "data" / "provinces.json"
# Upper bounds (coverage rate, %) of the colour classes, lightest first; ColorBrewer "Greens".
CLASSES: tuple[tuple[float, str], ...] = (
    (5.0, "#edf8e9"),
    (10.0, "#bae4b3"),
    (15.0, "#74c476"),
    (25.0, "#31a354"),
    (float("inf"), "#006d2c"),
)
NO_FIGURE = "#d4d4d4"


@cache
def map_shapes() -> dict[str, Any]:
    return json.loads(MAP_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def colour_for(rate_percent: float | None) -> str:
    if rate_percent is None:
        return NO_FIGURE
    for upper, colour in CLASSES:
        if rate_percent < upper:
            return colour
    return CLASSES[-1][1]  # pragma: no cover (the last bound is infinite)


def legend() -> list[tuple[str, str]]:
    """(colour, label) for each class, then the colour of "no published figure"."""
    rows, lower = [], 0.0
    for upper, colour in CLASSES:
        if upper == float("inf"):
            rows.append((colour, _("%(low)s %% or more") % {"low": f"{lower:g}"}))
        else:
            rows.append((colour, _("%(low)s to under %(high)s %%") % {"low": f"{lower:g}", "high": f"{upper:g}"}))
        lower = upper
    return [*rows, (NO_FIGURE, _("no published figure"))]


@dataclass
class MapArea:
    """One shape: the provinces it covers, their active members and informal workers together."""

    shape: str
    code: str  # the province the shape links to: the first of ``codes`` in the region list
    codes: list[str]
    name: str
    members_active: int
    workforce_informal: int | None
    path: str

    @property
    def rate_percent(self) -> float | None:
        return self.members_active / self.workforce_informal * 100 if self.workforce_informal else None

    @property
    def colour(self) -> str:
        return colour_for(self.rate_percent)

    @property
    def label(self) -> str:
        rate = self.rate_percent
        if rate is None:
            return _("%(name)s: no published figure") % {"name": self.name}
        return _("%(name)s: coverage rate %(rate)s %%") % {"name": self.name, "rate": f"{rate:.2f}"}


def map_areas(rows: Sequence[AreaRate]) -> list[MapArea]:
    """The map's shapes with the rates of the province rows they cover.

    A shape's rate is shown only when every province under it that has members has a published figure.
    """
    by_code = {row.code: row for row in rows}
    areas = []
    for shape in map_shapes()["shapes"]:
        covered = [by_code[code] for code in shape["codes"] if code in by_code]
        active = sum(row.members_active for row in covered)
        figures = [row.workforce_informal for row in covered]
        complete = bool(covered) and all(
            figure is not None for row, figure in zip(covered, figures, strict=True) if row.members_active
        )
        workforce = sum(figure for figure in figures if figure is not None) if complete else None
        # The link and the name follow the first code the region list knows (91 before 93–95).
        main = covered[0] if covered else None
        areas.append(
            MapArea(
                shape=shape["id"],
                code=main.code if main is not None else shape["codes"][0],
                codes=list(shape["codes"]),
                name=main.name if main is not None else shape["name"],
                members_active=active,
                workforce_informal=workforce or None,
                path=shape["path"],
            )
        )
    return areas


def province_map(*, areas: Sequence[MapArea], title: str, description: str, href: Callable[[str], str]) -> SafeString:
    """The SVG; each province a link (``href(code)``) named by its rate, filled with its class colour."""
    shapes = map_shapes()
    parts: list[str] = [
        format_html(
            '<svg class="chart map" viewBox="{}" width="100%" xmlns="http://www.w3.org/2000/svg" '
            'aria-labelledby="map-title map-desc" data-chart="map">'
            '<title id="map-title">{}</title><desc id="map-desc">{}</desc>',
            shapes["viewBox"],
            title,
            description,
        )
    ]
    for area in areas:
        parts.append(
            format_html(
                '<a href="{}" data-province="{}"><title>{}</title>'
                '<path d="{}" fill="{}" stroke="#ffffff" stroke-width="0.4"/></a>',
                href(area.code),
                area.code,
                area.label,
                area.path,
                area.colour,
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every value above went through format_html)
