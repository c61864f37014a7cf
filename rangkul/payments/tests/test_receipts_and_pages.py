from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from conftest import PASSWORD
from rangkul.contributions.models import BillStatus, ContributionMonth
from rangkul.core.money import format_rupiah
from rangkul.core.pdf import page_text
from rangkul.core.periods import Period
from rangkul.payments.models import Payment, Receipt, ReceiptCounter
from rangkul.payments.receipt_pdf import receipt_pdf
from rangkul.payments.services import receipt_issue
from rangkul.payments.tests.factories import billed_member, post_callback, sandbox_body

pytestmark = pytest.mark.django_db


def _paid(client, capture, **kwargs):
    worker, bill = billed_member(**kwargs)
    with capture(execute=True):
        post_callback(client, sandbox_body(bill))
    return worker, Payment.objects.get(bill=bill)


def test_receipt_numbers_are_sequential_per_year_and_issued_once(client, regions, django_capture_on_commit_callbacks):
    numbers = []
    for _ in range(3):
        _worker, payment = _paid(client, django_capture_on_commit_callbacks)
        numbers.append(payment.receipt.number)
        # Running the task again (a retry) keeps the same receipt.
        assert receipt_issue(payment_id=payment.pk) == payment.receipt
    year = timezone.localdate().year
    assert numbers == [f"RK-{year}-{n:08d}" for n in (1, 2, 3)]
    assert ReceiptCounter.objects.get(year=year).last_number == 3
    assert Receipt.objects.count() == 3


def test_receipt_page_is_for_the_member_and_staff_only(
    client, regions, branch_officer, django_capture_on_commit_callbacks
):
    worker, payment = _paid(client, django_capture_on_commit_callbacks)
    other, _other_payment = _paid(client, django_capture_on_commit_callbacks)
    url = reverse("payments:receipt", args=[payment.receipt.number])
    assert client.get(url).status_code == 404  # a stranger

    session = client.session
    session["portal_worker_id"] = other.pk
    session.save()
    assert client.get(url).status_code == 404  # another member

    session["portal_worker_id"] = worker.pk
    session.save()
    response = client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert payment.receipt.number in content and worker.membership_number in content
    assert "@media print" in content
    assert response["Cache-Control"] == "private, no-store"

    client.logout()
    client.login(username=branch_officer.username, password=PASSWORD)
    assert client.get(url).status_code == 200  # the member lives in the officer's regency

    _far, far_payment = _paid(client, django_capture_on_commit_callbacks, village_code="94.01.01.1001")
    assert client.get(reverse("payments:receipt", args=[far_payment.receipt.number])).status_code == 404


def test_member_payments_api(client, regions, administrator, django_capture_on_commit_callbacks):
    worker, payment = _paid(client, django_capture_on_commit_callbacks)
    url = f"/api/v1/workers/{worker.membership_number}/payments"
    assert client.get(url).status_code == 401
    client.login(username=administrator.username, password=PASSWORD)
    response = client.get(url)
    assert response.status_code == 200
    [row] = response.json()
    assert row["external_id"] == payment.external_reference
    assert row["amount_idr"] == payment.amount_idr
    assert row["receipt_number"] == payment.receipt.number
    assert row["status"] == "allocated"
    assert client.get("/api/v1/workers/00000000000/payments").status_code == 404


def test_sandbox_page_pays_a_bill_through_the_real_intake(client, regions, django_capture_on_commit_callbacks):
    _worker, bill = billed_member(months=3)
    page = client.get(reverse("payments:sandbox"))
    assert page.status_code == 200
    found = client.get(reverse("payments:sandbox"), {"payment_code": bill.payment_code})
    assert found.status_code == 200
    assert bill.payment_code in found.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(
            reverse("payments:sandbox"), {"step": "pay", "payment_code": bill.payment_code, "place": "bank"}
        )
    assert paid.status_code == 302
    payment = Payment.objects.get()
    assert payment.external_reference.startswith("SBX-BANK-")
    assert payment.events.get().headers["x-callback-token"] == "present"
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    done = client.get(paid["Location"])
    assert payment.receipt.number in done.content.decode()


def test_sandbox_page_says_when_a_code_is_unknown(client, regions):
    response = client.get(reverse("payments:sandbox"), {"payment_code": "8800000000000000"})
    assert response.status_code == 200
    assert not Payment.objects.exists()
    assert response.context["form"].errors


def test_sandbox_page_is_absent_when_disabled(client, regions, settings):
    settings.PAYMENTS_SANDBOX_ENABLED = False
    assert client.get(reverse("payments:sandbox")).status_code == 404


