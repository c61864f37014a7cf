"""Every operation sent twice, shuffled, from two connections at once: each applied once (PostgreSQL)."""

from __future__ import annotations

import importlib
import random
from collections import Counter

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from rangkul.agents.models import AgentRule, Collection, SyncOperation
from rangkul.agents.selectors import agent_cash_held_idr
from rangkul.agents.tests.conftest import collect_op, new_agent, register_op, sync
from rangkul.contributions.selectors import ledger_totals, month_total_idr
from rangkul.core.periods import Period
from rangkul.core.tests.races import race
from rangkul.payments.models import Channel, Payment
from rangkul.payments.tests.factories import seed_reference_data
from rangkul.registry.models import Worker


@pytest.fixture
def seeded(transactional_db):
    seed_reference_data()
    if not Channel.objects.filter(code="agent_cash").exists():
        importlib.import_module("rangkul.payments.migrations.0007_agent_cash_channel").load(apps, None)
    if not AgentRule.objects.exists():
        importlib.import_module("rangkul.agents.migrations.0002_load_agent_rules").load(apps, None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_every_operation_sent_twice_from_two_connections_is_applied_once(seeded, regions, roles):
    field_agent = new_agent(cash_limit_idr=100_000_000)
    client = Client()
    registered = [
        r["membership_number"]
        for r in sync(client, field_agent.key, [register_op() for _ in range(3)]).json()["results"]
    ]
    workers = list(Worker.objects.filter(membership_number__in=registered))
    period = Period.of(timezone.localdate())
    operations = [register_op() for _ in range(8)]
    for worker in workers:
        amount = month_total_idr(
            declared_income_idr=worker.declared_income_idr,
            jht=worker.jht,
            sector=worker.occupation.sector,
            period=period,
        )
        operations += [collect_op(worker.membership_number, amount_idr=amount or 1) for _ in range(2)]
    batches = [operations * 2, operations * 2]
    for number, batch in enumerate(batches):
        random.Random(number).shuffle(batch)
    answers: list[list[dict]] = []

    def send(batch: list[dict]) -> None:
        response = sync(Client(), field_agent.key, batch)
        assert response.status_code == 200, response.content
        answers.append(response.json()["results"])

    errors = race([lambda batch=batch: send(batch) for batch in batches])
    assert not errors, errors
    by_id: dict[str, set[str]] = {}
    for results in answers:
        for result in results:
            assert result["status"] == "applied", result
            by_id.setdefault(result["id"], set()).add(repr(sorted(result.items())))
    # Every copy of an operation got the same, first, answer.
    assert all(len(variants) == 1 for variants in by_id.values())
    assert len(by_id) == len(operations)
    assert Worker.objects.count() == 3 + 8
    assert Payment.objects.count() == Collection.objects.count() == 6
    assert Counter(SyncOperation.objects.values_list("kind", flat=True)) == {"register": 3 + 8, "collect": 6}
    assert agent_cash_held_idr(agent=field_agent.agent) == sum(Payment.objects.values_list("amount_idr", flat=True))
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]
