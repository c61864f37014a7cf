"""A registered member opens Status saya, gets a payment code for 3 months, and opens the card (real Chromium)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from rangkul.contributions.models import Bill, BillStatus
from rangkul.contributions.payment_codes import payment_code_format
from rangkul.contributions.tests.factories import ensure_reference_data, member
from rangkul.messaging.backends import locmem
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    locmem.clear()
    yield locmem.outbox
    locmem.clear()


def _last_code(phone: str) -> str:
    for message in reversed(locmem.outbox):
        if message.to == phone and message.purpose == "otp_login":
            match = re.search(r"\b(\d{6})\b", message.body)
            assert match, message.body
            return match.group(1)
    raise AssertionError("no login code was texted")


def test_member_gets_a_payment_code_and_opens_the_card(live_server, phone_page: Page, sms_outbox, regions):
    ensure_reference_data()
    worker = member()
    page = phone_page
    page.goto(live_server.url + "/peserta/masuk/")
    page.locator("input[name=phone]").fill(worker.phone)
    page.get_by_test_id("send-code").click()
    expect(page.locator("input[name=code]")).to_be_visible()
    page.locator("input[name=code]").fill(_last_code(worker.phone))
    page.get_by_test_id("verify-code").click()
    expect(page).to_have_url(re.compile(r"/peserta/akun/$"))

    page.goto(live_server.url + "/iuran/saya/")
    expect(page.get_by_test_id("status-label")).to_be_visible()
    assert_accessible(page)
    page.get_by_test_id("pay-link").click()
    page.locator("select[name=months]").select_option("3")
    page.get_by_test_id("create-bill").click()
    expect(page).to_have_url(re.compile(r"/iuran/tagihan/$"))
    bill = Bill.objects.get(worker=worker, status=BillStatus.OPEN)
    expect(page.get_by_test_id("payment-code")).to_have_text(payment_code_format(bill.payment_code))
    expect(page.get_by_test_id("bill-amount")).to_have_text(f"Rp{bill.amount_idr:,}".replace(",", "."))
    assert_accessible(page)

    page.goto(live_server.url + "/iuran/saya/")
    page.get_by_test_id("card-link").click()
    expect(page.get_by_test_id("card-number")).to_have_text(worker.membership_number)
    expect(page.locator("[data-testid=card-qr] svg")).to_be_visible()
    assert_accessible(page)
