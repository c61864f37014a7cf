"""The worker's card without signal: a member signs in on a 360 px phone and opens the card; the
phone loses its connection; the card, the paid-through month and the last payment code still show
after a reload. Logging out forgets the kept card."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from rangkul.audit.actors import Actor
from rangkul.contributions.payment_codes import payment_code_format
from rangkul.contributions.services import bill_issue
from rangkul.messaging.backends import locmem
from rangkul.payments.tests.factories import billed_member, post_callback, sandbox_body, seed_reference_data
from tests.browser.conftest import PHONE_VIEWPORT, SERVICE_WORKER_ACTIVATED, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "0812 5555 7272"
PHONE_E164 = "+6281255557272"
KEPT_CARD = """() => caches.open("rangkul-card-v1").then((cache) => cache.match("/iuran/kartu/"))
    .then((kept) => (kept ? kept.text() : ""))"""


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="id-ID", viewport=PHONE_VIEWPORT, has_touch=True, is_mobile=True)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def paying_member(transactional_db, regions, settings):
    """A member who paid this month and has a newer bill open: its code is the last payment code."""
    seed_reference_data()
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    locmem.clear()
    worker, bill = billed_member(months=1, phone=PHONE_E164)
    assert post_callback(Client(), sandbox_body(bill)).status_code == 200
    latest = bill_issue(actor=Actor.system("test"), worker=worker, months=1, today=timezone.localdate())
    return worker, latest


def _controlled(page: Page) -> None:
    """Wait for the portal's service worker to be active, then reload so that it serves the card."""
    # ``ready`` resolves once a worker is active, which may still be "activating": wait for the end.
    assert page.evaluate(SERVICE_WORKER_ACTIVATED) == "activated"
    page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def _log_in(page: Page, base: str) -> None:
    page.goto(base + "/peserta/masuk/")
    page.locator("input[name=phone]").fill(PHONE)
    page.get_by_test_id("send-code").click()
    [code] = [m for m in locmem.messages_to(PHONE_E164) if m.purpose == "otp_login"][-1:]
    page.locator("input[name=code]").fill(re.search(r"\b(\d{6})\b", code.body).group(1))  # type: ignore[union-attr]
    page.get_by_test_id("verify-code").click()
    expect(page).to_have_url(re.compile(r"/peserta/akun/$"))


def test_the_card_paid_through_and_last_payment_code_show_offline(live_server, phone, paying_member) -> None:
    worker, latest = paying_member
    page = phone.new_page()
    _log_in(page, live_server.url)
    page.goto(live_server.url + "/iuran/kartu/")
    # The service worker takes control of the page, then keeps the card it fetches.
    _controlled(page)
    expect(page.get_by_test_id("card-number")).to_have_text(worker.membership_number)
    page.wait_for_function(KEPT_CARD.replace('(kept ? kept.text() : ""))', "!!kept)"))
    paid_through = page.get_by_test_id("card-paid-through").inner_text()
    assert paid_through != "—"
    expect(page.get_by_test_id("card-payment-code")).to_have_text(payment_code_format(latest.payment_code))
    assert_accessible(page)
    kept = page.evaluate(KEPT_CARD)
    assert worker.membership_number in kept
    assert worker.nik_masked not in kept and "NIK" not in kept  # no NIK, not even masked, on the card

    # No signal; the session has even ended on the server: the phone still shows the kept card.
    phone.set_offline(True)
    Session.objects.all().delete()
    page.reload()
    expect(page.get_by_test_id("card-number")).to_have_text(worker.membership_number)
    expect(page.get_by_test_id("card-paid-through")).to_have_text(paid_through)
    expect(page.get_by_test_id("card-payment-code")).to_have_text(payment_code_format(latest.payment_code))
    assert_accessible(page)

    # Back online: the server no longer shows the card, and the phone forgets it.
    phone.set_offline(False)
    page.goto(live_server.url + "/iuran/kartu/")
    expect(page).to_have_url(re.compile(r"/peserta/masuk/$"))
    page.wait_for_function(KEPT_CARD.replace('(kept ? kept.text() : ""))', "!kept)"))


def test_logging_out_forgets_the_kept_card(live_server, phone, paying_member) -> None:
    _worker, _latest = paying_member
    page = phone.new_page()
    _log_in(page, live_server.url)
    page.goto(live_server.url + "/iuran/kartu/")
    _controlled(page)
    page.wait_for_function(KEPT_CARD.replace('(kept ? kept.text() : ""))', "!!kept)"))
    page.get_by_test_id("portal-logout").click()
    expect(page).to_have_url(re.compile(r"/peserta/masuk/$"))
    assert page.evaluate(KEPT_CARD) == ""
    phone.set_offline(True)
    response = None
    try:
        response = page.goto(live_server.url + "/iuran/kartu/")
    except Exception:
        response = None
    assert response is None or not response.ok
    expect(page.get_by_test_id("card-number")).to_have_count(0)
