from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.contributions.selectors import account_balance, coverage_on, ledger_totals
from rangkul.core.errors import Conflict, PermissionDenied, ValidationFailed
from rangkul.payments.exceptions import exception_approve, exception_propose, exception_reject
from rangkul.payments.models import ExceptionStatus, PaymentException, PaymentStatus, Receipt, Resolution
from rangkul.payments.tests.factories import billed_member, post_callback, sandbox_body

pytestmark = pytest.mark.django_db


def _exception(client, amount_idr: int = 16_800) -> PaymentException:
    post_callback(client, sandbox_body(payment_code="8800000000000000", amount_idr=amount_idr))
    return PaymentException.objects.get()


def test_assign_to_a_member_after_a_second_persons_approval(
    client, regions, payments_officer, administrator, django_capture_on_commit_callbacks
):
    worker, _bill = billed_member()
    exc = _exception(client, amount_idr=16_800)
    exception_propose(
        actor=Actor.for_user(payments_officer),
        exception_id=exc.pk,
        action=Resolution.ASSIGN,
        worker=worker,
        note="code mistyped",
    )
    with pytest.raises(PermissionDenied):
        # A payments officer cannot approve at all; the administrator could, but not their own proposal.
        exception_approve(actor=Actor.for_user(payments_officer), exception_id=exc.pk)
    with django_capture_on_commit_callbacks(execute=True):
        exception_approve(actor=Actor.for_user(administrator), exception_id=exc.pk)
    exc.refresh_from_db()
    assert exc.status == ExceptionStatus.RESOLVED and exc.resolution == Resolution.ASSIGN
    assert exc.payment.status == PaymentStatus.ALLOCATED and exc.payment.worker == worker
    assert coverage_on(worker, timezone.localdate())
    assert Receipt.objects.filter(payment=exc.payment).exists()
    assert account_balance(code="clearing:suspense") == 0
    assert account_balance(code="clearing:sandbox") == 16_800
    assert AuditEvent.objects.filter(action="payments.exception_proposed").count() == 1
    assert AuditEvent.objects.filter(action="payments.exception_resolved").count() == 1
    with pytest.raises(Conflict):
        exception_approve(actor=Actor.for_user(administrator), exception_id=exc.pk)


def test_the_proposer_cannot_approve_their_own_proposal(client, regions, administrator):
    exc = _exception(client)
    exception_propose(
        actor=Actor.for_user(administrator), exception_id=exc.pk, action=Resolution.WRITE_OFF, note="test payment"
    )
    with pytest.raises(PermissionDenied) as raised:
        exception_approve(actor=Actor.for_user(administrator), exception_id=exc.pk)
    assert raised.value.code == "maker_checker"
    exc.refresh_from_db()
    assert exc.status == ExceptionStatus.PROPOSED


def test_refund_is_journalled_and_balanced(client, regions, payments_officer, administrator):
    exc = _exception(client, amount_idr=50_000)
    exception_propose(
        actor=Actor.for_user(payments_officer), exception_id=exc.pk, action=Resolution.REFUND, note="payer asked"
    )
    exception_approve(actor=Actor.for_user(administrator), exception_id=exc.pk)
    exc.refresh_from_db()
    assert exc.payment.status == PaymentStatus.REFUNDED
    assert account_balance(code="refunds_payable") == -50_000
    assert account_balance(code="clearing:suspense") == 0
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def test_write_off_and_refund_need_a_reason(client, regions, payments_officer):
    exc = _exception(client)
    with pytest.raises(ValidationFailed):
        exception_propose(
            actor=Actor.for_user(payments_officer), exception_id=exc.pk, action=Resolution.WRITE_OFF, note=" "
        )
    with pytest.raises(ValidationFailed):
        exception_propose(actor=Actor.for_user(payments_officer), exception_id=exc.pk, action=Resolution.ASSIGN)


def test_rejected_proposal_reopens_the_exception(client, regions, payments_officer, administrator):
    exc = _exception(client)
    exception_propose(
        actor=Actor.for_user(payments_officer), exception_id=exc.pk, action=Resolution.WRITE_OFF, note="test"
    )
    exception_reject(actor=Actor.for_user(administrator), exception_id=exc.pk, note="find the member first")
    exc.refresh_from_db()
    assert exc.status == ExceptionStatus.OPEN
    assert account_balance(code="clearing:suspense") == -16_800


def test_office_queue_pages(client, regions, payments_officer, administrator, analyst):
    worker, _bill = billed_member()
    exc = _exception(client)
    list_url = reverse("payments_office:exceptions")
    detail_url = reverse("payments_office:exception", args=[exc.pk])
    assert client.get(list_url).status_code == 302  # log in first

    client.login(username=payments_officer.username, password=PASSWORD)
    assert exc.payment.payment_code in client.get(list_url).content.decode()
    detail = client.get(detail_url)
    assert detail.status_code == 200 and "8800000000000000" in detail.content.decode()  # evidence shown
    response = client.post(
        detail_url,
        {"decision": "propose", "action": "assign", "membership_number": worker.membership_number, "note": ""},
    )
    assert response.status_code == 302
    exc.refresh_from_db()
    assert exc.status == ExceptionStatus.PROPOSED and exc.proposed_by == payments_officer
    # Without approval rights approving is refused.
    assert client.post(detail_url, {"decision": "approve"}).status_code == 403
    exc.refresh_from_db()
    assert exc.status == ExceptionStatus.PROPOSED

    client.logout()
    client.login(username=administrator.username, password=PASSWORD)
    assert client.post(detail_url, {"decision": "approve"}).status_code == 302
    exc.refresh_from_db()
    assert exc.status == ExceptionStatus.RESOLVED

    client.logout()
    client.login(username=analyst.username, password=PASSWORD)
    assert client.get(list_url).status_code == 403  # back-office access alone moves no money
