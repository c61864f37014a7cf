from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.contributions.group_bills import group_bill_issue
from rangkul.contributions.models import Bill, BillStatus, ContributionMonth, JournalEntry, MemberStatus
from rangkul.contributions.selectors import account_balance, coverage_on, ledger_totals
from rangkul.contributions.services import bill_issue, payment_allocate
from rangkul.messaging.backends import locmem
from rangkul.payments.checks import check_channels
from rangkul.payments.models import (
    CallbackEvent,
    CallbackOutcome,
    ExceptionReason,
    Payment,
    PaymentException,
    PaymentStatus,
    Receipt,
)
from rangkul.payments.tests.factories import billed_member, midtrans_body, post_callback, sandbox_body
from rangkul.registry.models import Worker

pytestmark = pytest.mark.django_db


def _no_money_moved() -> None:
    assert not Payment.objects.exists()
    assert not JournalEntry.objects.exists()
    assert not ContributionMonth.objects.exists()


def test_paid_callback_records_allocates_and_issues_a_receipt(client, regions, django_capture_on_commit_callbacks):
    locmem.clear()
    worker, bill = billed_member(months=3)
    body = sandbox_body(bill)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_callback(client, body)
    assert response.status_code == 200
    assert response.json() == {"received": True, "external_id": body["external_id"], "result": "recorded"}
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.ALLOCATED and payment.worker == worker and payment.bill == bill
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    assert ContributionMonth.objects.filter(worker=worker).values("period").distinct().count() == 3
    assert coverage_on(worker, timezone.localdate())
    receipt = Receipt.objects.get(payment=payment)
    assert receipt.number == f"RK-{timezone.localdate().year}-00000001"
    assert receipt.notified_at is not None
    [sms] = [m for m in locmem.outbox if m.purpose == "receipt"]
    assert receipt.number in sms.body and sms.to == worker.phone
    event = CallbackEvent.objects.get()
    assert event.outcome == CallbackOutcome.RECORDED and event.payment == payment
    assert event.headers["x-callback-token"] == "present"  # the secret itself is never stored
    assert AuditEvent.objects.filter(action="payments.payment_recorded").count() == 1
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"] == bill.amount_idr


def test_a_duplicate_gets_the_same_answer_and_moves_no_money(client, regions):
    _worker, bill = billed_member()
    body = sandbox_body(bill)
    first = post_callback(client, body)
    second = post_callback(client, body)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert Payment.objects.count() == 1
    assert JournalEntry.objects.filter(kind="payment").count() == 1
    assert list(CallbackEvent.objects.order_by("id").values_list("outcome", flat=True)) == [
        CallbackOutcome.RECORDED,
        CallbackOutcome.DUPLICATE,
    ]


def test_a_replayed_old_event_changes_nothing(client, regions):
    worker, bill = billed_member()
    Bill.objects.filter(pk=bill.pk).update(created_at=timezone.now() - dt.timedelta(hours=2))
    body = sandbox_body(bill, paid_at=timezone.now() - dt.timedelta(hours=1))
    post_callback(client, body)
    months_before = list(ContributionMonth.objects.values_list("id", flat=True))
    totals_before = ledger_totals()
    # The same signed event captured and sent again much later, then once more with a new bill open.
    replay = post_callback(client, body)
    assert replay.status_code == 200 and replay.json()["result"] == "recorded"
    assert list(ContributionMonth.objects.values_list("id", flat=True)) == months_before
    assert ledger_totals() == totals_before
    assert Payment.objects.filter(worker=worker).count() == 1


def test_expired_after_paid_never_undoes_money(client, regions):
    worker, bill = billed_member()
    body = sandbox_body(bill)
    post_callback(client, body)
    late = post_callback(client, {**body, "status": "EXPIRED"})
    assert late.status_code == 200 and late.json()["result"] == "no_money_moved"
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.ALLOCATED
    assert coverage_on(worker, timezone.localdate())
    assert CallbackEvent.objects.filter(outcome=CallbackOutcome.IGNORED, payment=payment).exists()


