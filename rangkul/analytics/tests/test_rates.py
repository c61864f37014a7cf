"""Coverage rates against the workforce, and the open data, on a hand-counted population."""

from __future__ import annotations

import csv
import datetime as dt
import io

import duckdb
import pytest
from django.urls import reverse
from openpyxl import load_workbook

from conftest import PASSWORD
from rangkul.analytics.models import CoverageAreaCount
from rangkul.analytics.rates import coverage_national, coverage_rate_series, coverage_rates
from rangkul.analytics.services import coverage_snapshot_take
from rangkul.audit.actors import Actor
from rangkul.contributions.models import MemberStatus
from rangkul.regions.workforce import COLUMNS, workforce_release_load
from rangkul.registry.models import Worker
from rangkul.registry.tests.factories import worker_create

DAY = dt.date(2026, 10, 31)
RELEASE = "\n".join(
    [
        ",".join(COLUMNS),
        "national,ID,bps_informal,2024-08,1000,57.95,,BPS Sakernas Agustus 2024,",
        "national,ID,bpu_target,2025-02,600,,,BPJS Ketenagakerjaan Februari 2025,",
        "province,33,bps_informal,2023-02,,40,1000,BPS Sakernas Februari 2023,",
        "province,94,bps_informal,2023-02,,85.18,,BPS Sakernas Februari 2023,",
        "regency,33.74,bps_informal,2023-08,120,,,BPS Kota Semarang,",
    ]
)


def _member(village: str, status: str | None) -> None:
    worker = worker_create(village_code=village)
    if status:
        MemberStatus.objects.create(worker=worker, status=status, since=DAY)


@pytest.fixture
def population(regions):
    """Kota Semarang: 12 active, 2 in arrears; Kab. Semarang: 1 active; Merauke (Papua): 3 active, 1 registered."""
    for _ in range(12):
        _member("33.74.01.1001", "active")
    for _ in range(2):
        _member("33.74.02.1001", "in_arrears")
    _member("33.22.01.2001", "active")
    for _ in range(3):
        _member("94.01.01.1001", "active")
    _member("94.01.01.1001", None)
    workforce_release_load(actor=Actor.system("test"), text=RELEASE, version="test-2024-08", title="Uji")


@pytest.fixture
def open_population(population):
    """As ``population``, with 10 active members in Jakarta Pusat and 10 more in Kab. Semarang, so that the
    open data publishes Jawa Tengah and both its regencies (Papua and Jakarta are hidden)."""
    for _ in range(10):
        _member("31.71.01.1001", "active")
        _member("33.22.01.2001", "active")


def test_the_snapshot_keeps_members_and_active_members_per_area(population):
    snapshot = coverage_snapshot_take(day=DAY)
    areas = {row.code: (row.members, row.active) for row in CoverageAreaCount.objects.filter(snapshot=snapshot)}
    assert areas == {
        "ID": (19, 16),
        "33": (15, 13),
        "33.74": (14, 12),
        "33.22": (1, 1),
        "94": (4, 3),
        "94.01": (4, 3),
    }


def test_rates_by_province_and_regency_against_the_published_figures(population):
    snapshot = coverage_snapshot_take(day=DAY)
    provinces = {row.code: row for row in coverage_rates(snapshot=snapshot, level="province")}
    assert set(provinces) == {"31", "33", "94"}  # every province, members or not
    assert provinces["33"].workforce_informal == 400  # derived: 1,000 employed × 40 %
    assert provinces["33"].figure is not None and provinces["33"].figure.derived
    assert provinces["33"].rate == pytest.approx(13 / 400)
    assert provinces["94"].workforce_informal is None and provinces["94"].rate is None  # a share, no count
    assert provinces["31"].figure is None and provinces["31"].members_active == 0

    regencies = {row.code: row for row in coverage_rates(snapshot=snapshot, level="regency", parent="33")}
    assert set(regencies) == {"33.22", "33.74"}
    assert regencies["33.74"].rate == pytest.approx(12 / 120)
    assert regencies["33.22"].rate is None

    national = coverage_national(snapshot=snapshot)
    assert national.bps_percent == pytest.approx(16 / 1000 * 100)
    assert national.target_percent == pytest.approx(16 / 600 * 100)


