"""Collections applied in runs (one transaction under the agent's row lock): the same answers as
one at a time, the cash limit exact within a run, a failed run undone and sent one at a time."""

from __future__ import annotations

import pytest
from django.db import DatabaseError
from django.utils import timezone

from rangkul.agents import sync_collect
from rangkul.agents.models import Collection, SyncOperation
from rangkul.agents.selectors import agent_cash_held_idr, agent_cash_ledger_idr
from rangkul.agents.sync import agent_sync, operation_apply
from rangkul.agents.tests.conftest import collect_op, new_agent, register_op
from rangkul.contributions.selectors import ledger_totals, month_total_idr
from rangkul.core.periods import Period
from rangkul.messaging.backends import locmem
from rangkul.payments.models import Payment

pytestmark = pytest.mark.django_db


def _month() -> int:
    month = month_total_idr(
        declared_income_idr=1_000_000, jht=False, sector="non_transport", period=Period.of(timezone.localdate())
    )
    assert month
    return month


def _batch(agent, prefix: str, month: int) -> list[dict]:
    """Registrations then a run of collections with every outcome a collection can have."""
    first, second = register_op(op=f"{prefix}-r1"), register_op(op=f"{prefix}-r2")
    [one, two] = [r["membership_number"] for r in agent_sync(agent=agent, operations=[first, second])]
    paid = collect_op(one, amount_idr=month, op=f"{prefix}-c1")
    by_registration = collect_op("", amount_idr=month, op=f"{prefix}-c2", registration=f"{prefix}-r2")
    del by_registration["data"]["membership_number"]
    return [
        paid,
        paid,  # sent twice in the same batch
        collect_op("00000000000", amount_idr=month, op=f"{prefix}-c3"),  # not the agent's member
        collect_op(one, amount_idr=month, months=13, op=f"{prefix}-c4"),  # invalid
        collect_op(two, amount_idr=month * 3, months=3, op=f"{prefix}-c5"),  # above the limit by then
        {
            **collect_op(one, amount_idr=month, op=f"{prefix}-c6"),
            "data": {"registration": "never-sent", "months": 1, "amount_idr": month},
        },
        by_registration,
        collect_op(two, amount_idr=month, first_month=str(Period.of(timezone.localdate())), op=f"{prefix}-c7"),
    ]


def _shape(result: dict) -> tuple:
    errors = result.get("errors") or {}
    return (result["status"], errors.get("code"), tuple(result.get("months", ())), result.get("credit_idr"))


def test_a_run_of_collections_answers_as_one_at_a_time(regions, roles, django_capture_on_commit_callbacks):
    month = _month()
    together, alone = new_agent(cash_limit_idr=month * 3), new_agent(cash_limit_idr=month * 3)
    ops = _batch(together.agent, "t", month)
    locmem.clear()
    with django_capture_on_commit_callbacks(execute=True):
        results = agent_sync(agent=together.agent, operations=ops)
    sms = [m for m in locmem.outbox if m.purpose == "receipt"]
    expected = [operation_apply(agent=alone.agent, operation=op) for op in _batch(alone.agent, "a", month)]

    assert [_shape(r) for r in results] == [_shape(r) for r in expected]
    assert [r["status"] for r in results] == [
        "applied", "applied", "rejected", "rejected", "rejected", "rejected", "applied", "applied",
    ]  # fmt: skip
    assert results[0] == results[1]
    assert [r["errors"]["code"] for r in results[2:6]] == [
        "not_in_portfolio", "validation_failed", "cash_limit", "registration_not_applied",
    ]  # fmt: skip
    assert results[7]["notices"]  # the month was paid meanwhile (by c2): kept as credit
    applied = {r["receipt_number"] for r in results if r["status"] == "applied"}
    assert {c.receipt_number for c in Collection.objects.filter(agent=together.agent)} == applied
    assert len(sms) == 3 and all(sum(number in m.body for m in sms) == 1 for number in applied)
    assert agent_cash_held_idr(agent=together.agent) == month * 3 == agent_cash_ledger_idr(agent=together.agent)
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]
    # Sent again, the whole batch gets the same answers and changes nothing.
    payments = Payment.objects.count()
    assert agent_sync(agent=together.agent, operations=ops) == results
    assert Payment.objects.count() == payments
    assert agent_cash_held_idr(agent=together.agent) == month * 3


def test_a_failed_run_of_collections_is_undone_and_sent_one_at_a_time(regions, roles, monkeypatch):
    def broken(*, channel, items, purpose):
        raise DatabaseError("lost connection")  # after the run's collections were written

    monkeypatch.setattr(sync_collect, "messages_queue_many", broken)
    month = _month()
    field = new_agent()
    [registered] = agent_sync(agent=field.agent, operations=[register_op(op="fr-1")])
    number = registered["membership_number"]
    ops = [collect_op(number, amount_idr=month, op="fc-1"), collect_op(number, amount_idr=month, op="fc-2")]
    results = agent_sync(agent=field.agent, operations=ops)
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert Collection.objects.filter(agent=field.agent).count() == 2 == Payment.objects.count()
    assert SyncOperation.objects.filter(agent=field.agent).count() == 3  # the failed run kept nothing
    assert agent_cash_held_idr(agent=field.agent) == month * 2 == agent_cash_ledger_idr(agent=field.agent)