def test_my_payments_lists_only_the_logged_in_members_receipts(client, regions, django_capture_on_commit_callbacks):
    worker, payment = _paid(client, django_capture_on_commit_callbacks)
    _other, other_payment = _paid(client, django_capture_on_commit_callbacks)
    url = reverse("payments:my_payments")
    assert client.get(url).status_code == 302  # log in first
    session = client.session
    session["portal_worker_id"] = worker.pk
    session.save()
    content = client.get(url).content.decode()
    assert payment.receipt.number in content
    assert other_payment.receipt.number not in content


def _as_member(client, worker):
    session = client.session
    session["portal_worker_id"] = worker.pk
    session.save()


def test_receipt_pdf_lists_months_programs_and_the_total(client, regions, django_capture_on_commit_callbacks):
    worker, payment = _paid(client, django_capture_on_commit_callbacks, months=3)
    receipt = payment.receipt
    _as_member(client, worker)
    page = client.get(reverse("payments:receipt", args=[receipt.number])).content.decode()
    assert reverse("payments:receipt_pdf", args=[receipt.number]) in page

    response = client.get(reverse("payments:receipt_pdf", args=[receipt.number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="kuitansi-{receipt.number}.pdf"'
    assert response["Cache-Control"] == "no-store"
    assert response.content.startswith(b"%PDF-")
    text = page_text(response.content)
    assert "Kuitansi iuran" in text and "Nomor kuitansi" in text
    assert receipt.number in text and payment.external_reference in text
    assert worker.full_name in text and worker.membership_number in text
    assert payment.channel.name in text
    assert format_rupiah(payment.amount_idr) in text
    paid_at = timezone.localtime(payment.paid_at, ZoneInfo("Asia/Jakarta"))
    assert date_format(paid_at, "j F Y H:i") + " WIB" in text
    months = ContributionMonth.objects.filter(entry_id=payment.journal_entry_id)
    assert len({m.period for m in months}) == 3
    with translation.override("id"):
        for month in months:
            assert date_format(month.period.first_day, "F Y") in text
            assert format_rupiah(month.amount_idr) in text
    assert sum(m.amount_idr for m in months) == payment.amount_idr
    assert worker.nik not in text and worker.nik.encode() not in response.content


def test_receipt_pdf_is_for_the_member_and_staff_of_the_region_only(
    client, regions, branch_officer, django_capture_on_commit_callbacks
):
    worker, payment = _paid(client, django_capture_on_commit_callbacks)
    other, _other_payment = _paid(client, django_capture_on_commit_callbacks)
    url = reverse("payments:receipt_pdf", args=[payment.receipt.number])
    assert client.get(url).status_code == 404  # anonymous
    assert client.get(reverse("payments:receipt_pdf", args=["RK-1999-00000001"])).status_code == 404
    _as_member(client, other)
    assert client.get(url).status_code == 404  # another member
    _as_member(client, worker)
    assert client.get(url).status_code == 200

    client.logout()
    client.login(username=branch_officer.username, password=PASSWORD)
    assert client.get(url).status_code == 200
    _far, far_payment = _paid(client, django_capture_on_commit_callbacks, village_code="94.01.01.1001")
    assert client.get(reverse("payments:receipt_pdf", args=[far_payment.receipt.number])).status_code == 404


def test_receipt_pdf_shows_money_kept_as_credit(client, regions, django_capture_on_commit_callbacks):
    _worker, payment = _paid(client, django_capture_on_commit_callbacks)
    document = receipt_pdf(payment.receipt, lines=[], credit_used_idr=1_250, credit_kept_idr=7_300)
    text = page_text(document)
    assert "Rp1.250" in text and "Rp7.300" in text
    assert format_rupiah(payment.amount_idr) in text


def test_receipt_pdf_continues_on_a_second_page_for_a_long_group_payment(
    client, regions, django_capture_on_commit_callbacks
):
    _worker, payment = _paid(client, django_capture_on_commit_callbacks)
    lines = [
        {"period": Period(2026, month), "program": program, "amount_idr": 1_000 + n, "membership_number": number}
        for n, (month, program, number) in enumerate(
            (m, p, num) for m in range(1, 13) for p in ("JKK", "JKM", "JHT") for num in ("11111111116", "22222222224")
        )
    ]
    text = page_text(receipt_pdf(payment.receipt, lines=lines))
    assert "Rp1.071" in text  # the last line
    assert payment.receipt.number in text
