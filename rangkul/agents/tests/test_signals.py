"""Fraud signals against scripted histories: each pattern just over its threshold shows, just
under it does not; signals are shown to supervisors, nothing is decided by them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from rangkul.agents.models import Agent, FraudRule, ReceiptReport, SyncOperation
from rangkul.agents.services import agent_cash_deposit
from rangkul.agents.signals import (
    BURST,
    CASH_HELD_LONG,
    CASH_OVER_LIMIT,
    LATE_SYNC,
    RECEIPT_REPORTS,
    _densest,
    fraud_signals,
    receipt_report_record,
)
from rangkul.agents.sync import agent_sync
from rangkul.agents.tests.conftest import AgentWithKey, collect_op, new_agent, register_op
from rangkul.audit.actors import Actor
from rangkul.contributions.selectors import month_total_idr
from rangkul.core.periods import Period
from rangkul.registry.models import Worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule() -> FraudRule:
    return FraudRule.objects.get(version="signals-2026")


def _kinds(signals, kind):
    return [s for s in signals if s.kind == kind]


def _registrations(agent: Agent, *, count: int, every: dt.timedelta, start: dt.datetime, **where) -> list[str]:
    ops = [register_op(recorded_at=start + i * every) for i in range(count)]
    for op in ops:
        op.update(where)
    results = agent_sync(agent=agent, operations=ops)
    assert {r["status"] for r in results} == {"applied"}
    return [r["membership_number"] for r in results]


def _month(worker: Worker) -> int:
    price = month_total_idr(
        declared_income_idr=worker.declared_income_idr,
        jht=worker.jht,
        sector=worker.occupation.sector,
        period=Period.of(timezone.localdate()),
    )
    assert price
    return price


def test_the_densest_window_is_found():
    t0 = timezone.now()
    times = [t0, t0 + dt.timedelta(minutes=10), *(t0 + dt.timedelta(minutes=30 + i) for i in range(5))]
    assert _densest(times, 15) == (5, 2)
    assert _densest([], 15) == (0, 0)


def test_many_registrations_from_one_phone_in_minutes_show_and_spread_out_ones_do_not(regions, roles, rule):
    field = new_agent()
    start = timezone.now() - dt.timedelta(hours=3)
    # Ten from one phone in under fifteen minutes: a burst.
    _registrations(
        field.agent, count=rule.burst_registrations, every=dt.timedelta(minutes=1), start=start, device="dev-A"
    )
    # Ten from another phone, one every twenty minutes: an ordinary day.
    _registrations(
        field.agent,
        count=rule.burst_registrations,
        every=dt.timedelta(minutes=20),
        start=start - dt.timedelta(hours=5),
        device="dev-B",
    )
    # One short of the threshold from a third phone.
    _registrations(
        field.agent, count=rule.burst_registrations - 1, every=dt.timedelta(seconds=30), start=start, device="dev-C"
    )
    [burst] = _kinds(fraud_signals(), BURST)
    assert burst.count == rule.burst_registrations and burst.agents == (field.agent.code,)
    assert burst.facts["by"] == "device" and burst.facts["value"].startswith("dev-A")


def test_registrations_from_one_place_by_two_agents_show_both(regions, roles, rule):
    first, second = new_agent(), new_agent()
    start = timezone.now() - dt.timedelta(hours=1)
    where = {"location": {"lat": -6.99051, "lon": 110.42291}}
    half = rule.burst_registrations // 2
    _registrations(first.agent, count=half, every=dt.timedelta(minutes=1), start=start, **where)
    _registrations(
        second.agent,
        count=rule.burst_registrations - half,
        every=dt.timedelta(minutes=1),
        start=start + dt.timedelta(seconds=30),
        **where,
    )
    [burst] = _kinds(fraud_signals(), BURST)
    assert burst.facts == {"by": "location", "value": "-6.991,110.423"}
    assert set(burst.agents) == {first.agent.code, second.agent.code}
    assert SyncOperation.objects.filter(location="-6.991,110.423").count() == rule.burst_registrations


def test_unusable_device_and_location_are_dropped_not_rejected(regions, roles):
    field = new_agent()
    op = register_op()
    op.update({"device": 42, "location": {"lat": "x", "lon": 500}})
    [result] = agent_sync(agent=field.agent, operations=[op])
    assert result["status"] == "applied"
    row = SyncOperation.objects.get(operation_id=op["id"])
    assert row.device == "" and row.location == ""


def _collect(field: AgentWithKey, number: str, *, recorded_at: dt.datetime, amount: int) -> dict:
    [result] = agent_sync(
        agent=field.agent, operations=[collect_op(number, amount_idr=amount, recorded_at=recorded_at)]
    )
    assert result["status"] == "applied", result
    return result


def test_collections_sent_long_after_the_cash_was_taken_show(regions, roles, rule):
    field = new_agent()
    now = timezone.now()
    [late, on_time] = _registrations(
        field.agent, count=2, every=dt.timedelta(minutes=1), start=now - dt.timedelta(days=5)
    )
    worker = Worker.objects.get(membership_number=late)
    month = _month(worker)
    _collect(field, late, recorded_at=now - dt.timedelta(hours=rule.late_sync_hours + 2), amount=month)
    _collect(field, on_time, recorded_at=now - dt.timedelta(hours=rule.late_sync_hours - 2), amount=month)
    [signal] = _kinds(fraud_signals(), LATE_SYNC)
    assert signal.agents == (field.agent.code,) and signal.count == 1
    assert signal.facts["longest_hours"] >= rule.late_sync_hours


def test_cash_above_the_limit_and_cash_held_too_long_show_until_deposited(regions, roles, rule):
    field = new_agent()
    now = timezone.now()
    [old, fresh] = _registrations(
        field.agent, count=2, every=dt.timedelta(minutes=1), start=now - dt.timedelta(days=20)
    )
    month = _month(Worker.objects.get(membership_number=old))
    _collect(field, old, recorded_at=now - dt.timedelta(days=rule.cash_hold_days + 1), amount=month)
    _collect(field, fresh, recorded_at=now - dt.timedelta(hours=1), amount=month)
    assert not _kinds(fraud_signals(), CASH_OVER_LIMIT)
    [long_held] = _kinds(fraud_signals(), CASH_HELD_LONG)
    assert long_held.count == rule.cash_hold_days + 1

    # The limit lowered below what the agent holds (a branch decision): shown, not enforced here.
    Agent.objects.filter(pk=field.agent.pk).update(cash_limit_idr=month)
    [over] = _kinds(fraud_signals(), CASH_OVER_LIMIT)
    assert over.facts == {"held_idr": 2 * month, "limit_idr": month}

    # Depositing one collection's worth pays in the oldest cash first: nothing is held too long.
    agent_cash_deposit(
        actor=Actor.system("test"), agent=field.agent, amount_idr=month, channel="sandbox", reference="DEP-1"
    )
    signals = fraud_signals()
    assert not _kinds(signals, CASH_HELD_LONG) and not _kinds(signals, CASH_OVER_LIMIT)


def test_missing_receipt_reports_are_counted_for_the_agent_who_collected(regions, roles, rule):
    field, other = new_agent(), new_agent()
    now = timezone.now()
    [number] = _registrations(other.agent, count=1, every=dt.timedelta(minutes=1), start=now - dt.timedelta(days=2))
    worker = Worker.objects.get(membership_number=number)
    result = _collect(other, number, recorded_at=now - dt.timedelta(days=1), amount=_month(worker))
    # By receipt number, by the agent's code, and with neither (the last agent who collected).
    receipt_report_record(
        actor=Actor.system("test"), worker=worker, channel="branch", receipt_number=result["receipt_number"]
    )
    receipt_report_record(
        actor=Actor.system("test"), worker=worker, channel="portal", agent_code=field.agent.code.lower()
    )
    receipt_report_record(actor=Actor.system("test"), worker=worker, channel="portal")
    signals = _kinds(fraud_signals(), RECEIPT_REPORTS)
    assert {(s.agents, s.count) for s in signals} == {((other.agent.code,), 2), ((field.agent.code,), 1)}

    # Reports older than the look-back window no longer count.
    ReceiptReport.objects.update(reported_at=now - dt.timedelta(days=rule.window_days + 1))
    assert not _kinds(fraud_signals(), RECEIPT_REPORTS)


def test_thresholds_are_dated_rows(regions, roles, rule):
    field = new_agent()
    start = timezone.now() - dt.timedelta(hours=1)
    _registrations(field.agent, count=3, every=dt.timedelta(minutes=1), start=start, device="dev-Z")
    assert not _kinds(fraud_signals(), BURST)
    FraudRule.objects.create(
        version="stricter",
        effective_from=timezone.localdate(),
        source="test",
        window_days=30,
        burst_registrations=3,
        burst_minutes=5,
        late_sync_hours=72,
        cash_hold_days=7,
        receipt_reports=1,
    )
    [burst] = _kinds(fraud_signals(), BURST)
    assert burst.count == 3
    # The day before the new row, the old thresholds apply.
    assert not _kinds(fraud_signals(now=timezone.now() - dt.timedelta(days=1)), BURST)
