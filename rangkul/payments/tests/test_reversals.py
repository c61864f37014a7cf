"""Reversals: deny, cancel, refund and chargeback after a recorded payment are never ignored."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.contributions.models import BillStatus, ContributionMonth, JournalEntry
from rangkul.contributions.selectors import account_balance, coverage_on, ledger_totals
from rangkul.core.errors import PermissionDenied, ValidationFailed
from rangkul.messaging.backends import locmem
from rangkul.payments.exceptions import exception_approve, exception_propose
from rangkul.payments.models import (
    CallbackEvent,
    CallbackOutcome,
    ExceptionReason,
    ExceptionStatus,
    Payment,
    PaymentException,
    PaymentStatus,
    Resolution,
)
from rangkul.payments.tests.factories import (
    billed_member,
    gateway_fixture,
    midtrans_body,
    midtrans_gateway_knows,
    midtrans_sign,
    post_callback,
)

pytestmark = pytest.mark.django_db

SERVER_KEY = "SB-Mid-server-reversals"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.CHANNEL_MIDTRANS_SECRET = SERVER_KEY


def _post(client, body):
    return post_callback(client, body, channel="midtrans", token="")


def _paid(client):
    worker, bill = billed_member()
    body = midtrans_body(order_id=bill.payment_code, gross_amount=f"{bill.amount_idr}.00", server_key=SERVER_KEY)
    assert _post(client, body).json()["result"] == "recorded"
    return worker, bill, body


def _reversal(bill, status: str, *, known: bool = True) -> dict:
    body = gateway_fixture(
        "midtrans_refund",
        order_id=bill.payment_code,
        gross_amount=f"{bill.amount_idr}.00",
        transaction_status=status,
        status_code="202" if status in ("deny", "cancel") else "200",
    )
    body = midtrans_sign(body, server_key=SERVER_KEY)
    if known:
        midtrans_gateway_knows(body)
    return body


@pytest.mark.parametrize("status", ["deny", "cancel", "refund", "partial_refund", "chargeback"])
def test_a_reversal_after_a_recorded_payment_opens_a_review(client, regions, status):
    worker, bill, _body = _paid(client)
    response = _post(client, _reversal(bill, status))
    assert response.status_code == 200 and response.json()["result"] == "accepted_for_review"
    exc = PaymentException.objects.get()
    assert exc.reason == ExceptionReason.REVERSAL and exc.status == ExceptionStatus.OPEN
    assert status in exc.detail
    # Nothing is undone until two people decide: the member keeps cover meanwhile.
    assert Payment.objects.get().status == PaymentStatus.ALLOCATED
    assert coverage_on(worker, timezone.localdate())
    assert CallbackEvent.objects.order_by("-id").first().outcome == CallbackOutcome.REVERSAL
    assert AuditEvent.objects.filter(action="payments.reversal_reported").count() == 1
    # Reported again (the gateway retries): still one review.
    _post(client, _reversal(bill, status))
    assert PaymentException.objects.count() == 1


def test_a_reversal_the_gateway_does_not_confirm_is_rejected(client, regions):
    _worker, bill, _body = _paid(client)
    forged = _reversal(bill, "refund", known=False)  # the gateway still holds the order as settled
    response = _post(client, forged)
    assert response.status_code == 401 and response.json()["code"] == "tampered_callback"
    assert not PaymentException.objects.exists()


def test_a_reversal_of_nothing_recorded_moves_nothing(client, regions):
    _worker, bill = billed_member()
    response = _post(client, _reversal(bill, "deny"))
    assert response.status_code == 200 and response.json()["result"] == "no_money_moved"
    assert not Payment.objects.exists() and not PaymentException.objects.exists()


def test_reverse_undoes_the_allocation_uncovers_and_tells_the_member(
    client, regions, payments_officer, payments_approver, django_capture_on_commit_callbacks
):
    worker, bill, _body = _paid(client)
    _post(client, _reversal(bill, "chargeback"))
    exc = PaymentException.objects.get()
    with pytest.raises(ValidationFailed):  # a reversal is not assigned, refunded or written off
        exception_propose(
            actor=Actor.for_user(payments_officer), exception_id=exc.pk, action=Resolution.WRITE_OFF, note="x"
        )
    exception_propose(
        actor=Actor.for_user(payments_officer), exception_id=exc.pk, action=Resolution.REVERSE, note="chargeback won"
    )
    with pytest.raises(PermissionDenied):
        exception_approve(actor=Actor.for_user(payments_officer), exception_id=exc.pk)
    locmem.clear()
    with django_capture_on_commit_callbacks(execute=True):
        exception_approve(actor=Actor.for_user(payments_approver), exception_id=exc.pk)
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.REVERSED
    assert not ContributionMonth.objects.filter(worker=worker).exists()
    assert not coverage_on(worker, timezone.localdate())
    bill.refresh_from_db()
    assert bill.status == BillStatus.OPEN
    reversal = JournalEntry.objects.get(kind="payment_reversal")
    assert reversal.reference == f"reversal:{payment.journal_entry_id}"
    # Balanced, and every account the payment touched is back where it was.
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]
    assert account_balance(code="clearing:midtrans") == 0
    [sms] = [m for m in locmem.outbox if m.purpose == "payment_reversed"]
    assert sms.to == worker.phone
    exc.refresh_from_db()
    assert exc.status == ExceptionStatus.RESOLVED and exc.resolution == Resolution.REVERSE


def test_keep_moves_nothing(client, regions, payments_officer, payments_approver):
    worker, bill, _body = _paid(client)
    _post(client, _reversal(bill, "cancel"))
    exc = PaymentException.objects.get()
    totals = ledger_totals()
    exception_propose(
        actor=Actor.for_user(payments_officer), exception_id=exc.pk, action=Resolution.KEEP, note="cancel withdrawn"
    )
    exception_approve(actor=Actor.for_user(payments_approver), exception_id=exc.pk)
    assert Payment.objects.get().status == PaymentStatus.ALLOCATED
    assert coverage_on(worker, timezone.localdate())
    assert ledger_totals() == totals


def test_a_refund_of_money_held_for_review_reverses_the_suspense(client, regions, payments_officer, payments_approver):
    _worker, bill = billed_member()
    wrong = bill.amount_idr + 1
    body = midtrans_body(order_id=bill.payment_code, gross_amount=f"{wrong}.00", server_key=SERVER_KEY)
    assert _post(client, body).json()["result"] == "accepted_for_review"
    assert PaymentException.objects.get().reason == ExceptionReason.AMOUNT_MISMATCH
    refund = _reversal(bill, "refund")
    refund = midtrans_sign({**refund, "gross_amount": f"{wrong}.00"}, server_key=SERVER_KEY)
    midtrans_gateway_knows(refund)
    _post(client, refund)
    exc = PaymentException.objects.get()  # the same review, now a reversal
    assert exc.reason == ExceptionReason.REVERSAL
    exception_propose(
        actor=Actor.for_user(payments_officer), exception_id=exc.pk, action=Resolution.REVERSE, note="refunded"
    )
    exception_approve(actor=Actor.for_user(payments_approver), exception_id=exc.pk)
    assert account_balance(code="clearing:suspense") == 0
    assert account_balance(code="clearing:midtrans") == 0
    assert Payment.objects.get().status == PaymentStatus.REVERSED


def test_the_office_page_resolves_a_reversal(client, regions, payments_officer, payments_approver):
    worker, bill, _body = _paid(client)
    _post(client, _reversal(bill, "refund"))
    exc = PaymentException.objects.get()
    detail_url = reverse("payments_office:exception", args=[exc.pk])
    client.login(username=payments_officer.username, password=PASSWORD)
    page = client.get(detail_url)
    assert page.status_code == 200 and bill.payment_code in page.content.decode()
    wrong = client.post(detail_url, {"decision": "propose", "action": "write_off", "note": "x"})
    assert wrong.status_code == 200  # refused with the reason on the form, nothing saved
    exc.refresh_from_db()
    assert exc.status == ExceptionStatus.OPEN
    proposed = client.post(detail_url, {"decision": "propose", "action": "reverse", "note": "refund confirmed"})
    assert proposed.status_code == 302
    client.logout()
    client.login(username=payments_approver.username, password=PASSWORD)
    assert client.post(detail_url, {"decision": "approve"}).status_code == 302
    assert Payment.objects.get().status == PaymentStatus.REVERSED
    assert not coverage_on(worker, timezone.localdate())