def test_expired_alone_moves_no_money(client, regions):
    _worker, bill = billed_member()
    response = post_callback(client, sandbox_body(bill, status="EXPIRED"))
    assert response.status_code == 200
    _no_money_moved()


@pytest.mark.parametrize("token", ["wrong-token", ""])
def test_wrong_or_missing_token_is_401_and_recorded(client, regions, token):
    _worker, bill = billed_member()
    response = post_callback(client, sandbox_body(bill), token=token or "")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature" and set(response.json()) == {"code", "message", "fields"}
    event = CallbackEvent.objects.get()
    assert event.outcome == CallbackOutcome.REJECTED and event.http_status == 401
    _no_money_moved()
    bill.refresh_from_db()
    assert bill.status == BillStatus.OPEN


def test_amount_off_by_one_rupiah_goes_to_the_exceptions_queue(client, regions):
    worker, bill = billed_member()
    response = post_callback(client, sandbox_body(bill, amount_idr=bill.amount_idr - 1))
    assert response.status_code == 200
    assert response.json()["result"] == "accepted_for_review"
    exc = PaymentException.objects.get()
    assert exc.reason == ExceptionReason.AMOUNT_MISMATCH
    assert exc.payment.status == PaymentStatus.EXCEPTION
    assert not ContributionMonth.objects.exists()
    assert not coverage_on(worker, timezone.localdate())
    bill.refresh_from_db()
    assert bill.status == BillStatus.OPEN
    # The money is held in suspense, not lost: the channel's clearing account holds it.
    assert account_balance(code="clearing:sandbox") == bill.amount_idr - 1
    assert account_balance(code="clearing:suspense") == -(bill.amount_idr - 1)
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def test_unknown_payment_code_goes_to_the_exceptions_queue(client, regions):
    response = post_callback(client, sandbox_body(payment_code="8800000000000000", amount_idr=16_800))
    assert response.status_code == 200 and response.json()["result"] == "accepted_for_review"
    assert PaymentException.objects.get().reason == ExceptionReason.UNKNOWN_CODE
    assert not ContributionMonth.objects.exists()
    assert not Receipt.objects.exists()


def test_a_second_payment_for_a_paid_bill_is_not_allocated_twice(client, regions):
    _worker, bill = billed_member()
    post_callback(client, sandbox_body(bill))
    again = post_callback(client, sandbox_body(bill))  # another transaction for the same code
    assert again.json()["result"] == "accepted_for_review"
    assert PaymentException.objects.get().reason == ExceptionReason.BILL_NOT_OPEN
    assert JournalEntry.objects.filter(kind="payment").count() == 1


def test_malformed_json_is_400(client, regions):
    response = post_callback(client, None, raw=b'{"external_id": "X1", ')
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"
    assert CallbackEvent.objects.get().outcome == CallbackOutcome.MALFORMED
    _no_money_moved()


def test_a_json_list_is_400(client, regions):
    assert post_callback(client, None, raw=b"[1, 2]").status_code == 400


def test_oversized_body_is_413(client, regions, settings):
    settings.PAYMENTS_CALLBACK_MAX_BYTES = 1024
    _worker, bill = billed_member()
    body = {**sandbox_body(bill), "padding": "x" * 2000}
    response = post_callback(client, body)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    event = CallbackEvent.objects.get()
    assert event.outcome == CallbackOutcome.TOO_LARGE and event.body_truncated
    _no_money_moved()


def test_unknown_channel_is_404(client, regions):
    response = post_callback(client, {"x": 1}, channel="nope")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message", "fields"}
    assert not CallbackEvent.objects.exists()


def test_missing_field_is_422_with_the_field(client, regions):
    _worker, bill = billed_member()
    body = sandbox_body(bill)
    del body["amount_idr"]
    response = post_callback(client, body)
    assert response.status_code == 422
    assert "amount_idr" in response.json()["fields"]
    _no_money_moved()