def test_the_rate_over_time_takes_each_months_last_snapshot(population):
    coverage_snapshot_take(day=dt.date(2026, 9, 15))
    MemberStatus.objects.filter(status="in_arrears").update(status="active")
    coverage_snapshot_take(day=dt.date(2026, 9, 30))
    MemberStatus.objects.filter(worker__village_id="94.01.01.1001").update(status="ended")
    coverage_snapshot_take(day=DAY)
    national = coverage_rate_series()
    assert [(p.month, p.day, p.members_active) for p in national] == [
        (dt.date(2026, 9, 1), dt.date(2026, 9, 30), 18),
        (dt.date(2026, 10, 1), DAY, 15),
    ]
    assert national[1].rate_percent == pytest.approx(1.5)
    semarang = coverage_rate_series(code="33.74")
    assert [p.rate_percent for p in semarang] == [pytest.approx(14 / 120 * 100), pytest.approx(14 / 120 * 100)]


def test_open_data_endpoint_is_public_and_suppresses_small_cells(open_population, client):
    coverage_snapshot_take(day=DAY)
    response = client.get("/api/v1/open/coverage", {"level": "province"})
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert rows["33"] == {
        "code": "33",
        "name": "JAWA TENGAH",
        "members_active": 23,
        "workforce_informal": 400,
        "coverage_rate": 0.0575,
        "as_of": "2026-10-31",
    }
    # Three active members in Papua: suppressed, and so is the rate; the workforce is not personal.
    # Jakarta's ten are hidden with them: otherwise Papua's three would be the nation's total less the rest.
    assert rows["94"]["members_active"] is None and rows["94"]["coverage_rate"] is None
    assert rows["31"]["members_active"] is None and rows["31"]["workforce_informal"] is None

    regencies = client.get("/api/v1/open/coverage", {"level": "regency", "parent": "33"}).json()
    assert [(r["code"], r["members_active"], r["coverage_rate"]) for r in regencies] == [
        ("33.22", 11, None),
        ("33.74", 12, 0.1),
    ]
    all_regencies = client.get("/api/v1/open/coverage", {"level": "regency"}).json()
    assert [r["code"] for r in all_regencies] == ["31.71", "33.22", "33.74", "94.01"]


def test_open_data_refuses_bad_parameters_with_a_clear_message(population, client):
    coverage_snapshot_take(day=DAY)
    bad_level = client.get("/api/v1/open/coverage", {"level": "village"})
    assert bad_level.status_code == 422 and "level" in bad_level.json()["fields"]
    assert "province atau regency" in bad_level.json()["message"]
    bad_parent = client.get("/api/v1/open/coverage", {"level": "regency", "parent": "77"})
    assert bad_parent.status_code == 422 and "parent" in bad_parent.json()["fields"]
    page = client.get(reverse("open_data:coverage"), {"level": "desa"})
    assert page.status_code == 400 and "province atau regency" in page.content.decode()
    download = client.get(reverse("open_data:coverage_csv"), {"parent": "77"})
    assert download.status_code == 400 and "provinsi" in download.content.decode()


def test_open_data_before_any_snapshot_is_an_empty_list(population, client):
    assert client.get("/api/v1/open/coverage").json() == []
    assert "Belum ada angka cakupan" in client.get(reverse("open_data:coverage")).content.decode()


