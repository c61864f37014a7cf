"""The agent's cash held is a running balance on the agent's row; it always equals the ledger account."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rangkul.agents.models import Agent
from rangkul.agents.selectors import agent_cash_held_idr, agent_cash_ledger_idr, agents_cash_mismatched
from rangkul.agents.services import agent_cash_deposit
from rangkul.agents.sync import agent_sync
from rangkul.agents.tests.conftest import collect_op, new_agent, register_op
from rangkul.audit.actors import Actor
from rangkul.contributions.selectors import month_total_idr
from rangkul.core.errors import ValidationFailed
from rangkul.core.periods import Period

pytestmark = pytest.mark.django_db

steps = st.lists(
    st.one_of(
        st.tuples(st.just("collect"), st.integers(min_value=1, max_value=3)),
        st.tuples(st.just("replay"), st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("deposit"), st.integers(min_value=1, max_value=4)),
        st.tuples(st.just("deposit_again"), st.integers(min_value=0, max_value=20)),
    ),
    min_size=1,
    max_size=8,
)


@settings(deadline=None, max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
def test_cash_held_follows_the_ledger_through_collections_replays_and_deposits(regions, roles, sequence):
    with transaction.atomic():
        _run(sequence)
        transaction.set_rollback(True)


def _run(sequence):
    field = new_agent()
    agent = field.agent
    [registered] = agent_sync(agent=agent, operations=[register_op()])
    number = registered["membership_number"]
    month = month_total_idr(
        declared_income_idr=1_000_000, jht=False, sector="non_transport", period=Period.of(timezone.localdate())
    )
    assert month
    Agent.objects.filter(pk=agent.pk).update(cash_limit_idr=month * 5)
    sent: list[dict] = []
    deposits: list[tuple[str, int]] = []
    expected = 0
    for action, value in sequence:
        if action == "collect":
            op = collect_op(number, amount_idr=month * value, months=value)
            [result] = agent_sync(agent=agent, operations=[op])
            sent.append(op)
            if result["status"] == "applied":
                expected += month * value
            else:  # only the limit stops a collection here
                assert result["errors"]["code"] == "cash_limit"
                assert expected + month * value > month * 5
        elif action == "replay" and sent:
            agent_sync(agent=agent, operations=[sent[value % len(sent)]])
        elif action == "deposit":
            amount = month * value
            reference = f"DEP-{len(deposits)}"
            try:
                agent_cash_deposit(
                    actor=Actor.system("test"), agent=agent, amount_idr=amount, channel="sandbox", reference=reference
                )
            except ValidationFailed:
                assert amount > expected
            else:
                expected -= amount
                deposits.append((reference, amount))
        elif action == "deposit_again" and deposits:
            reference, amount = deposits[value % len(deposits)]
            try:  # the same transfer again moves nothing
                agent_cash_deposit(
                    actor=Actor.system("test"), agent=agent, amount_idr=amount, channel="sandbox", reference=reference
                )
            except ValidationFailed:
                assert amount > expected
        assert agent_cash_held_idr(agent=agent) == expected == agent_cash_ledger_idr(agent=agent)
    assert agents_cash_mismatched() == []


def test_the_nightly_check_passes_when_balanced_and_names_an_agent_whose_balance_drifted(regions, roles):
    field = new_agent()
    [registered] = agent_sync(agent=field.agent, operations=[register_op()])
    [collected] = agent_sync(
        agent=field.agent, operations=[collect_op(registered["membership_number"], amount_idr=50_000)]
    )
    assert collected["status"] == "applied"
    out = io.StringIO()
    call_command("check_agent_cash", stdout=out)
    assert json.loads(out.getvalue()) == {"mismatched": []}

    Agent.objects.filter(pk=field.agent.pk).update(cash_held_idr=1)  # written around the services
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("check_agent_cash", stdout=out)
    assert json.loads(out.getvalue()) == {
        "mismatched": [{"agent_code": field.agent.code, "cash_held_idr": 1, "ledger_idr": 50_000}]
    }
