"""An analyst on a phone, JavaScript off and on: a coverage snapshot, narrowed to a province, downloaded."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from conftest import PASSWORD
from rangkul.analytics.services import coverage_snapshot_take
from rangkul.audit.actors import Actor
from rangkul.contributions.models import MemberStatus
from rangkul.regions.workforce import COLUMNS, workforce_release_load
from rangkul.registry.tests.factories import worker_create
from tests.browser.conftest import PHONE_VIEWPORT, _context, assert_accessible, scripts_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RELEASE = "\n".join(
    [
        ",".join(COLUMNS),
        "national,ID,bps_informal,2024-08,1000,57.95,,BPS Sakernas Agustus 2024,",
        "province,33,bps_informal,2023-02,,40,1000,BPS Sakernas Februari 2023,",
        "regency,33.74,bps_informal,2023-08,120,,,BPS Kota Semarang,",
    ]
)


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def analyst_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    options = {"viewport": PHONE_VIEWPORT, "has_touch": True, "is_mobile": True, "java_script_enabled": request.param}
    for context in _context(browser, request, locale="id-ID", **options):
        yield context.new_page()


def test_analyst_reads_coverage_on_a_phone(live_server, analyst_page: Page, analyst, regions) -> None:
    paid = worker_create(village_code="33.74.01.1001")
    MemberStatus.objects.create(worker=paid, status="active", since=dt.date(2026, 11, 1))
    worker_create(village_code="33.22.01.2001", occupation_code="petani")

    page = analyst_page
    page.goto(live_server.url + "/akun/masuk/")
    page.get_by_label("Nama pengguna").fill(analyst.username)
    page.get_by_label("Sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/office/$"))
    assert_accessible(page)
    page.get_by_role("link", name="Cakupan", exact=True).click()
    expect(page.get_by_test_id("no-snapshot")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Ambil potret sekarang").click()
    expect(page.get_by_test_id("snapshot-info")).to_contain_text("2 peserta")
    table = page.get_by_test_id("coverage-by-area")
    expect(table.get_by_role("row", name=re.compile("JAWA TENGAH"))).to_contain_text("50,0")
    assert_accessible(page)

    if scripts_run(page):
        page.wait_for_function("() => window.htmx !== undefined")
    page.get_by_label("Provinsi", exact=True).select_option("33")
    page.get_by_role("button", name="Tampilkan").click()
    expect(page.get_by_role("heading", name="Per kabupaten/kota")).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("KOTA SEMARANG"))).to_contain_text("100,0")
    expect(page).to_have_url(re.compile(r"province=33"))
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh CSV").click()
    assert download.value.suggested_filename.startswith("cakupan-")


def test_analyst_opens_the_map_drills_into_a_province_and_the_public_reads_the_open_data(
    live_server, analyst_page: Page, analyst, regions
) -> None:
    for _ in range(12):
        worker = worker_create(village_code="33.74.01.1001")
        MemberStatus.objects.create(worker=worker, status="active", since=dt.date(2026, 11, 1))
    for village in ["33.22.01.2001"] * 10 + ["31.71.01.1001"] * 10:
        worker = worker_create(village_code=village)
        MemberStatus.objects.create(worker=worker, status="active", since=dt.date(2026, 11, 1))
    workforce_release_load(actor=Actor.system("test"), text=RELEASE, version="uji-2024-08", title="Uji")
    coverage_snapshot_take()

    page = analyst_page
    page.goto(live_server.url + "/akun/masuk/")
    page.get_by_label("Nama pengguna").fill(analyst.username)
    page.get_by_label("Sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/office/$"))
    page.goto(live_server.url + "/office/analitik/tingkat/")
    coverage_map = page.get_by_test_id("coverage-map").locator("svg")
    expect(coverage_map).to_be_visible()
    expect(coverage_map.locator("a")).to_have_count(34)
    expect(page.get_by_test_id("map-table").get_by_role("row", name=re.compile("JAWA TENGAH"))).to_contain_text("5,500")
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh data peta (CSV)").click()
    assert download.value.suggested_filename.startswith("peta-cakupan-")
    assert "JAWA TENGAH" in Path(download.value.path()).read_text(encoding="utf-8")

    # Drilling in from the map itself: the province is a link (keyboard or tap), no JavaScript needed.
    coverage_map.locator('a[data-province="33"]').focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"province=33"))
    expect(page.get_by_test_id("coverage-rates").get_by_role("row", name=re.compile("KOTA SEMARANG"))).to_contain_text(
        "10,000"
    )
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh CSV").last.click()
    assert download.value.suggested_filename == f"cakupan-regency-33-{timezone.localdate().isoformat()}.csv"

    page.context.clear_cookies()
    page.goto(live_server.url + "/data-terbuka/cakupan/")
    expect(page).to_have_url(re.compile(r"/data-terbuka/cakupan/$"))
    expect(page.get_by_test_id("suppression-rule")).to_be_visible()
    expect(page.get_by_test_id("open-coverage").get_by_role("row", name=re.compile("JAWA TENGAH"))).to_contain_text(
        "5,50"
    )
    assert_accessible(page)
    page.get_by_test_id("open-coverage").get_by_role("link", name="JAWA TENGAH").click()
    expect(page.get_by_test_id("open-coverage").get_by_role("row", name=re.compile("KOTA SEMARANG"))).to_contain_text(
        "12"
    )
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Parquet").click()
    assert download.value.suggested_filename.endswith(".parquet")
