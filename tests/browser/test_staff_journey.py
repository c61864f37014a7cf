"""Branch staff on a phone, JavaScript off and on: correct a member's data, merge a duplicate, read the audit log."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Browser, Page, expect

from conftest import PASSWORD
from rangkul.registry.models import PossibleDuplicate, Worker
from rangkul.registry.tests.factories import worker_create
from tests.browser.conftest import PHONE_VIEWPORT, _context, assert_accessible, assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=[False, True], ids=["no-js", "js"])
def staff_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    """A cheap phone's screen in Indonesian, with JavaScript off, then on."""
    options = {"viewport": PHONE_VIEWPORT, "has_touch": True, "is_mobile": True, "java_script_enabled": request.param}
    for context in _context(browser, request, locale="id-ID", **options):
        yield context.new_page()


def _log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(base_url + "/akun/masuk/")
    assert_accessible(page)
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/office/$"))
    assert_accessible(page)


def test_staff_edit_merge_and_audit(live_server, staff_page: Page, branch_officer, regions) -> None:
    page = staff_page
    worker = worker_create(full_name="Tono Sugiarto", birth_date=dt.date(1979, 4, 4), village_code="33.74.01.1002")
    twin = worker_create(full_name="Tono Sugiarto", birth_date=dt.date(1979, 4, 4), village_code="33.74.01.1002")
    _log_in(page, live_server.url, branch_officer.username)

    # Find the member and open the edit form: every current value is there.
    page.get_by_role("link", name="Peserta", exact=True).click()
    page.get_by_label("NIK, nomor kepesertaan, nomor HP, atau nama").fill(worker.membership_number)
    page.get_by_role("button", name="Cari").click()
    expect(page.get_by_role("link", name=twin.membership_number)).to_have_count(0)  # the results are in
    assert_accessible(page)
    page.get_by_role("link", name=worker.membership_number).click()
    assert_accessible(page)
    page.get_by_role("link", name="Ubah data").click()
    expect(page.get_by_label("Tanggal lahir")).to_have_value("1979-04-04")
    expect(page.get_by_label("Provinsi")).to_have_value("33")
    expect(page.get_by_label("Kabupaten / kota")).to_have_value("33.74")
    expect(page.get_by_label("Kecamatan")).to_have_value("33.74.01")
    expect(page.get_by_label("Desa / kelurahan")).to_have_value("33.74.01.1002")
    assert_accessible(page)

    # Two problems of different kinds come back together, listed and linked in a focused summary.
    page.locator("#id_phone").fill("12")
    page.get_by_label("Penghasilan per bulan yang dilaporkan (Rp)").fill("1750000")
    page.get_by_role("button", name="Simpan").click()
    summary = page.get_by_test_id("form-errors")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(2)
    expect(summary.get_by_role("link", name=re.compile("Nomor HP"))).to_have_attribute("href", "#id_phone")
    expect(summary.get_by_role("link", name=re.compile("Alasan"))).to_have_attribute("href", "#id_reason")
    assert_accessible(page)

    page.locator("#id_phone").fill(worker.phone)
    page.get_by_label("Alasan perubahan").fill("Penghasilan naik")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("status")).to_contain_text("disimpan")
    history = page.get_by_role("region", name="Riwayat")
    row = history.locator("table.changes tr", has_text="Penghasilan per bulan").first  # the newest event first
    expect(row).to_contain_text("Rp1.000.000")
    expect(row).to_contain_text("Rp1.750.000")
    expect(history).to_contain_text("Penghasilan naik")
    assert_accessible(page)

    # The duplicate: compare the deciding facts, confirm, merge.
    page.goto(live_server.url + "/office/peserta/duplikat/")
    assert_accessible(page)
    duplicate = PossibleDuplicate.objects.filter(reason="name_birth_village").get()
    page.locator(f'a[href$="/duplikat/{duplicate.pk}/gabung/"]').click()
    facts = page.get_by_test_id("merge-facts")
    expect(facts).to_contain_text(worker.nik_masked)
    expect(facts).to_contain_text(twin.nik_masked)
    expect(facts).to_contain_text("4 April 1979")
    expect(facts).to_contain_text("Brumbungan")
    assert_accessible(page)
    page.get_by_label("Mengapa ini orang yang sama?").fill("KTP dan KK sama")
    page.get_by_role("button", name="Gabungkan data yang lebih baru ke data yang lebih lama").click()
    expect(page.get_by_test_id("form-errors")).to_be_focused()
    assert Worker.objects.get(pk=twin.pk).status == "active"
    page.get_by_label("Saya sudah membandingkan data di atas").check()
    page.get_by_role("button", name="Gabungkan data yang lebih baru ke data yang lebih lama").click()
    expect(page.get_by_role("status")).to_contain_text("digabung")
    assert Worker.objects.get(pk=twin.pk).merged_into_id == worker.pk
    assert_accessible(page)

    # The audit log, filtered by what it shows.
    page.goto(live_server.url + "/office/")
    page.get_by_role("link", name="Log audit").click()
    assert_accessible(page)
    page.get_by_label("Nomor kepesertaan atau subjek").fill(twin.membership_number)
    page.get_by_label("Tindakan").select_option(label="Data ganda digabung")
    page.get_by_role("button", name="Saring").click()
    results = page.locator("#audit-results")
    expect(results.get_by_test_id("audit-action")).to_have_count(1)
    expect(results.get_by_test_id("audit-action")).to_have_text("Data ganda digabung")
    expect(results.locator("table.changes tr", has_text="Digabung ke")).to_contain_text(worker.membership_number)
    assert_accessible(page)


OFFICE_PAGES = [
    "/office/",
    "/office/peserta/",
    "/office/peserta/daftar/",
    "/office/peserta/duplikat/",
    "/office/audit/",
    "/office/audit/?date_from=2026-05-01&date_to=2026-04-01",
    "/office/pembayaran/",
    "/office/pembayaran/rekonsiliasi/",
    "/office/iuran/penyesuaian/",
    "/office/analitik/",
    "/mitra/",
    "/mitra/anggota/",
    "/mitra/impor/",
    "/mitra/impor/unggah/",
    "/mitra/organisasi/",
    "/wilayah/",
]


def test_no_office_page_scrolls_sideways_on_a_phone(live_server, staff_page: Page, administrator, regions) -> None:
    administrator.groups.add(*Group.objects.all())
    worker = worker_create(full_name="Sekar Ayu Kusumawardhani Prameswari", village_code="33.74.01.1001")
    worker_create(full_name="Sekar Ayu Kusumawardhani Prameswari", village_code="33.74.01.1001")
    page = staff_page
    _log_in(page, live_server.url, administrator.username)
    member_pages = [f"/office/peserta/{worker.membership_number}/", f"/office/peserta/{worker.membership_number}/ubah/"]
    for path in [*OFFICE_PAGES, *member_pages, f"/office/iuran/{worker.membership_number}/"]:
        response = page.goto(live_server.url + path)
        assert response is not None and response.ok, path
        assert_no_horizontal_scroll(page)
        assert_accessible(page)
