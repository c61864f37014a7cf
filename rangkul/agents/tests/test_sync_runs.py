"""Collections written as a set (``sync_runs``) leave exactly the rows that applying the same
operations one at a time leaves: payments, journal lines, paid months, statuses, credit, cash held,
collections and answers. Two agents with the same history each get one of the two paths."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.utils import timezone

from rangkul.agents import sync_collect
from rangkul.agents.models import Agent, Collection, SyncOperation
from rangkul.agents.selectors import agent_cash_held_idr, agent_cash_ledger_idr
from rangkul.agents.sync import agent_sync, operation_apply
from rangkul.agents.tests.conftest import collect_op, new_agent, register_op
from rangkul.audit.models import AuditEvent
from rangkul.contributions.models import ContributionMonth, JournalLine, MemberStatus, MemberStatusChange
from rangkul.contributions.selectors import ledger_totals, member_credit_idr, month_total_idr
from rangkul.core.periods import Period
from rangkul.messaging.models import OutboundMessage
from rangkul.payments.models import Payment, Receipt
from rangkul.registry.models import Worker

pytestmark = pytest.mark.django_db

AUDITED = ("contributions.payment_allocated", "payments.payment_recorded", "payments.receipt_issued")


def _month() -> int:
    price = month_total_idr(
        declared_income_idr=1_000_000, jht=False, sector="non_transport", period=Period.of(timezone.localdate())
    )
    assert price
    return price


def _history(agent: Agent, prefix: str, month: int, at: dt.datetime) -> tuple[list[str], list[dict[str, Any]]]:
    """Six members registered; one has this month paid, one holds 5,000 of credit; then the batch."""
    registrations = [register_op(op=f"{prefix}-r{i}") for i in range(6)]
    numbers = [r["membership_number"] for r in agent_sync(agent=agent, operations=registrations)]
    for op in (
        collect_op(numbers[1], amount_idr=month, op=f"{prefix}-before-1", recorded_at=at),
        collect_op(numbers[2], amount_idr=month + 5_000, op=f"{prefix}-before-2", recorded_at=at),
    ):
        assert operation_apply(agent=agent, operation=op)["status"] == "applied"
    current = str(Period.of(timezone.localdate(at)))
    by_registration = collect_op("", amount_idr=month, op=f"{prefix}-c6", recorded_at=at, registration=f"{prefix}-r5")
    del by_registration["data"]["membership_number"]
    first = collect_op(numbers[0], amount_idr=month, op=f"{prefix}-c1", recorded_at=at)
    batch = [
        first,
        collect_op(numbers[1], amount_idr=month, op=f"{prefix}-c2", recorded_at=at, first_month=current),  # credit
        collect_op(numbers[2], amount_idr=2 * month - 5_000, months=2, op=f"{prefix}-c3", recorded_at=at),
        collect_op(numbers[4], amount_idr=5 * month, months=5, op=f"{prefix}-c5", recorded_at=at),  # over the limit
        collect_op(numbers[3], amount_idr=3 * month + 1_234, months=3, op=f"{prefix}-c4", recorded_at=at),
        first,  # a replay within the batch
        collect_op(numbers[0], amount_idr=month, months=13, op=f"{prefix}-bad", recorded_at=at),
        collect_op("00000000000", amount_idr=month, op=f"{prefix}-stranger", recorded_at=at),
        by_registration,
    ]
    return numbers, batch


def _answer(result: dict[str, Any]) -> tuple:
    errors = result.get("errors") or {}
    return (
        result["status"],
        errors.get("code"),
        tuple(result.get("months", ())),
        result.get("credit_idr"),
        tuple(result.get("notices", ())),
        bool(result.get("receipt_number")),
    )


def _rows(agent: Agent, numbers: list[str]) -> dict[str, Any]:
    workers = [Worker.objects.get(membership_number=n) for n in numbers]
    index = {w.pk: i for i, w in enumerate(workers)}

    def per_member(worker: Worker) -> dict[str, Any]:
        status = MemberStatus.objects.filter(worker=worker).values(
            "status", "since", "paid_through", "arrears_months", "pay_arrears_by", "next_review_on"
        )
        return {
            "months": sorted(
                ContributionMonth.objects.filter(worker=worker).values_list(
                    "period", "program", "amount_idr", "discount_idr", "covered_from", "paid_at"
                )
            ),
            "status": list(status),
            "changes": sorted(MemberStatusChange.objects.filter(worker=worker).values_list("status", "since")),
            "credit": member_credit_idr(worker_id=worker.pk),
            "payments": sorted(
                Payment.objects.filter(worker=worker).values_list("amount_idr", "status", "source", "paid_at")
            ),
            "lines": sorted(
                JournalLine.objects.filter(worker=worker).values_list(
                    "entry__kind", "account__code", "debit_idr", "credit_idr", "period", "program"
                )
            ),
        }

    cash_lines = sorted(
        (kind, code.replace(agent.code, "AGENT"), debit, credit)
        for kind, code, debit, credit in JournalLine.objects.filter(
            entry__kind="agent_cash_collected", entry__reference__startswith=f"{agent.code}:"
        ).values_list("entry__kind", "account__code", "debit_idr", "credit_idr")
    )
    collections = sorted(
        (index[c.worker_id], c.amount_idr, tuple(c.months), c.credit_idr, c.collected_at, bool(c.receipt_number))
        for c in Collection.objects.filter(agent=agent)
    )
    return {
        "members": [per_member(w) for w in workers],
        "cash_held": (agent_cash_held_idr(agent=agent), agent_cash_ledger_idr(agent=agent)),
        "cash_lines": cash_lines,
        "collections": collections,
        "receipts": Receipt.objects.filter(payment__worker__in=workers).count(),
        "operations": SyncOperation.objects.filter(agent=agent).count(),
    }


def test_a_run_written_as_a_set_leaves_the_rows_of_one_at_a_time(regions, roles, monkeypatch):
    month, at = _month(), timezone.now() - dt.timedelta(hours=1)
    limit = 10 * month + 1_234  # the history's cash and the batch's applied ones, to the rupiah
    together, alone = new_agent(cash_limit_idr=limit), new_agent(cash_limit_idr=limit)

    alone_numbers, alone_batch = _history(alone.agent, "a", month, at)
    before = Counter(AuditEvent.objects.filter(action__in=AUDITED).values_list("action", flat=True))
    expected = [operation_apply(agent=alone.agent, operation=op) for op in alone_batch]
    one_at_a_time = Counter(AuditEvent.objects.filter(action__in=AUDITED).values_list("action", flat=True)) - before

    numbers, batch = _history(together.agent, "t", month, at)

    def not_one_at_a_time(**kwargs):
        raise AssertionError("the run was applied one collection at a time")

    monkeypatch.setattr(sync_collect, "_collect", not_one_at_a_time)
    monkeypatch.setattr(sync_collect, "operation_apply", not_one_at_a_time)  # nor after a failed run
    before = Counter(AuditEvent.objects.filter(action__in=AUDITED).values_list("action", flat=True))
    receipts_queued = OutboundMessage.objects.filter(purpose="receipt").count()
    results = agent_sync(agent=together.agent, operations=batch)
    as_a_set = Counter(AuditEvent.objects.filter(action__in=AUDITED).values_list("action", flat=True)) - before

    assert [_answer(r) for r in results] == [_answer(r) for r in expected]
    assert [r["status"] for r in results] == [
        "applied", "applied", "applied", "rejected", "applied", "applied", "rejected", "rejected", "applied",
    ]  # fmt: skip
    assert results[3]["errors"]["code"] == "cash_limit" and results[5] == results[0]
    assert results[1]["notices"] and results[1]["months"] == [] and results[1]["credit_idr"] == month
    assert results[4]["credit_idr"] == 1_234
    assert _rows(together.agent, numbers) == _rows(alone.agent, alone_numbers)
    assert as_a_set == one_at_a_time and as_a_set["payments.receipt_issued"] == 5
    assert OutboundMessage.objects.filter(purpose="receipt").count() - receipts_queued == 5
    assert agent_cash_held_idr(agent=together.agent) == limit
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]
    # Sent again, the whole batch answers as the first time and writes nothing.
    payments = Payment.objects.count()
    assert agent_sync(agent=together.agent, operations=batch) == results
    assert Payment.objects.count() == payments
