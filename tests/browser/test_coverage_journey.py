"""An analyst on a phone, JavaScript off and on: a coverage snapshot, narrowed to a province, downloaded."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from conftest import PASSWORD
from rangkul.contributions.models import MemberStatus
from rangkul.registry.tests.factories import worker_create
from tests.browser.conftest import PHONE_VIEWPORT, _context, assert_accessible, scripts_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