def test_fractional_amount_is_refused(client, regions):
    _worker, bill = billed_member()
    response = post_callback(client, {**sandbox_body(bill), "amount_idr": "16800.50"})
    assert response.status_code == 422
    _no_money_moved()


def test_sandbox_channel_is_absent_when_disabled(client, regions, settings):
    settings.PAYMENTS_SANDBOX_ENABLED = False
    _worker, bill = billed_member()
    assert post_callback(client, sandbox_body(bill)).status_code == 404


class TestMidtransSignature:
    SERVER_KEY = "SB-Mid-server-test-key"

    @pytest.fixture(autouse=True)
    def _secret(self, settings):
        settings.CHANNEL_MIDTRANS_SECRET = self.SERVER_KEY

    def test_valid_signature_records_the_payment(self, client, regions):
        _worker, bill = billed_member()
        body = midtrans_body(
            order_id=bill.payment_code, gross_amount=f"{bill.amount_idr}.00", server_key=self.SERVER_KEY
        )
        response = post_callback(client, body, channel="midtrans", token="")
        assert response.status_code == 200 and response.json()["result"] == "recorded"
        assert Payment.objects.get().external_reference == body["order_id"]  # what Midtrans signs

    def test_tampered_body_is_401(self, client, regions):
        _worker, bill = billed_member()
        body = midtrans_body(
            order_id=bill.payment_code, gross_amount=f"{bill.amount_idr}.00", server_key=self.SERVER_KEY
        )
        body["gross_amount"] = f"{bill.amount_idr * 10}.00"  # amount changed after signing
        response = post_callback(client, body, channel="midtrans", token="")
        assert response.status_code == 401
        assert CallbackEvent.objects.get().outcome == CallbackOutcome.REJECTED
        _no_money_moved()

    def test_signature_made_with_another_key_is_401(self, client, regions):
        _worker, bill = billed_member()
        body = midtrans_body(order_id=bill.payment_code, gross_amount=f"{bill.amount_idr}.00", server_key="guess")
        assert post_callback(client, body, channel="midtrans", token="").status_code == 401
        _no_money_moved()

    def test_no_configured_secret_rejects_everything(self, client, regions, settings, monkeypatch):
        settings.CHANNEL_MIDTRANS_SECRET = ""
        monkeypatch.delenv("RANGKUL_CHANNEL_MIDTRANS_SECRET", raising=False)
        _worker, bill = billed_member()
        body = midtrans_body(order_id=bill.payment_code, gross_amount=f"{bill.amount_idr}.00", server_key="")
        assert post_callback(client, body, channel="midtrans", token="").status_code == 401


def test_callback_event_keeps_the_raw_body_as_evidence(client, regions):
    _worker, bill = billed_member()
    body = sandbox_body(bill, amount_idr=1)
    post_callback(client, body)
    event = CallbackEvent.objects.get()
    assert json.loads(event.body) == body


