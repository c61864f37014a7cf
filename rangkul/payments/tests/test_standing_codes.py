"""A member's standing payment code (ADR 0047): any amount, allocated as every payment of the member."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from rangkul.contributions.models import Bill, ContributionMonth
from rangkul.contributions.payment_codes import (
    member_payment_code,
    membership_number_of_code,
    payment_code_generate,
    payment_code_is_valid,
)
from rangkul.contributions.selectors import ledger_totals, member_credit_idr
from rangkul.contributions.services import month_due
from rangkul.contributions.tests.factories import member
from rangkul.core.periods import Period
from rangkul.payments.models import ExceptionReason, Payment, PaymentException, PaymentStatus
from rangkul.payments.tests.factories import post_callback, sandbox_body
from rangkul.registry.membership import membership_number_is_valid, membership_number_new
from rangkul.registry.models import Worker, WorkerStatus


@given(st.integers(10**9, 10**10 - 1).map(lambda body: str(body) + luhn.calc_check_digit(str(body))))
def test_a_standing_code_carries_its_membership_number_and_no_bill_code_is_one(number):
    assert membership_number_is_valid(number)
    code = member_payment_code(number)
    assert len(code) == 16 and code.isdigit() and code.startswith("89")
    assert membership_number_of_code(code) == number
    assert membership_number_of_code(" ".join(code[i : i + 4] for i in range(0, 16, 4))) == number
    assert not payment_code_is_valid(code)  # not a bill's code
    assert membership_number_of_code(payment_code_generate()) is None
    mistyped = code[:-2] + str((int(code[-2]) + 1) % 10) + code[-1]
    assert membership_number_of_code(mistyped) is None  # the check digit catches one wrong digit


@pytest.mark.django_db
def test_money_on_a_standing_code_pays_whole_months_and_keeps_the_rest_as_credit(client, regions):
    worker = member(registered_on=timezone.localdate())
    due = month_due(worker=worker)
    assert due > 0
    body = sandbox_body(payment_code=member_payment_code(worker.membership_number), amount_idr=due + 100)
    response = post_callback(client, body)
    assert response.status_code == 200 and response.json()["result"] == "recorded"
    payment = Payment.objects.get()
    assert (payment.status, payment.worker_id, payment.bill_id) == (PaymentStatus.ALLOCATED, worker.pk, None)
    assert ContributionMonth.objects.filter(worker=worker).values("period").distinct().count() == 1
    assert member_credit_idr(worker_id=worker.pk) == 100
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]
    assert not Bill.objects.exists()
    # The same delivery again gets the same answer and moves no money.
    assert post_callback(client, body).json() == response.json()
    assert Payment.objects.count() == 1 and member_credit_idr(worker_id=worker.pk) == 100
    assert ContributionMonth.objects.filter(worker=worker).count() == 2  # JKK and JKM of one month


@pytest.mark.django_db
def test_a_merged_members_code_and_a_code_of_nobody_go_to_review(client, regions):
    merged = member(registered_on=timezone.localdate())
    Worker.objects.filter(pk=merged.pk).update(status=WorkerStatus.MERGED)
    nobody = member_payment_code(membership_number_new())
    for code in (member_payment_code(merged.membership_number), nobody):
        assert post_callback(client, sandbox_body(payment_code=code, amount_idr=8_400)).status_code == 200
    assert set(PaymentException.objects.values_list("reason", flat=True)) == {ExceptionReason.UNKNOWN_CODE}
    assert PaymentException.objects.count() == 2
    assert not ContributionMonth.objects.exists()


@pytest.mark.django_db
def test_a_standing_code_above_the_ceiling_goes_to_review(client, regions, settings):
    settings.PAYMENTS_PAYMENT_CEILING_IDR = 50_000
    worker = member(registered_on=timezone.localdate())
    code = member_payment_code(worker.membership_number)
    post_callback(client, sandbox_body(payment_code=code, amount_idr=50_001))
    assert PaymentException.objects.get().reason == ExceptionReason.OVER_CEILING
    assert not ContributionMonth.objects.filter(worker=worker).exists()


@pytest.mark.django_db
def test_the_sandbox_cashier_offers_the_months_due_on_a_standing_code_and_pays_it(
    client, regions, django_capture_on_commit_callbacks
):
    worker = member(registered_on=timezone.localdate())
    code = member_payment_code(worker.membership_number)
    due = month_due(worker=worker)
    spaced = " ".join(code[i : i + 4] for i in range(0, 16, 4))
    found = client.get(reverse("payments:sandbox"), {"payment_code": spaced})
    assert found.status_code == 200 and found.context["bill"].amount_idr == due
    assert found.context["bill"].expires_at is None
    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(reverse("payments:sandbox"), {"step": "pay", "payment_code": code, "place": "minimarket"})
    assert paid.status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount_idr, payment.worker_id, payment.status) == (due, worker.pk, PaymentStatus.ALLOCATED)
    assert ContributionMonth.objects.filter(worker=worker).values("period").distinct().count() == 1
    assert month_due(worker=worker) > 0  # the next month is owed next


@pytest.mark.django_db
def test_the_sandbox_cashier_says_when_nothing_is_owed_on_a_standing_code(client, regions):
    worker = member(registered_on=timezone.localdate())
    code = member_payment_code(worker.membership_number)
    post_callback(client, sandbox_body(payment_code=code, amount_idr=10_000_000))  # far ahead, the rest credit
    response = client.get(reverse("payments:sandbox"), {"payment_code": code})
    assert response.status_code == 200 and "bill" not in response.context
    assert response.context["form"].errors["payment_code"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_on_one_standing_code_pay_different_months(regions):
    """Several connections pay the same member's code at once: the member's row serialises them, so each
    payment takes the next month owed, no month is paid twice and the ledger balances."""
    from django.test import Client

    from rangkul.core.tests.races import race
    from rangkul.payments.tests.factories import seed_reference_data

    seed_reference_data()
    worker = member(registered_on=timezone.localdate())
    code = member_payment_code(worker.membership_number)
    due = month_due(worker=worker)
    bodies = [sandbox_body(payment_code=code, amount_idr=due) for _ in range(6)]
    errors = race([lambda body=body: _paid(Client(), body) for body in bodies])
    assert not errors, errors
    assert Payment.objects.filter(status=PaymentStatus.ALLOCATED, worker=worker).count() == len(bodies)
    rows = list(ContributionMonth.objects.filter(worker=worker).values_list("period", "program"))
    assert len(rows) == len(set(rows))  # no member-month and program paid twice
    paid_months = {period for period, _program in rows}
    # Whole months in order from the first owed (a later month may cost more: money short of it stays credit).
    months = sorted(paid_months)
    assert months[0] == Period.of(timezone.localdate())
    assert months == [months[0] + i for i in range(len(months))]
    assert ContributionMonth.objects.filter(worker=worker).count() == 2 * len(months)  # JKK and JKM of each
    spent = sum(ContributionMonth.objects.filter(worker=worker).values_list("amount_idr", flat=True))
    assert spent + member_credit_idr(worker_id=worker.pk) == due * len(bodies)  # every rupiah accounted for
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def _paid(client, body) -> None:
    assert post_callback(client, body).status_code == 200
