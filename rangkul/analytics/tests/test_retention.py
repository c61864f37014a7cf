"""Retention cohorts, the lapse funnel and their charts, on a hand-counted population."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from rangkul.analytics.charts import heat_map, line_chart
from rangkul.analytics.models import RetentionCohort
from rangkul.analytics.retention import lapse_funnel, retention_cohorts
from rangkul.analytics.services import coverage_snapshot_take
from rangkul.contributions.models import ContributionMonth, JournalEntry
from rangkul.contributions.tests.factories import member
from rangkul.core.periods import Period
from rangkul.registry.models import Worker

DAY = dt.date(2026, 4, 15)


def _paid(worker: Worker, *months: tuple[int, int], programs: tuple[str, ...] = ("JKK", "JKM")) -> None:
    entry = JournalEntry.objects.create(occurred_at=timezone.now(), kind="payment", reference=f"T{worker.pk}")
    for year, month in months:
        for program in programs:
            ContributionMonth.objects.create(
                worker=worker,
                period=Period(year, month).first_day,
                program=program,
                amount_idr=10_000,
                paid_at=timezone.now(),
                covered_from=dt.date(year, month, 1),
                entry=entry,
            )


@pytest.fixture
def cohorts(regions):
    """January 2026: A paid Jan–Apr, B paid Jan, C (ojek) never paid.
    February 2026: D (partner KOP-1, by API) paid Feb–Mar; E paid Mar–May (May is ahead of the snapshot).
    January 2025: F (portal) paid the twelve months of 2025, then stopped."""
    jan, feb = dt.date(2026, 1, 5), dt.date(2026, 2, 10)
    a = member(registered_on=jan)
    _paid(a, (2026, 1), (2026, 2), (2026, 3), (2026, 4))
    b = member(registered_on=jan)
    _paid(b, (2026, 1), programs=("JKK",))
    member(registered_on=jan, occupation_code="ojek_online")
    d = member(registered_on=feb, organisation_code="KOP-1")
    _paid(d, (2026, 2), (2026, 3))
    e = member(registered_on=feb)
    _paid(e, (2026, 3), (2026, 4), (2026, 5))
    f = member(registered_on=dt.date(2025, 1, 5), channel="portal")
    _paid(f, *((2025, month) for month in range(1, 13)))


def test_cohorts_count_who_still_pays_each_month_since_registration(cohorts):
    snapshot = coverage_snapshot_take(day=DAY)
    stored = {row.cohort: (row.members, row.paying) for row in RetentionCohort.objects.filter(snapshot=snapshot)}
    assert stored == {
        dt.date(2025, 1, 1): (1, [1] * 12 + [0] * 4),
        dt.date(2026, 1, 1): (3, [2, 1, 1, 1]),
        dt.date(2026, 2, 1): (2, [1, 2, 1]),  # E's May is after the snapshot's month: not counted
    }
    rows = {row.cohort: row for row in retention_cohorts(snapshot=snapshot)}
    january = rows[dt.date(2026, 1, 1)]
    assert january.shares(6) == [pytest.approx(2 / 3), pytest.approx(1 / 3), pytest.approx(1 / 3), 1 / 3, None, None]
    assert rows[dt.date(2025, 1, 1)].share(12) == 0.0  # the lapse after a year


def test_the_lapse_funnel_in_total_and_by_channel_partner_and_occupation(cohorts):
    snapshot = coverage_snapshot_take(day=DAY)
    _rows, total = lapse_funnel(snapshot=snapshot)
    assert total.steps == [6, 5, 3, 1]
    assert total.shares == [1.0, pytest.approx(5 / 6), 0.5, pytest.approx(1 / 6)]

    by_channel = {row.code: row.steps for row in lapse_funnel(snapshot=snapshot, dimension="channel")[0]}
    assert by_channel == {"office": [4, 3, 2, 0], "api": [1, 1, 0, 0], "portal": [1, 1, 1, 1]}
    partners, _total = lapse_funnel(snapshot=snapshot, dimension="partner")
    assert [(row.code, row.label, row.steps) for row in partners] == [
        ("", "Tanpa mitra", [5, 4, 3, 1]),
        ("kop-1", "kop-1", [1, 1, 0, 0]),  # the registry keeps organisation codes in lower case,
    ]
    occupations = {row.code: row.steps for row in lapse_funnel(snapshot=snapshot, dimension="occupation")[0]}
    assert occupations == {"pedagang": [5, 5, 3, 1], "ojek_online": [1, 0, 0, 0]}


def test_the_retention_page_draws_the_heat_map_beside_its_table(cohorts, client, analyst):
    coverage_snapshot_take(day=DAY)
    client.login(username=analyst.username, password=PASSWORD)
    page = client.get(reverse("analytics:retention"), {"by": "partner"}).content.decode()
    assert 'data-chart="heatmap"' in page and 'aria-hidden="true"' in page
    heat = page[page.index('data-chart="heatmap"') : page.index("</svg>")]
    assert heat.count("<rect") == 13 + 4 + 3  # one cell per month reached, per cohort, up to +12
    assert "01-26 +0: 67%" in heat
    cohorts_table = page[page.index('data-testid="cohorts"') :]
    assert "01-2026" in cohorts_table and "67%" in cohorts_table
    assert "Tanpa mitra" in page and "kop-1" in page
    assert "<script" not in heat


def test_retention_and_funnel_downloads(cohorts, client, analyst):
    coverage_snapshot_take(day=DAY)
    client.login(username=analyst.username, password=PASSWORD)
    rows = list(csv.reader(io.StringIO(client.get(reverse("analytics:retention_csv")).content.decode())))
    assert rows[0][:4] == ["cohort", "members", "month_0", "month_1"]
    assert rows[2][:6] == ["2026-01", "3", "0.6667", "0.3333", "0.3333", "0.3333"] and rows[2][6] == ""
    funnel = client.get(reverse("analytics:funnel_csv"), {"by": "channel"}).content.decode().splitlines()
    assert funnel[0] == "channel,name,registered,paid_once,paid_3,paid_12"
    assert "office,Kantor cabang,4,3,2,0" in funnel and funnel[-1] == ",Jumlah,6,5,3,1"


def test_retention_pages_are_for_analysts_only(cohorts, client, partner_admin):
    client.login(username=partner_admin.username, password=PASSWORD)
    for name in ("analytics:retention", "analytics:retention_csv", "analytics:funnel_csv"):
        assert client.get(reverse(name)).status_code == 403


def test_the_rate_page_draws_its_time_series_with_the_table_and_a_csv(cohorts, client, analyst):
    coverage_snapshot_take(day=dt.date(2026, 3, 31))
    coverage_snapshot_take(day=DAY)
    client.login(username=analyst.username, password=PASSWORD)
    page = client.get(reverse("analytics:rates")).content.decode()
    assert 'data-chart="line"' in page and 'data-testid="rate-series"' in page
    assert "03-2026" in page and "04-2026" in page
    response = client.get(reverse("analytics:rates_csv"))
    lines = response.content.decode().splitlines()
    assert lines[0] == "month,snapshot_day,members_active,workforce_informal,coverage_rate,release"
    assert lines[1].startswith("2026-03,2026-03-31,") and lines[2].startswith("2026-04,2026-04-15,")


def test_charts_escape_labels_and_draw_nothing_without_data():
    assert heat_map(rows=[], columns=["0"]) == ""
    assert line_chart(points=[("01-2026", None)]) == ""
    svg = heat_map(rows=[("<script>", [0.5, None])], columns=["0", "1"], title="<b>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and svg.count("<rect") == 1
    line = line_chart(points=[("a", 1.0), ("b", None), ("c", 3.0)])
    assert line.count("<polyline") == 2 and line.count("<circle") == 2  # the gap breaks the line
