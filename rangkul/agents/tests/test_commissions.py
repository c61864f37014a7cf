"""Commissions against hand-computed examples: the percentage, the first-payment deduction,
the 50-member bonus, the 90/10 split and a clawback after a reversal."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from rangkul.agents.commissions import commissions_run, statements_csv
from rangkul.agents.models import CommissionStatement
from rangkul.agents.tests.conftest import collect_op, new_agent, sync
from rangkul.contributions.selectors import account_balance, ledger_totals
from rangkul.contributions.tests.factories import at
from rangkul.core.periods import Period
from rangkul.payments.models import Payment, PaymentStatus
from rangkul.registry.models import Worker
from rangkul.registry.tests.factories import worker_create

pytestmark = pytest.mark.django_db


def _registered_in(agent, period: Period, count: int) -> list[Worker]:
    workers = [worker_create(actor=agent.user, channel="agent") for _ in range(count)]
    Worker.objects.filter(pk__in=[w.pk for w in workers]).update(registered_at=at(period.day(2), 9))
    return list(Worker.objects.filter(pk__in=[w.pk for w in workers]))


def test_a_month_with_fifty_new_members_a_first_payment_and_a_later_reversal(client, regions, roles):
    two_ago = Period.of(timezone.localdate()) - 2
    last = two_ago + 1
    field_agent = new_agent()
    agent = field_agent.agent
    workers = _registered_in(agent, two_ago, 50)
    member = workers[0]
    first = collect_op(member.membership_number, amount_idr=100_000, recorded_at=at(two_ago.day(10)))
    second = collect_op(member.membership_number, amount_idr=40_010, recorded_at=at(two_ago.day(12)))
    results = sync(client, field_agent.key, [first, second]).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"], results
    # A quieter agent: 49 new members earn no bonus.
    other = new_agent()
    _registered_in(other.agent, two_ago, 49)

    out = io.StringIO()
    call_command("run_agent_commissions", "--month", str(two_ago), stdout=out)
    summary = json.loads(out.getvalue())
    statement = CommissionStatement.objects.get(agent=agent, month=str(two_ago))
    # 100,000 is the first payment for a member the agent registered: deducted, no commission.
    # 40,010 × 7.5% = 3,000.75 → 3,001. 50 new members → one bonus of 500,000.
    # (3,001 + 500,000) × 90% = 452,700.9 → 452,701 for the agent, 50,300 for the organisation.
    assert statement.collected_idr == 140_010
    assert statement.first_payments_idr == 100_000
    assert statement.collection_commission_idr == 3_001
    assert statement.new_members == 50 and statement.bonus_idr == 500_000
    assert (statement.agent_idr, statement.organisation_idr) == (452_701, 50_300)
    quiet = CommissionStatement.objects.get(agent=other.agent, month=str(two_ago))
    assert (quiet.new_members, quiet.bonus_idr, quiet.agent_idr) == (49, 0, 0)
    assert summary["statements"] == 2 and summary["agent_idr"] == 452_701 and summary["organisation_idr"] == 50_300
    assert account_balance(code=f"payable:agent:{agent.code}") == -452_701  # owed to the agent (a credit balance)
    assert account_balance(code="payable:organisation:koperasi-tani") == -50_300
    assert account_balance(code="agent_commissions") == 503_001

    # Running the month again changes nothing.
    again = commissions_run(month=str(two_ago))
    assert again.statements == 0 and again.already == 2
    assert CommissionStatement.objects.count() == 2

    # The 40,010 payment is reversed by the gateway: next month's run takes its 3,001 back.
    Payment.objects.filter(external_reference=f"{agent.code}:{second['id']}").update(status=PaymentStatus.REVERSED)
    commissions_run(month=str(last))
    clawback = CommissionStatement.objects.get(agent=agent, month=str(last))
    # 3,001 × 90% = 2,700.9 → 2,701 from the agent, 300 from the organisation.
    assert (clawback.clawback_idr, clawback.agent_idr, clawback.organisation_idr) == (3_001, -2_701, -300)
    assert account_balance(code=f"payable:agent:{agent.code}") == -450_000
    assert account_balance(code="payable:organisation:koperasi-tani") == -50_000
    assert account_balance(code="agent_commissions") == 500_000
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]
    # Taken back once only.
    assert CommissionStatement.objects.filter(agent=agent, clawback_idr__gt=0).count() == 1

    rows = list(csv.DictReader(io.StringIO(statements_csv(month=str(two_ago), organisation_code="koperasi-tani"))))
    assert [r["agent_code"] for r in rows] == sorted([agent.code, other.agent.code])
    assert rows[0]["agent_idr"] == "452701"


def test_the_rates_come_from_the_rule_in_force_for_the_month(client, regions, roles):
    from decimal import Decimal

    from rangkul.agents.models import CommissionRule

    two_ago = Period.of(timezone.localdate()) - 2
    CommissionRule.objects.create(
        version="branch-15",
        effective_from=two_ago.first_day,
        collection_rate=Decimal("0.15"),
        acquisition_bonus_idr=500_000,
        acquisition_bonus_members=50,
        agent_share=Decimal("0.9"),
        first_payment_deducted=False,
    )
    field_agent = new_agent()
    [member] = _registered_in(field_agent.agent, two_ago, 1)
    sync(
        client,
        field_agent.key,
        [collect_op(member.membership_number, amount_idr=10_001, recorded_at=at(two_ago.day(5)))],
    )
    commissions_run(month=str(two_ago))
    statement = CommissionStatement.objects.get(agent=field_agent.agent)
    # 10,001 × 15% = 1,500.15 → 1,500 (no first-payment deduction in this rule); 90% → 1,350, 150.
    assert statement.rule.version == "branch-15"
    assert (statement.collection_commission_idr, statement.agent_idr, statement.organisation_idr) == (1_500, 1_350, 150)


def test_a_month_not_yet_ended_or_badly_written_is_refused(regions, roles):
    with pytest.raises(CommandError):
        call_command("run_agent_commissions", "--month", str(Period.of(timezone.localdate())), stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("run_agent_commissions", "--month", "2026-13", stdout=io.StringIO())
