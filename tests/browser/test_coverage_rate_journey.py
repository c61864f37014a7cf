"""An analyst on a phone reads the coverage rate, drills into a province and downloads it;
anyone reads the open data without logging in."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from rangkul.analytics.services import coverage_snapshot_take
from rangkul.audit.actors import Actor
from rangkul.contributions.models import MemberStatus
from rangkul.regions.workforce import COLUMNS, workforce_release_load
from rangkul.registry.tests.factories import worker_create
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RELEASE = "\n".join(
    [
        ",".join(COLUMNS),
        "national,ID,bps_informal,2024-08,1000,57.95,,BPS Sakernas Agustus 2024,",
        "province,33,bps_informal,2023-02,,40,1000,BPS Sakernas Februari 2023,",
        "regency,33.74,bps_informal,2023-08,120,,,BPS Kota Semarang,",
    ]
)


@pytest.fixture
def published(regions):
    for _ in range(12):
        worker = worker_create(village_code="33.74.01.1001")
        MemberStatus.objects.create(worker=worker, status="active", since=dt.date(2026, 11, 1))
    worker_create(village_code="94.01.01.1001")
    workforce_release_load(actor=Actor.system("test"), text=RELEASE, version="uji-2024-08", title="Uji")
    coverage_snapshot_take()


def test_analyst_reads_the_coverage_rate_on_a_phone(live_server, phone_page: Page, analyst, published) -> None:
    page = phone_page
    page.goto(live_server.url + "/akun/masuk/")
    page.get_by_label("Nama pengguna").fill(analyst.username)
    page.get_by_label("Sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.goto(live_server.url + "/office/analitik/")
    page.get_by_role("link", name="Tingkat cakupan terhadap pekerja informal").click()
    expect(page.get_by_test_id("workforce-release")).to_contain_text("uji-2024-08")
    expect(page.get_by_test_id("national-rate")).to_contain_text("1,200 %")
    expect(page.get_by_test_id("series-chart").locator("svg")).to_be_visible()
    assert_accessible(page)

    page.get_by_test_id("coverage-rates").get_by_role("link", name="JAWA TENGAH").click()
    expect(page).to_have_url(re.compile(r"province=33"))
    row = page.get_by_test_id("coverage-rates").get_by_role("row", name=re.compile("KOTA SEMARANG"))
    expect(row).to_contain_text("10,000")
    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh CSV").last.click()
    assert download.value.suggested_filename == f"cakupan-regency-33-{timezone.localdate().isoformat()}.csv"
    assert_accessible(page)

    page.get_by_role("link", name="Retensi").click()
    expect(page.get_by_role("heading", name="Retensi")).to_be_visible()
    assert_accessible(page)


def test_anyone_reads_the_open_data_without_logging_in(live_server, phone_page: Page, published) -> None:
    page = phone_page
    page.goto(live_server.url + "/data-terbuka/cakupan/")
    expect(page.get_by_role("heading", name="Data terbuka: cakupan")).to_be_visible()
    table = page.get_by_test_id("open-coverage")
    # Jawa Tengah's 12 are hidden too: beside Papua's and Jakarta's none, they would give those away.
    expect(table.get_by_role("row", name=re.compile("JAWA TENGAH"))).to_contain_text("–")
    expect(page.get_by_test_id("suppression-rule")).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("PAPUA"))).to_contain_text("tidak ada angka terbitan")
    assert_accessible(page)
    table.get_by_role("link", name="JAWA TENGAH").click()
    expect(page.get_by_role("heading", name="Kabupaten/kota di JAWA TENGAH")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename.endswith(".xlsx")