def test_a_group_bill_is_shared_among_its_members(client, regions, django_capture_on_commit_callbacks):
    first, _bill1 = billed_member()
    second, _bill2 = billed_member()
    group = group_bill_issue(actor=Actor.system("test"), workers=[first, second], months=1, today=timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        response = post_callback(client, sandbox_body(group))
    assert response.json()["result"] == "recorded"
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.ALLOCATED and payment.worker is None
    assert coverage_on(first, timezone.localdate()) and coverage_on(second, timezone.localdate())
    assert Receipt.objects.filter(payment=payment).exists()


def test_token_channel_reads_its_secret_from_the_named_environment_variable(client, regions, monkeypatch):
    monkeypatch.setenv("RANGKUL_CHANNEL_XENDIT_SECRET", "xnd-callback-token")
    _worker, bill = billed_member()
    body = {
        "payment_id": "pay-7f3a",
        "external_id": "order-1",
        "payment_code": bill.payment_code,
        "amount": bill.amount_idr,
        "status": "COMPLETED",
        "transaction_timestamp": timezone.now().isoformat(),
    }
    assert post_callback(client, body, channel="xendit", token="wrong").status_code == 401
    response = post_callback(client, body, channel="xendit", token="xnd-callback-token")
    assert response.status_code == 200 and response.json()["result"] == "recorded"
    assert Payment.objects.get().external_reference == "pay-7f3a"


def test_gateways_need_no_csrf_token_and_the_endpoints_are_documented(regions, settings):
    _worker, bill = billed_member()
    gateway = Client(enforce_csrf_checks=True)
    response = gateway.post(
        "/api/v1/payments/callbacks/sandbox",
        data=json.dumps(sandbox_body(bill)),
        content_type="application/json",
        headers={"X-Callback-Token": settings.SANDBOX_CALLBACK_TOKEN},
    )
    assert response.status_code == 200
    paths = gateway.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/payments/callbacks/{channel}" in paths
    assert "/api/v1/workers/{membership_number}/payments" in paths


def test_production_check_warns_about_a_channel_without_its_secret(regions, settings, monkeypatch):
    settings.ENV = "production"
    settings.CHANNEL_MIDTRANS_SECRET = ""
    monkeypatch.delenv("RANGKUL_CHANNEL_MIDTRANS_SECRET", raising=False)
    monkeypatch.setenv("RANGKUL_CHANNEL_XENDIT_SECRET", "set")
    messages = check_channels(databases=["default"])
    assert [m.id for m in messages] == ["payments.W002"]
    assert "midtrans" in messages[0].msg


def test_a_duplicate_is_cheap(client, regions, django_assert_max_num_queries):
    # Gateways retry for a day: a repeat must not redo the allocation's work.
    _worker, bill = billed_member()
    body = sandbox_body(bill)
    post_callback(client, body)
    with django_assert_max_num_queries(12):  # five statements plus savepoints
        assert post_callback(client, body).status_code == 200


def _first_callback_statements(client: Client, bill: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert post_callback(client, sandbox_body(bill)).json()["result"] == "recorded"
    return len(queries.captured_queries)


def test_a_first_callback_costs_a_fixed_number_of_statements(client, regions):
    # The request path neither re-reads what it wrote nor reads rules month by month:
    # a member with a year of history costs no more than a new member.
    _first_callback_statements(client, billed_member()[1])  # creates the ledger accounts
    _new, bill = billed_member()
    new_member = _first_callback_statements(client, bill)
    worker, _bill = billed_member()
    Bill.objects.filter(worker=worker).update(status=BillStatus.CANCELLED)
    Worker.objects.filter(pk=worker.pk).update(registered_at=timezone.now() - dt.timedelta(days=400))
    worker.refresh_from_db()
    for month in range(12):
        # A year of monthly payments, each on its own day.
        paid_at = timezone.now() - dt.timedelta(days=365 - 30 * month)
        earlier = bill_issue(actor=Actor.system("test"), worker=worker, months=1, today=timezone.localdate(paid_at))
        payment_allocate(
            actor=Actor.system("test"),
            worker=worker,
            amount_idr=earlier.amount_idr,
            payment_reference=f"HISTORY-{month}",
            channel="sandbox",
            paid_at=paid_at,
        )
    bill = bill_issue(actor=Actor.system("test"), worker=worker, months=1)
    with_history = _first_callback_statements(client, bill)
    # 23: one of them reads the months a sponsor shares with the member (split payers, ADR 0030).
    assert with_history <= new_member <= 23
    months = ContributionMonth.objects.filter(worker=worker).values("period").distinct().count()
    assert months >= 12
    status = MemberStatus.objects.get(worker=worker)
    assert status.paid_through is not None and status.status in {"active", "in_arrears"}
