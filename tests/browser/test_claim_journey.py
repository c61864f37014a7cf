"""An heir files a JKM claim on a phone with JavaScript off and photos of the documents; an officer
verifies, an approver approves and pays through the sandbox; the heir sees "paid" and the receipt."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from conftest import PASSWORD
from rangkul.accounts.roles import Role, roles_sync
from rangkul.claims.models import Claim, ClaimStatus
from rangkul.claims.tests.conftest import staff
from rangkul.claims.tests.factories import SPOUSE, insured
from rangkul.contributions.tests.factories import ensure_reference_data
from tests.browser.conftest import PHONE_VIEWPORT, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 400


def _staff_page(browser: Browser, live_server, username: str) -> Page:
    page = browser.new_context(java_script_enabled=False, locale="id-ID").new_page()
    page.goto(live_server.url + "/akun/masuk/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/office/$"))
    return page


def test_heir_claims_jkm_and_is_paid(live_server, browser: Browser, regions, branch, settings, tmp_path) -> None:
    settings.CLAIMS_DOCUMENT_ROOT = tmp_path / "private"
    ensure_reference_data()
    roles_sync()
    staff(Role.CLAIMS_OFFICER, "petugas", branch)
    staff(Role.CLAIMS_APPROVER, "penyetuju", branch)
    worker = insured()

    heir = browser.new_context(
        java_script_enabled=False, locale="id-ID", viewport=PHONE_VIEWPORT, has_touch=True, is_mobile=True
    ).new_page()
    heir.goto(live_server.url + "/klaim/ajukan/")
    assert_accessible(heir)
    form = heir.get_by_test_id("heir-claim")
    form.locator("input[name=membership_number]").fill(worker.membership_number)
    form.locator("input[name=member_birth_date]").fill(worker.birth_date.isoformat())
    form.locator("select[name=program]").select_option("JKM")
    form.locator("input[name=event_date]").fill("2026-03-10")
    form.locator("input[name=claimant_name]").fill(SPOUSE)
    form.locator("select[name=claimant_relationship]").select_option("spouse")
    form.locator("input[name=claimant_phone]").fill("081299990000")
    form.locator("input[name=bank_code]").fill("BRI")
    form.locator("input[name=bank_account_number]").fill("1234567890")
    for name in ("death_certificate", "ktp_heir", "family_card", "bank_book"):
        form.locator(f"input[name={name}]").set_input_files(
            files=[{"name": f"{name}.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
        )
    form.locator("button[type=submit]").click()
    expect(heir.get_by_test_id("status")).to_be_visible()
    number = Claim.objects.get().number
    expect(heir).to_have_url(re.compile(rf"/klaim/{number}/$"))
    expect(heir.get_by_test_id("missing")).to_be_visible()

    officer = _staff_page(browser, live_server, "petugas")
    officer.goto(live_server.url + f"/office/klaim/{number}/")
    expect(officer.get_by_test_id("documents").locator("li")).to_have_count(4)
    officer.locator("#p-note").fill("Dokumen lengkap dan sesuai")
    officer.get_by_test_id("propose").locator("button[value=approve]").click()

    approver = _staff_page(browser, live_server, "penyetuju")
    approver.goto(live_server.url + f"/office/klaim/{number}/")
    approver.locator("#d-note").fill("Sesuai catatan peserta")
    approver.get_by_test_id("decide").locator("button[value=approve]").click()
    approver.get_by_test_id("pay").locator("button[type=submit]").click()
    expect(approver.get_by_test_id("payouts")).to_contain_text(f"SBX-{number}-1")

    assert Claim.objects.get().status == ClaimStatus.PAID
    heir.reload()
    expect(heir.get_by_test_id("status")).to_have_text(re.compile("Lunas|Dibayar|Paid"))
    expect(heir.get_by_test_id("receipt")).to_contain_text(f"SBX-{number}-1")
    assert_accessible(heir)
    with heir.expect_download() as download:
        heir.get_by_test_id("receipt-link").click()
    assert download.value.suggested_filename == f"kuitansi-{number}-1.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
