"""The province map: every province drawn, coloured from its rate, named for screen readers, beside a table."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from conftest import PASSWORD
from rangkul.analytics.maps import CLASSES, MAP_FILE, NO_FIGURE, colour_for, map_areas, map_shapes, province_map
from rangkul.analytics.rates import AreaRate
from rangkul.analytics.services import coverage_snapshot_take
from rangkul.analytics.tests.test_rates import DAY, population  # noqa: F401 (a fixture)
from rangkul.regions.models import WorkforceFigure

# The 38 provinces of the Kemendagri list since 2022.
PROVINCES_2022 = set(
    re.findall(
        r"\d\d",
        "11 12 13 14 15 16 17 18 19 21 31 32 33 34 35 36 51 52 53 61 62 63 64 65"
        " 71 72 73 74 75 76 81 82 91 92 93 94 95 96",
    )
)


def _row(code: str, active: int, workforce: int | None) -> AreaRate:
    figure = WorkforceFigure(informal_workers=workforce) if workforce is not None else None
    return AreaRate(code=code, name=f"P{code}", members=active, members_active=active, figure=figure)


def test_every_province_of_the_kemendagri_list_has_a_shape_and_the_file_stays_small():
    shapes = map_shapes()["shapes"]
    codes = [code for shape in shapes for code in shape["codes"]]
    assert sorted(codes) == sorted(PROVINCES_2022)  # each once
    assert len(shapes) == 34  # the four 2022 provinces sit inside Papua and Papua Barat
    assert all(re.fullmatch(r"(m[-0-9. ]+z)+", shape["path"]) for shape in shapes)
    assert MAP_FILE.stat().st_size < 40_000
    licence = (Path(MAP_FILE).parent / "LICENSE-provinces.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in licence and "Attribution 4.0 International" in licence


@pytest.mark.parametrize(
    ("rate", "colour"),
    [(None, NO_FIGURE), (0.0, CLASSES[0][1]), (4.99, CLASSES[0][1]), (5.0, CLASSES[1][1]), (13.0, CLASSES[2][1]),
     (24.9, CLASSES[3][1]), (25.0, CLASSES[4][1]), (180.0, CLASSES[4][1])],
)  # fmt: skip
def test_colour_classes(rate, colour):
    assert colour_for(rate) == colour


def test_the_svg_colours_each_shape_from_its_rate_and_joins_the_split_provinces():
    rows = [_row("33", 130, 1000), _row("32", 30, 1000), _row("91", 50, 1000), _row("93", 40, None)]
    rows += [_row("94", 0, None), _row("92", 20, 100), _row("96", 10, 100)]
    areas = {area.shape: area for area in map_areas(rows)}
    assert areas["id-jt"].rate_percent == 13.0 and areas["id-jt"].colour == CLASSES[2][1]
    assert areas["id-jb"].colour == CLASSES[0][1]
    # Papua Selatan has members but no figure: the joined shape shows no rate rather than a wrong one.
    assert areas["id-pa"].members_active == 90 and areas["id-pa"].rate_percent is None
    assert areas["id-pa"].colour == NO_FIGURE and areas["id-pa"].code == "91"
    assert areas["id-pb"].rate_percent == 15.0 and areas["id-pb"].colour == CLASSES[3][1]
    assert areas["id-ac"].colour == NO_FIGURE  # no row at all

    with translation.override("en"):
        svg = str(
            province_map(
                areas=list(areas.values()), title="Peta <cakupan>", description="Uraian", href=lambda c: f"?p={c}"
            )
        )
    assert svg.count("<path") == 34 and svg.count("<a ") == 34
    assert 'aria-labelledby="map-title map-desc"' in svg
    assert '<title id="map-title">Peta &lt;cakupan&gt;</title><desc id="map-desc">Uraian</desc>' in svg
    jateng = re.search(r'<a href="\?p=33" data-province="33"><title>([^<]*)</title><path d="[^"]+" fill="([^"]+)"', svg)
    assert jateng is not None and jateng.groups() == ("P33: coverage rate 13.00 %", CLASSES[2][1])
    assert "<script" not in svg


def test_the_rate_page_draws_the_map_beside_its_table_and_a_csv(population, client, analyst):  # noqa: F811
    coverage_snapshot_take(day=DAY)
    client.login(username=analyst.username, password=PASSWORD)
    page = client.get(reverse("analytics:rates")).content.decode()
    svg = page[page.index('data-chart="map"') : page.index("</svg>", page.index('data-chart="map"'))]
    assert svg.count("<path") == 34
    assert 'href="?province=33"' in svg  # drilling into a province
    table = page[page.index('data-testid="map-table"') :]
    assert "JAWA TENGAH" in table and "3,250" in table  # 13 active of 400 (40 % of 1,000 employed)
    assert "Papua Selatan" in page  # the note on the provinces drawn inside their parent
    assert "CC BY 4.0" in page
    regencies = client.get(reverse("analytics:rates"), {"province": "33"}).content.decode()
    assert 'data-chart="map"' not in regencies and "KOTA SEMARANG" in regencies

    rows = list(csv.reader(io.StringIO(client.get(reverse("analytics:map_csv")).content.decode())))
    assert rows[0] == ["code", "codes", "name", "members_active", "workforce_informal", "coverage_rate", "colour"]
    by_code = {row[0]: row for row in rows[1:]}
    assert len(rows) == 35 and by_code["33"][3:] == ["13", "400", "0.032500", CLASSES[0][1]]
