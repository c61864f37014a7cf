"""The worker's two everyday journeys on a 360 px phone, with JavaScript on and off:
register → pay → card, and log in.

A newcomer starts on the landing page, sees the price before committing, is signed in by the
registration itself, gets a payment code, pays it in the demonstration channel and opens the card.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from rangkul.contributions.tests.factories import member
from rangkul.messaging.backends import locmem
from rangkul.payments.models import Payment
from rangkul.payments.tests.factories import seed_reference_data
from rangkul.registry.models import Worker
from rangkul.registry.tests.factories import make_nik
from tests.browser.conftest import PHONE_VIEWPORT, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BIRTH = dt.date(1988, 3, 14)
PHONE = "0812 5555 7171"
PHONE_E164 = "+6281255557171"


@pytest.fixture
def seeded(transactional_db, settings):
    """Rules, occupations and payment channels (other journeys flush them); the demo channel on."""
    seed_reference_data()
    settings.PAYMENTS_SANDBOX_ENABLED = True


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    locmem.clear()
    yield locmem.outbox
    locmem.clear()


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def phone(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[Page, bool]]:
    """A cheap phone's screen in Indonesian, with JavaScript on or off."""
    javascript = bool(request.param)
    context = browser.new_context(
        java_script_enabled=javascript, locale="id-ID", viewport=PHONE_VIEWPORT, has_touch=True, is_mobile=True
    )
    context.set_default_timeout(15_000)
    yield context.new_page(), javascript
    context.close()


def code_for(phone: str, purpose: str) -> str:
    for message in reversed(locmem.messages_to(phone)):
        if message.purpose == purpose:
            match = re.search(r"\b(\d{6})\b", message.body)
            assert match, message.body
            return match.group(1)
    raise AssertionError(f"no {purpose} code was texted")


def in_first_screen(page: Page, test_id: str) -> bool:
    box = page.get_by_test_id(test_id).bounding_box()
    return box is not None and box["y"] + box["height"] <= PHONE_VIEWPORT["height"]


def test_register_pay_and_open_the_card(live_server, phone, sms_outbox, seeded, regions) -> None:
    page, javascript = phone
    nik = make_nik(birth_date=BIRTH, sex="F", district="33.74.01")

    # The landing page: "Daftar" on the first screen.
    page.goto(live_server.url + "/")
    expect(page.get_by_test_id("register")).to_be_visible()
    assert in_first_screen(page, "register")
    assert_accessible(page)
    page.get_by_test_id("register").click()

    # 1. Mobile number, verified once, before anything about the NIK
    page.locator("input[name=phone]").fill(PHONE)
    page.get_by_test_id("send-code").click()
    page.locator("input[name=code]").fill(code_for(PHONE_E164, "otp_register"))
    page.get_by_test_id("verify-code").click()

    # 2. Identity
    page.locator("input[name=nik]").fill(nik)
    page.locator("input[name=full_name]").fill("Sri Wahyuni")
    page.locator("input[name=birth_date]").fill(BIRTH.isoformat())
    page.locator("input[name=sex][value=F]").check()
    page.get_by_test_id("next").click()

    # 3. Address: province, regency and district come from the NIK; the village is chosen.
    expect(page.get_by_test_id("region-proposed")).to_be_visible()
    expect(page.locator("select[name=district]")).to_have_value("33.74.01")
    page.locator("select[name=village]").select_option("33.74.01.1001")
    assert_accessible(page)
    page.get_by_test_id("next").click()

    # 4. Work: the income typed the Indonesian way.
    page.locator("select[name=occupation]").select_option("pedagang")
    page.locator("input[name=declared_income_idr]").fill("Rp1.500.000")
    page.locator("input[name=jht][value=no]").check()
    page.locator("input[name=payment_period_months][value='3']").check()
    page.get_by_test_id("next").click()

    # 5. Heirs (later) and 6. the review shows the price before anything is sent.
    page.get_by_test_id("next").click()
    expect(page.get_by_test_id("review-price")).to_be_visible()
    expect(page.get_by_test_id("monthly-price")).to_contain_text("JKK + JKM")
    # "every 3 months: 3 × RpX = RpY", or each month's amount when a discount ends within them.
    expect(page.get_by_test_id("review-period-total")).to_contain_text("setiap 3 bulan")
    assert_accessible(page)
    page.get_by_test_id("submit-registration").click()

    # Registered and signed in: pay now, no second code.
    expect(page.get_by_test_id("membership-number")).to_have_text(re.compile(r"^\d{11}$"))
    number = page.get_by_test_id("membership-number").inner_text()
    expect(page.get_by_test_id("nav-account")).to_be_visible()
    texts = len(locmem.messages_to(PHONE_E164))
    page.get_by_test_id("pay-now").click()
    expect(page.get_by_test_id("pay-prices")).to_be_visible()
    assert len([m for m in locmem.messages_to(PHONE_E164)[texts:] if m.purpose.startswith("otp")]) == 0
    page.locator("select[name=months]").select_option("3")
    page.get_by_test_id("create-bill").click()

    # The payment code: large, grouped, copyable with JavaScript, selectable text without.
    code = page.get_by_test_id("payment-code")
    expect(code).to_have_text(re.compile(r"^\d{4}( \d{4})+$"))
    if javascript:
        expect(page.get_by_test_id("copy-code")).to_be_visible()
    else:
        expect(page.get_by_test_id("copy-code")).to_be_hidden()
    expect(page.get_by_test_id("pay-channels")).to_contain_text("Minimarket")
    expect(page.get_by_test_id("bill-expires")).to_contain_text("WIB")
    assert_accessible(page)

    # Paid at the demonstration "minimarket".
    page.get_by_test_id("pay-in-sandbox").click()
    page.locator("input[name=place][value=minimarket]").check()
    page.get_by_test_id("sandbox-pay").click()
    expect(page.get_by_test_id("sandbox-result")).to_be_visible()
    worker = Worker.objects.get(membership_number=number)
    assert Payment.objects.get(worker=worker).status == "allocated"

    # The card, printable without JavaScript.
    page.goto(live_server.url + "/iuran/kartu/")
    expect(page.get_by_test_id("card-number")).to_have_text(number)
    expect(page.get_by_test_id("member-card")).to_contain_text("Aktif")
    expect(page.get_by_test_id("card-pdf")).to_be_visible()
    assert_accessible(page)


def test_worker_logs_in_and_keeps_the_header_everywhere(live_server, phone, sms_outbox, seeded, regions) -> None:
    page, _javascript = phone
    worker = member(phone=PHONE_E164)
    page.goto(live_server.url + "/peserta/masuk/")
    assert_accessible(page)
    page.locator("input[name=phone]").fill(PHONE)
    page.get_by_test_id("send-code").click()
    page.locator("input[name=code]").fill(code_for(PHONE_E164, "otp_login"))
    page.get_by_test_id("verify-code").click()
    expect(page).to_have_url(re.compile(r"/peserta/akun/$"))
    expect(page.get_by_test_id("membership-number")).to_have_text(worker.membership_number)
    assert_accessible(page)

    # The member's header on pages outside the portal too.
    for path in ("/", "/iuran/", "/bantuan/"):
        page.goto(live_server.url + path)
        expect(page.get_by_test_id("nav-account")).to_be_visible()
        assert_accessible(page)
    expect(page.get_by_test_id("help-branches")).to_be_visible()

    page.get_by_test_id("portal-logout").click()
    expect(page).to_have_url(re.compile(r"/peserta/masuk/$"))
    expect(page.get_by_test_id("nav-account")).to_have_count(0)
