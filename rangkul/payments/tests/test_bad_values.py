"""Bad values never give a 500, and the raw event is always kept for investigation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from rangkul.contributions.models import Bill, ContributionMonth, JournalEntry
from rangkul.contributions.selectors import ledger_totals
from rangkul.payments.models import (
    CallbackEvent,
    CallbackOutcome,
    ExceptionReason,
    Payment,
    PaymentException,
    PaymentStatus,
)
from rangkul.payments.tests.factories import billed_member, post_callback, sandbox_body

pytestmark = pytest.mark.django_db


def _raw_with(body: dict, field: str, raw_value: str) -> bytes:
    """The JSON body with one value written as raw JSON text (``Infinity``, ``1E+30`` …)."""
    marker = "__RAW__"
    text = __import__("json").dumps({**body, field: marker})
    return text.replace(f'"{marker}"', raw_value).encode()


def _refused_with_evidence(response, raw: bytes) -> None:
    assert 400 <= response.status_code < 500
    answer = response.json()
    assert set(answer) == {"code", "message", "fields"}
    assert not Payment.objects.exists() and not JournalEntry.objects.exists()
    event = CallbackEvent.objects.get()
    assert event.outcome == CallbackOutcome.MALFORMED and event.http_status == response.status_code
    assert event.body  # the raw event is stored for investigation


@pytest.mark.parametrize(
    "raw_amount",
    ["Infinity", "-Infinity", "NaN", "1E+30", "9223372036854775808", '"Infinity"', '"NaN"', '"1e400"', "1e400"],
)
def test_impossible_amounts_are_refused_not_crashed(client, regions, raw_amount):
    _worker, bill = billed_member()
    raw = _raw_with(sandbox_body(bill), "amount_idr", raw_amount)
    response = post_callback(client, None, raw=raw)
    _refused_with_evidence(response, raw)
    assert "amount_idr" in response.json()["fields"]


@pytest.mark.parametrize(
    "paid_at", ["2025-02-30T10:00:00+07:00", "2025-01-01T10:00:00+25:00", "0001-01-01T00:00:00+07:00", "soon"]
)
def test_impossible_paid_at_is_refused_not_crashed(client, regions, paid_at):
    _worker, bill = billed_member()
    body = {**sandbox_body(bill), "paid_at": paid_at}
    response = post_callback(client, body)
    _refused_with_evidence(response, b"")
    assert "paid_at" in response.json()["fields"]


@pytest.mark.parametrize("field", ["external_id", "payment_code", "status", "paid_at", "note"])
def test_a_nul_character_in_any_field_is_refused_and_kept(client, regions, field):
    _worker, bill = billed_member()
    body = sandbox_body(bill)
    body[field] = f"{body.get(field, 'x')}\u0000tail"
    response = post_callback(client, body)
    _refused_with_evidence(response, b"")
    assert field in response.json()["fields"]


def test_an_integer_of_thousands_of_digits_is_refused_not_crashed(client, regions):
    _worker, bill = billed_member()
    raw = _raw_with(sandbox_body(bill), "amount_idr", "9" * 5000)
    response = post_callback(client, None, raw=raw)
    assert response.status_code == 400 and response.json()["code"] == "malformed_json"
    assert CallbackEvent.objects.get().outcome == CallbackOutcome.MALFORMED


def test_a_nul_byte_in_an_unreadable_body_is_kept_as_evidence(client, regions):
    response = post_callback(client, None, raw=b'{"external_id": "A\x00B"')
    assert response.status_code == 400
    event = CallbackEvent.objects.get()
    assert "\x00" not in event.body and event.body.startswith('{"external_id"')


def test_a_currency_other_than_rupiah_is_refused(client, regions):
    _worker, bill = billed_member()
    response = post_callback(client, {**sandbox_body(bill), "currency": "USD"})
    _refused_with_evidence(response, b"")
    assert response.json()["code"] == "unsupported_currency"


def test_an_amount_above_the_ceiling_goes_to_review_outside_the_ledger(client, regions, settings):
    settings.PAYMENTS_PAYMENT_CEILING_IDR = 100_000_000
    _worker, bill = billed_member()
    totals_before = ledger_totals()
    response = post_callback(client, sandbox_body(bill, amount_idr=9_000_000_000_000))
    assert response.status_code == 200 and response.json()["result"] == "accepted_for_review"
    exc = PaymentException.objects.get()
    assert exc.reason == ExceptionReason.OVER_CEILING
    assert exc.payment.status == PaymentStatus.EXCEPTION and exc.payment.journal_entry_id is None
    assert ledger_totals() == totals_before  # never into suspense totals
    assert not ContributionMonth.objects.exists()


def test_the_ceiling_is_a_setting(client, regions, settings):
    _worker, bill = billed_member()
    settings.PAYMENTS_PAYMENT_CEILING_IDR = bill.amount_idr - 1
    assert post_callback(client, sandbox_body(bill)).json()["result"] == "accepted_for_review"
    assert PaymentException.objects.get().reason == ExceptionReason.OVER_CEILING


def test_paid_before_the_bill_existed_goes_to_review(client, regions):
    _worker, bill = billed_member()
    Bill.objects.filter(pk=bill.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    paid_at = timezone.now() - dt.timedelta(days=3)
    response = post_callback(client, sandbox_body(bill, paid_at=paid_at))
    assert response.status_code == 200 and response.json()["result"] == "accepted_for_review"
    exc = PaymentException.objects.get()
    assert exc.reason == ExceptionReason.PAID_BEFORE_BILL
    assert not ContributionMonth.objects.exists()
    # The money is in view: parked in suspense, balanced.
    assert exc.payment.journal_entry_id is not None
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"] == bill.amount_idr
