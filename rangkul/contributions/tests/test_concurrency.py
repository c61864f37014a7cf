"""Races on real PostgreSQL: the same payment delivered twice at once moves money once.

Transactional tests empty the database afterwards (rule rows included), so each
one loads the reference data it needs first (idempotent).
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from rangkul.audit.actors import Actor
from rangkul.contributions.models import Bill, BillStatus, ContributionMonth, JournalEntry
from rangkul.contributions.selectors import ledger_totals, member_credit_idr
from rangkul.contributions.services import bill_issue, payment_allocate
from rangkul.contributions.tests.factories import at, ensure_reference_data, member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(target, count=4):
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait()
            target()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_same_payment_delivered_concurrently_is_allocated_once(regions):
    ensure_reference_data()
    worker = member()

    def pay():
        payment_allocate(
            actor=Actor.system("test"),
            worker=worker,
            amount_idr=40_000,
            payment_reference="RACE-1",
            channel="sandbox",
            paid_at=at(dt.date(2026, 2, 10)),
        )

    assert _race(pay) == []
    assert JournalEntry.objects.filter(kind="payment", reference="sandbox:RACE-1").count() == 1
    assert ContributionMonth.objects.filter(worker=worker).count() == 4
    assert member_credit_idr(worker_id=worker.pk) == 40_000 - 2 * 16_800
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def test_different_payments_at_once_never_pay_a_month_twice(regions):
    ensure_reference_data()
    worker = member()
    refs = iter(range(100))
    lock = threading.Lock()

    def pay():
        with lock:
            ref = next(refs)
        payment_allocate(
            actor=Actor.system("test"),
            worker=worker,
            amount_idr=16_800,
            payment_reference=f"P-{ref}",
            channel="sandbox",
            paid_at=at(dt.date(2026, 2, 10)),
        )

    assert _race(pay) == []
    # Four payments of one month each: Feb, Mar, then Apr and May at the PP 50/2025 rate (8,400) + credit.
    months = sorted({str(m.period) for m in ContributionMonth.objects.filter(worker=worker)})
    assert months[:2] == ["2026-02", "2026-03"]
    assert (
        member_credit_idr(worker_id=worker.pk)
        + sum(m.amount_idr for m in ContributionMonth.objects.filter(worker=worker))
        == 4 * 16_800
    )


def test_concurrent_bills_leave_one_open_code(regions):
    ensure_reference_data()
    worker = member()
    errors = _race(lambda: bill_issue(actor=Actor.system("test"), worker=worker, months=3, today=dt.date(2026, 2, 10)))
    assert errors == []
    assert Bill.objects.filter(worker=worker, status=BillStatus.OPEN).count() == 1
