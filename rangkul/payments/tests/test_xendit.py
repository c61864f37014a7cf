"""Xendit as it really calls: retail outlets, invoices and fixed virtual accounts (documented bodies)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from rangkul.contributions.models import BillStatus, ContributionMonth, JournalEntry
from rangkul.payments.models import CallbackEvent, CallbackOutcome, Payment, PaymentStatus
from rangkul.payments.tests.factories import billed_member, gateway_fixture, post_callback

pytestmark = pytest.mark.django_db

TOKEN = "xnd-callback-token"


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv("RANGKUL_CHANNEL_XENDIT_SECRET", TOKEN)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _post(client, body):
    return post_callback(client, body, channel="xendit", token=TOKEN)


def test_a_retail_outlet_payment_with_the_merchant_prefix_pays_the_bill(client, regions):
    worker, bill = billed_member()
    body = gateway_fixture(
        "xendit_retail_outlet_completed",
        prefix="RKUL",
        payment_code=f"RKUL{bill.payment_code}",
        amount=bill.amount_idr,
        transaction_timestamp=_iso(timezone.now()),
    )
    response = _post(client, body)
    assert response.status_code == 200 and response.json()["result"] == "recorded"
    payment = Payment.objects.get()
    assert payment.payment_code == bill.payment_code and payment.worker == worker
    assert payment.external_reference == body["payment_id"]
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID


def test_a_prefix_outside_three_to_six_characters_is_not_stripped(client, regions):
    _worker, bill = billed_member()
    body = gateway_fixture(
        "xendit_retail_outlet_completed",
        prefix="TOOLONGPREFIX",
        payment_code=f"TOOLONGPREFIX{bill.payment_code}",
        amount=bill.amount_idr,
        transaction_timestamp=_iso(timezone.now()),
    )
    assert _post(client, body).json()["result"] == "accepted_for_review"


def test_an_invoice_paid_then_settled_is_one_payment_at_its_paid_at(client, regions):
    worker, bill = billed_member()
    paid_at = (timezone.now() + dt.timedelta(minutes=1)).replace(microsecond=0)
    paid = gateway_fixture(
        "xendit_invoice_paid",
        external_id=bill.payment_code,
        amount=bill.amount_idr,
        paid_amount=bill.amount_idr,
        paid_at=_iso(paid_at),
    )
    settled = gateway_fixture(
        "xendit_invoice_settled",
        external_id=bill.payment_code,
        amount=bill.amount_idr,
        paid_amount=bill.amount_idr,
        paid_at=_iso(paid_at),
    )
    assert _post(client, paid).json()["result"] == "recorded"
    assert _post(client, settled).status_code == 200
    payment = Payment.objects.get()
    assert payment.external_reference == paid["id"] and payment.worker == worker
    assert payment.paid_at == paid_at  # the gateway's time of payment, not the time of the callback
    assert JournalEntry.objects.filter(kind="payment").count() == 1
    assert list(CallbackEvent.objects.order_by("id").values_list("outcome", flat=True)) == [
        CallbackOutcome.RECORDED,
        CallbackOutcome.DUPLICATE,
    ]


def test_an_expired_invoice_is_answered_200_and_moves_nothing(client, regions):
    _worker, bill = billed_member()
    body = gateway_fixture("xendit_invoice_expired", external_id=bill.payment_code, amount=bill.amount_idr)
    response = _post(client, body)
    assert response.status_code == 200  # never a 4xx that makes Xendit retry for a day
    assert response.json()["result"] == "no_money_moved"
    assert not Payment.objects.exists() and not ContributionMonth.objects.exists()
    assert CallbackEvent.objects.get().outcome == CallbackOutcome.IGNORED


def test_a_fixed_virtual_account_payment_has_no_status_and_is_paid(client, regions):
    worker, bill = billed_member()
    body = gateway_fixture(
        "xendit_fixed_virtual_account_paid",
        external_id=bill.payment_code,
        amount=bill.amount_idr,
        transaction_timestamp=_iso(timezone.now()),
    )
    assert "status" not in body
    response = _post(client, body)
    assert response.status_code == 200 and response.json()["result"] == "recorded"
    payment = Payment.objects.get()
    assert payment.external_reference == body["payment_id"]
    assert payment.status == PaymentStatus.ALLOCATED and payment.worker == worker
    assert _post(client, body).json()["result"] == "recorded"  # a retry is a duplicate
    assert Payment.objects.count() == 1


def test_an_event_of_another_kind_is_answered_200_and_kept(client, regions):
    response = _post(client, {"event": "capability.updated", "business_id": "5d4a0b0f2b1c3a0019b1c2d3"})
    assert response.status_code == 200 and response.json()["result"] == "no_money_moved"
    assert CallbackEvent.objects.get().outcome == CallbackOutcome.IGNORED
    assert not Payment.objects.exists()
