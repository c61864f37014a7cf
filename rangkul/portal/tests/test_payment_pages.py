"""The member's money pages: the payment code, the receipt, the card — readable, printable without JavaScript."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from rangkul.core.money import format_rupiah
from rangkul.core.templatetags.rangkul import waktu, zone_for_region
from rangkul.payments.models import Payment
from rangkul.payments.tests.factories import billed_member, post_callback, sandbox_body

pytestmark = pytest.mark.django_db


def _log_in(client, worker):
    session = client.session
    session["portal_worker_id"] = worker.pk
    session.save()


def test_payment_code_is_large_grouped_selectable_and_says_where_to_pay(client, regions, settings):
    settings.PAYMENTS_SANDBOX_ENABLED = True
    worker, bill = billed_member(months=3)
    _log_in(client, worker)
    content = client.get(reverse("contributions:my_bill")).content.decode()
    code = bill.payment_code
    grouped = " ".join(code[i : i + 4] for i in range(0, len(code), 4))
    assert re.search(rf'class="paycode"[^>]*data-testid="payment-code">{grouped}<', content)
    # The copy button needs JavaScript, so it is hidden until the script shows it.
    assert re.search(r"<button[^>]*\bhidden\b[^>]*data-copy=\"" + code, content)
    assert 'data-testid="pay-channels"' in content and "Minimarket" in content
    assert f"/bayar/simulasi/?payment_code={code}" in content
    assert format_rupiah(bill.amount_idr) in content
    assert re.search(r"\d{1,2} \w+ \d{4} \d{2}\.\d{2} WIB", content)  # the expiry time says its zone
    settings.PAYMENTS_SANDBOX_ENABLED = False
    assert "/bayar/simulasi/" not in client.get(reverse("contributions:my_bill")).content.decode()


def test_times_are_shown_in_the_members_own_zone():
    moment = dt.datetime(2026, 12, 7, 3, 30, tzinfo=dt.UTC)
    assert waktu(moment, "33.74.01.1001") == "7 Desember 2026 10.30 WIB"
    assert waktu(moment, "51.71.01.1001") == "7 Desember 2026 11.30 WITA"
    assert waktu(moment, "94.01.01.1001") == "7 Desember 2026 12.30 WIT"
    assert waktu(moment) == "7 Desember 2026 10.30 WIB"
    assert zone_for_region("64") == "WITA" and zone_for_region("61") == "WIB"


def test_receipt_speaks_of_credit_only_when_there_is_a_remainder(
    client, regions, django_capture_on_commit_callbacks, monkeypatch
):
    worker, bill = billed_member()
    with django_capture_on_commit_callbacks(execute=True):
        post_callback(client, sandbox_body(bill))
    receipt = Payment.objects.get(bill=bill).receipt
    _log_in(client, worker)
    url = reverse("payments:receipt", args=[receipt.number])
    content = client.get(url).content.decode()
    assert "saldo" not in content.lower()
    assert 'data-testid="nav-account"' in content  # the member's header, on a page outside the portal
    # Printing works without JavaScript: print styles and a plain link to the PDF, no print() button.
    assert "@media print" in content and "window.print" not in content
    assert reverse("payments:receipt_pdf", args=[receipt.number]) in content

    monkeypatch.setattr("rangkul.payments.contributions_port.credit_moves_for_entry", lambda entry_id: (0, 7_300))
    content = client.get(url).content.decode()
    assert 'data-testid="receipt-credit-kept">Rp7.300<' in content and "saldo" in content.lower()


def test_card_prints_without_javascript(client, regions):
    worker, _bill = billed_member()
    _log_in(client, worker)
    content = client.get(reverse("contributions:my_card")).content.decode()
    assert "window.print" not in content and "@media print" in content
    assert reverse("contributions:my_card_pdf") in content