def test_csv_and_xlsx_downloads_hold_the_same_rows(open_population, client):
    coverage_snapshot_take(day=DAY)
    response = client.get(reverse("open_data:coverage_csv"), {"level": "regency", "parent": "33"})
    assert response["Content-Disposition"] == 'attachment; filename="cakupan-regency-33-2026-10-31.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["code", "name", "members_active", "workforce_informal", "coverage_rate", "as_of", "workforce_release"],
        ["33.22", "KAB. SEMARANG", "11", "", "", "2026-10-31", "test-2024-08"],
        ["33.74", "KOTA SEMARANG", "12", "120", "0.1", "2026-10-31", "test-2024-08"],
    ]
    xlsx = client.get(reverse("open_data:coverage_xlsx"))
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "code" and ["33", "JAWA TENGAH", 23, 400, 0.0575, "2026-10-31", "test-2024-08"] in values
    assert ["94", "PAPUA", None, None, None, "2026-10-31", "test-2024-08"] in values


def test_the_public_page_needs_no_login_and_shows_no_personal_data(open_population, client):
    coverage_snapshot_take(day=DAY)
    page = client.get(reverse("open_data:coverage")).content.decode()
    assert "Data terbuka" in page and "test-2024-08" in page
    assert "JAWA TENGAH" in page and "5,75" in page
    assert "tidak ada angka terbitan" in page  # DKI Jakarta and Papua
    drill = client.get(reverse("open_data:coverage"), {"level": "regency", "parent": "33"}).content.decode()
    assert "KOTA SEMARANG" in drill and "10,00" in drill
    for worker in Worker.objects.all():
        assert worker.full_name not in page and worker.membership_number not in drill


def test_the_rate_page_for_analysts_names_definition_release_and_the_13_percent(population, client, analyst):
    coverage_snapshot_take(day=DAY)
    client.login(username=analyst.username, password=PASSWORD)
    page = client.get(reverse("analytics:rates")).content.decode()
    assert "Tingkat cakupan" in page and "test-2024-08" in page
    assert "BPS Sakernas" in page or "definisi BPS" in page
    assert "1,600" in page  # 16 active of 1,000 BPS informal workers
    assert "2,667" in page  # 16 of the agency's 600
    assert "13 %" in page
    drill = client.get(reverse("analytics:rates"), {"province": "33"}).content.decode()
    assert "KOTA SEMARANG" in drill and "10,000" in drill
    coverage = client.get(reverse("analytics:coverage")).content.decode()
    assert "test-2024-08" in coverage


def test_only_analysts_see_the_rate_page(population, client, partner_admin):
    client.login(username=partner_admin.username, password=PASSWORD)
    assert client.get(reverse("analytics:rates")).status_code == 403


def test_every_page_links_to_the_open_data(client, db):
    landing = client.get("/").content.decode()
    assert reverse("open_data:coverage") in landing and "Data terbuka: cakupan" in landing


def test_the_parquet_download_holds_the_csv_rows_with_types(open_population, client, tmp_path):
    coverage_snapshot_take(day=DAY)
    for query in ({"level": "province"}, {"level": "regency", "parent": "33"}):
        csv_rows = list(csv.reader(io.StringIO(client.get(reverse("open_data:coverage_csv"), query).content.decode())))
        response = client.get(reverse("open_data:coverage_parquet"), query)
        assert response.status_code == 200 and response["Content-Type"] == "application/vnd.apache.parquet"
        assert response["Content-Disposition"].endswith('-2026-10-31.parquet"')
        path = tmp_path / "open.parquet"
        path.write_bytes(response.content)
        with duckdb.connect() as con:
            result = con.execute("SELECT * FROM read_parquet(?) ORDER BY code", [str(path)])
            names = [column[0] for column in result.description]
            rows = result.fetchall()
        assert names == csv_rows[0]
        as_text = [
            ["" if v is None else (v.isoformat() if isinstance(v, dt.date) else str(v)) for v in r] for r in rows
        ]
        assert as_text == csv_rows[1:]
    assert rows[-1] == ("33.74", "KOTA SEMARANG", 12, 120, 0.1, dt.date(2026, 10, 31), "test-2024-08")


def _text(value: object) -> str:
    return "" if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)
