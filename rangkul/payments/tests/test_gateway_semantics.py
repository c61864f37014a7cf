"""Money moves only on what the gateway vouches for: signed fields, and its own status check."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from rangkul.contributions.models import ContributionMonth, JournalEntry
from rangkul.payments.gateways import SandboxStatusCheck
from rangkul.payments.models import CallbackEvent, CallbackOutcome, Payment
from rangkul.payments.tests.factories import (
    billed_member,
    gateway_fixture,
    midtrans_body,
    midtrans_gateway_knows,
    midtrans_sign,
    post_callback,
)

pytestmark = pytest.mark.django_db

SERVER_KEY = "SB-Mid-server-semantics"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.CHANNEL_MIDTRANS_SECRET = SERVER_KEY


def _now() -> str:
    return timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")


def _signed(name: str, bill, **overrides) -> dict:
    body = gateway_fixture(
        name,
        order_id=bill.payment_code,
        gross_amount=f"{bill.amount_idr}.00",
        transaction_time=_now(),
        **overrides,
    )
    if "settlement_time" in body:
        body["settlement_time"] = _now()
    return midtrans_sign(body, server_key=SERVER_KEY)


def _post(client, body):
    return post_callback(client, body, channel="midtrans", token="")


def _nothing_moved() -> None:
    assert not Payment.objects.exists()
    assert not JournalEntry.objects.exists()
    assert not ContributionMonth.objects.exists()


def test_a_pending_notice_replayed_as_settlement_is_rejected_and_kept(client, regions):
    _worker, bill = billed_member()
    pending = _signed("midtrans_bank_transfer_pending", bill)
    assert _post(client, pending).json()["result"] == "no_money_moved"
    # The attacker keeps the signature (over order id, 201 and amount) and changes an unsigned field.
    forged = {**pending, "transaction_status": "settlement", "settlement_time": _now()}
    response = _post(client, forged)
    assert response.status_code == 401
    assert response.json()["code"] == "tampered_callback"
    assert set(response.json()) == {"code", "message", "fields"}
    _nothing_moved()
    event = CallbackEvent.objects.order_by("-id").first()
    assert event.outcome == CallbackOutcome.TAMPERED
    assert json.loads(event.body)["transaction_status"] == "settlement"  # the evidence is kept as sent


def test_the_same_signed_settlement_with_a_new_transaction_id_is_a_duplicate(client, regions):
    _worker, bill = billed_member()
    body = midtrans_body(order_id=bill.payment_code, gross_amount=f"{bill.amount_idr}.00", server_key=SERVER_KEY)
    first = _post(client, body)
    replay = _post(client, {**body, "transaction_id": "11111111-2222-3333-4444-555555555555"})
    assert first.json()["result"] == replay.json()["result"] == "recorded"
    payment = Payment.objects.get()
    assert payment.external_reference == bill.payment_code  # the signed order id is the key
    assert JournalEntry.objects.filter(kind="payment").count() == 1
    assert CallbackEvent.objects.order_by("-id").first().outcome == CallbackOutcome.DUPLICATE


@pytest.mark.parametrize(
    ("status", "fraud"),
    [("capture", "challenge"), ("pending", "accept"), ("expire", "accept")],
)
def test_only_settlement_or_accepted_capture_is_paid(client, regions, status, fraud):
    _worker, bill = billed_member()
    name = "midtrans_card_capture_challenge" if status == "capture" else "midtrans_bank_transfer_pending"
    body = _signed(name, bill, transaction_status=status, fraud_status=fraud, status_code="201")
    response = _post(client, body)
    assert response.status_code == 200 and response.json()["result"] == "no_money_moved"
    _nothing_moved()


def test_an_accepted_card_capture_is_paid(client, regions):
    _worker, bill = billed_member()
    body = _signed("midtrans_card_capture_accept", bill)
    midtrans_gateway_knows(body)
    response = _post(client, body)
    assert response.status_code == 200 and response.json()["result"] == "recorded"


def test_a_currency_other_than_rupiah_is_refused_and_kept(client, regions):
    _worker, bill = billed_member()
    body = midtrans_body(order_id=bill.payment_code, gross_amount=f"{bill.amount_idr}.00", server_key=SERVER_KEY)
    response = _post(client, {**body, "currency": "USD"})
    assert response.status_code == 422
    assert response.json()["code"] == "unsupported_currency"
    assert "currency" in response.json()["fields"]
    _nothing_moved()
    assert CallbackEvent.objects.get().outcome == CallbackOutcome.MALFORMED


def test_a_first_paid_notice_is_confirmed_with_the_gateway(client, regions):
    _worker, bill = billed_member()
    body = midtrans_body(order_id=bill.payment_code, gross_amount=f"{bill.amount_idr}.00", server_key=SERVER_KEY)
    assert _post(client, body).json()["result"] == "recorded"
    assert SandboxStatusCheck.asked == [("midtrans", bill.payment_code)]
    _post(client, body)  # a repeat is answered from the recorded payment: the gateway is not asked again
    assert len(SandboxStatusCheck.asked) == 1


def test_a_paid_notice_the_gateway_does_not_confirm_is_rejected(client, regions):
    _worker, bill = billed_member()
    body = midtrans_body(order_id=bill.payment_code, gross_amount=f"{bill.amount_idr}.00", server_key=SERVER_KEY)
    # The gateway itself still holds the order as pending.
    midtrans_gateway_knows({**body, "transaction_status": "pending", "status_code": "201"})
    response = _post(client, body)
    assert response.status_code == 401 and response.json()["code"] == "tampered_callback"
    assert CallbackEvent.objects.get().outcome == CallbackOutcome.TAMPERED
    _nothing_moved()


def test_a_paid_notice_for_an_order_the_gateway_does_not_know_is_rejected(client, regions):
    _worker, bill = billed_member()
    body = midtrans_body(
        order_id=bill.payment_code, gross_amount=f"{bill.amount_idr}.00", server_key=SERVER_KEY, known=False
    )
    assert _post(client, body).status_code == 401
    _nothing_moved()


def test_when_the_gateway_cannot_be_asked_the_notice_is_retried_later(client, regions):
    _worker, bill = billed_member()
    body = midtrans_body(order_id=bill.payment_code, gross_amount=f"{bill.amount_idr}.00", server_key=SERVER_KEY)
    SandboxStatusCheck.unreachable.add("midtrans")
    response = _post(client, body)
    assert response.status_code == 503
    assert response.json()["code"] == "verification_unavailable"
    assert CallbackEvent.objects.get().outcome == CallbackOutcome.UNVERIFIED
    _nothing_moved()
    SandboxStatusCheck.unreachable.clear()
    assert _post(client, body).json()["result"] == "recorded"  # the gateway's retry succeeds
