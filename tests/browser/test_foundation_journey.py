"""First journey: the landing page speaks Indonesian, switches to English, and staff can log in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from tests.browser.conftest import assert_accessible, wait_for_htmx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_landing_in_indonesian_then_english(live_server, phone_page: Page) -> None:
    phone_page.goto(live_server.url + "/")
    expect(phone_page.locator("html")).to_have_attribute("lang", "id")
    expect(phone_page.get_by_role("heading", level=1)).to_contain_text("Perlindungan kerja")
    expect(phone_page.get_by_test_id("landing-price")).to_contain_text("Rp")
    assert_accessible(phone_page)

    phone_page.get_by_test_id("lang-en").click()
    expect(phone_page.locator("html")).to_have_attribute("lang", "en")
    expect(phone_page.get_by_role("heading", level=1)).to_contain_text("Work protection")

    phone_page.get_by_test_id("lang-id").click()
    expect(phone_page.locator("html")).to_have_attribute("lang", "id")


def test_staff_login_and_audit_log(live_server, page: Page, branch_officer) -> None:
    page.goto(live_server.url + "/akun/masuk/")
    page.get_by_label("Nama pengguna").fill(branch_officer.username)
    page.get_by_label("Sandi").fill("wrong password")
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("alert")).to_contain_text("salah")

    page.get_by_label("Sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/office/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Kantor belakang")

    page.get_by_role("link", name="Log audit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log audit")


def test_region_picker_without_javascript(live_server, browser, regions) -> None:
    context = browser.new_context(java_script_enabled=False, locale="id-ID")
    page = context.new_page()
    page.goto(live_server.url + "/wilayah/")
    page.get_by_label("Provinsi").select_option("33")
    page.get_by_role("button", name="Tampilkan kode").click()
    page.get_by_label("Kabupaten / kota").select_option("33.74")
    page.get_by_role("button", name="Tampilkan kode").click()
    page.get_by_label("Kecamatan").select_option("33.74.01")
    page.get_by_role("button", name="Tampilkan kode").click()
    page.get_by_label("Desa / kelurahan").select_option("33.74.01.1001")
    page.get_by_role("button", name="Tampilkan kode").click()
    expect(page.get_by_test_id("region-result")).to_contain_text("33.74.01.1001")
    context.close()


def test_region_picker_with_htmx(live_server, page: Page, regions) -> None:
    page.goto(live_server.url + "/wilayah/")
    wait_for_htmx(page)
    page.get_by_label("Provinsi").select_option("33")
    expect(page.get_by_label("Kabupaten / kota").locator("option", has_text="KOTA SEMARANG")).to_have_count(1)
    wait_for_htmx(page)
    page.get_by_label("Kabupaten / kota").select_option("33.74")
    expect(page.get_by_label("Kecamatan").locator("option", has_text="Semarang Tengah")).to_have_count(1)
