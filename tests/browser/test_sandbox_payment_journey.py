"""A member's bill is paid at the sandbox "minimarket"; the member turns active and sees the receipt."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from conftest import PASSWORD
from rangkul.messaging.backends import locmem
from rangkul.payments.models import Payment, Receipt
from rangkul.payments.tests.factories import billed_member, seed_reference_data
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seeded(transactional_db):
    """The journey needs the migrations' rules, occupations and channels, which other journeys flush."""
    seed_reference_data()


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


def test_pay_a_bill_in_the_sandbox_then_see_the_receipt(
    live_server, phone_page: Page, browser: Browser, sms_outbox, seeded, regions, administrator
) -> None:
    worker, bill = billed_member(months=3)
    page = phone_page

    # 1. At the "minimarket": the code finds the bill and shows the amount.
    page.goto(live_server.url + "/bayar/simulasi/")
    # Indonesian once the lead merges the payments catalogue; the English msgid until then.
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Simulasi pembayaran|Payment simulation"))
    assert_accessible(page)
    page.locator("input[name=payment_code]").fill(bill.payment_code)
    page.locator("[data-testid=sandbox-code-form] button[type=submit]").click()
    expect(page.get_by_test_id("sandbox-amount")).to_contain_text(f"{bill.amount_idr:,}".replace(",", "."))
    page.locator("input[name=place][value=minimarket]").check()
    page.get_by_test_id("sandbox-pay").click()

    # 2. The signed callback went through the real intake: the payment, its receipt, the SMS.
    expect(page.get_by_test_id("sandbox-result")).to_be_visible()
    receipt_link = page.get_by_test_id("sandbox-receipt")
    expect(receipt_link).to_have_text(re.compile(r"^RK-\d{4}-\d{8}$"))
    number = receipt_link.inner_text()
    payment = Payment.objects.get(bill=bill)
    assert payment.status == "allocated"
    assert Receipt.objects.get(payment=payment).number == number
    assert any(m.purpose == "receipt" and number in m.body for m in sms_outbox)

    # 3. A stranger cannot open the receipt.
    page.goto(live_server.url + f"/bayar/kuitansi/{number}/")
    assert "RK-" not in page.get_by_role("main").inner_text()

    # 4. The member logs in with a code texted to their phone and sees the receipt.
    page.goto(live_server.url + "/peserta/masuk/")
    page.locator("input[name=phone]").fill(worker.phone)
    page.get_by_test_id("send-code").click()
    expect(page.locator("input[name=code]")).to_be_visible()
    page.locator("input[name=code]").fill(_last_code(worker.phone))
    page.get_by_test_id("verify-code").click()
    expect(page).to_have_url(re.compile(r"/peserta/akun/$"))
    page.goto(live_server.url + f"/bayar/kuitansi/{number}/")
    expect(page.get_by_test_id("receipt-number")).to_have_text(number)
    expect(page.get_by_test_id("receipt-member")).to_have_text(worker.membership_number)
    expect(page.get_by_test_id("receipt-months")).not_to_have_text("—")
    assert_accessible(page)

    # 5. The member is active and covered today (the coverage API, as branch staff read it).
    staff = browser.new_context(locale="id-ID")
    office = staff.new_page()
    office.goto(live_server.url + "/akun/masuk/")
    office.get_by_label("Nama pengguna").fill(administrator.username)
    office.get_by_label("Sandi").fill(PASSWORD)
    office.get_by_role("button", name="Masuk").click()
    coverage = office.request.get(live_server.url + f"/api/v1/workers/{worker.membership_number}/coverage")
    assert coverage.ok
    assert coverage.json()["covered"] is True
    assert coverage.json()["status"] == "active"
    payments = office.request.get(live_server.url + f"/api/v1/workers/{worker.membership_number}/payments").json()
    assert [p["receipt_number"] for p in payments] == [number]
    staff.close()


def test_pay_a_members_standing_code_at_the_sandbox_minimarket(
    live_server, phone_page: Page, sms_outbox, seeded, regions
) -> None:
    """The code from a hand-over text (ADR 0047): the cashier finds the month due and takes it."""
    from django.utils import timezone

    from rangkul.contributions.payment_codes import member_payment_code, payment_code_format
    from rangkul.contributions.services import month_due
    from rangkul.contributions.tests.factories import member

    worker = member(registered_on=timezone.localdate())
    code = payment_code_format(member_payment_code(worker.membership_number))
    due = month_due(worker=worker)
    page = phone_page
    page.goto(live_server.url + "/bayar/simulasi/")
    page.locator("input[name=payment_code]").fill(code)  # typed with its spaces, as printed in the text
    page.locator("[data-testid=sandbox-code-form] button[type=submit]").click()
    expect(page.get_by_test_id("sandbox-amount")).to_contain_text(f"{due:,}".replace(",", "."))
    expect(page.get_by_test_id("sandbox-bill")).to_contain_text(re.compile("sama setiap bulan|same every month"))
    assert_accessible(page)
    page.get_by_test_id("sandbox-pay").click()
    expect(page.get_by_test_id("sandbox-result")).to_be_visible()
    payment = Payment.objects.get(worker=worker)
    assert (payment.status, payment.amount_idr, payment.bill_id) == ("allocated", due, None)
    assert any(m.purpose == "receipt" and m.to == worker.phone for m in sms_outbox)
