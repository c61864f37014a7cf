"""Cash accountability: what agents collect they hold until they deposit it; a limit stops collecting."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from rangkul.agents.selectors import agent_cash_held_idr
from rangkul.agents.services import agent_cash_deposit
from rangkul.agents.tests.conftest import collect_op, new_agent, register_op, sync
from rangkul.audit.actors import Actor
from rangkul.contributions.selectors import account_balance, ledger_totals, month_total_idr
from rangkul.core.errors import ValidationFailed
from rangkul.core.periods import Period
from rangkul.payments.models import Payment
from rangkul.registry.models import Worker

pytestmark = pytest.mark.django_db


def _balanced() -> bool:
    totals = ledger_totals()
    return totals["debit_idr"] == totals["credit_idr"]


def _member(client, key) -> tuple[Worker, int]:
    [result] = sync(client, key, [register_op()]).json()["results"]
    worker = Worker.objects.get(membership_number=result["membership_number"])
    month = month_total_idr(
        declared_income_idr=worker.declared_income_idr,
        jht=worker.jht,
        sector=worker.occupation.sector,
        period=Period.of(timezone.localdate()),
    )
    assert month
    return worker, month


def test_above_the_cash_limit_the_agent_cannot_collect_until_a_deposit(client, regions, roles):
    probe = new_agent(username="probe")
    _worker, month = _member(client, probe.key)
    field_agent = new_agent(cash_limit_idr=month * 3)
    worker, _month = _member(client, field_agent.key)

    first = collect_op(worker.membership_number, amount_idr=month * 2, months=2)
    assert sync(client, field_agent.key, [first]).json()["results"][0]["status"] == "applied"
    assert agent_cash_held_idr(agent=field_agent.agent) == month * 2

    refused = collect_op(worker.membership_number, amount_idr=month * 2, months=2)
    [result] = sync(client, field_agent.key, [refused]).json()["results"]
    assert result["status"] == "rejected" and result["errors"]["code"] == "cash_limit"
    assert Payment.objects.filter(worker=worker).count() == 1

    out = io.StringIO()
    call_command(
        "agent_deposit", field_agent.agent.code, "--amount", str(month * 2), "--channel", "sandbox",
        "--reference", "TRF-001", stdout=out,
    )  # fmt: skip
    assert json.loads(out.getvalue()) == {
        "agent_code": field_agent.agent.code,
        "deposited_idr": month * 2,
        "cash_held_idr": 0,
    }
    assert account_balance(code="clearing:sandbox") == month * 2  # now owed by the bank/channel
    again = collect_op(worker.membership_number, amount_idr=month * 2, months=2)
    assert sync(client, field_agent.key, [again]).json()["results"][0]["status"] == "applied"
    assert agent_cash_held_idr(agent=field_agent.agent) == month * 2
    assert account_balance(code="clearing:agent_cash") == 0  # every collection is on an agent
    assert _balanced()


def test_a_deposit_cannot_exceed_the_cash_held_and_is_recorded_once_per_reference(client, regions, roles):
    field_agent = new_agent()
    worker, month = _member(client, field_agent.key)
    sync(client, field_agent.key, [collect_op(worker.membership_number, amount_idr=month)])
    with pytest.raises(ValidationFailed):
        agent_cash_deposit(
            actor=Actor.system("test"), agent=field_agent.agent, amount_idr=month + 1, channel="sandbox", reference="A"
        )
    agent_cash_deposit(
        actor=Actor.system("test"), agent=field_agent.agent, amount_idr=month, channel="sandbox", reference="B"
    )
    with pytest.raises(ValidationFailed):  # nothing left to deposit
        agent_cash_deposit(
            actor=Actor.system("test"), agent=field_agent.agent, amount_idr=month, channel="sandbox", reference="B"
        )
    assert agent_cash_held_idr(agent=field_agent.agent) == 0
    assert _balanced()
    with pytest.raises(CommandError):
        call_command(
            "agent_deposit", field_agent.agent.code, "--amount", "1", "--channel", "agent_cash", "--reference", "x",
            stdout=io.StringIO(),
        )  # fmt: skip
