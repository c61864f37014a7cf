"""Safe sync: each operation applied once, conflicts explicit, the agent's portfolio readable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError
from django.utils import timezone

from rangkul.accounts.services import api_key_create
from rangkul.agents import sync_batch
from rangkul.agents.models import Agent, AgentStatus, Collection, SyncOperation
from rangkul.agents.selectors import agent_cash_held_idr
from rangkul.agents.sync import agent_sync
from rangkul.agents.tests.conftest import collect_op, new_agent, register_op, sync
from rangkul.audit.actors import Actor
from rangkul.contributions.selectors import coverage_on, ledger_totals, member_credit_idr, month_total_idr, paid_months
from rangkul.core.periods import Period
from rangkul.messaging.backends import locmem
from rangkul.payments.models import Payment, Receipt
from rangkul.registry.models import Worker
from rangkul.registry.tests.factories import worker_create

pytestmark = pytest.mark.django_db


def _month_idr(worker: Worker, period: Period) -> int:
    total = month_total_idr(
        declared_income_idr=worker.declared_income_idr, jht=worker.jht, sector=worker.occupation.sector, period=period
    )
    assert total
    return total


def _registered(client, field_agent) -> Worker:
    response = sync(client, field_agent.key, [register_op()])
    assert response.status_code == 200, response.content
    [result] = response.json()["results"]
    assert result["status"] == "applied"
    return Worker.objects.get(membership_number=result["membership_number"])


def test_register_is_applied_once_and_a_replay_returns_the_first_result(client, field_agent):
    operation = register_op(op="reg-1")
    first = sync(client, field_agent.key, [operation]).json()["results"][0]
    assert first["status"] == "applied" and first["membership_number"]
    again = sync(client, field_agent.key, [operation, operation]).json()["results"]
    assert again == [first, first]
    worker = Worker.objects.get()
    assert worker.membership_number == first["membership_number"]
    assert worker.channel == "agent" and worker.registered_by_id == field_agent.agent.user_id
    assert worker.registered_by_organisation == "koperasi-tani"
    assert SyncOperation.objects.filter(agent=field_agent.agent).count() == 1


def test_a_nik_registered_meanwhile_comes_back_as_duplicate(client, field_agent):
    operation = register_op()
    elsewhere = worker_create(nik=operation["data"]["nik"])  # registered at the office meanwhile
    [result] = sync(client, field_agent.key, [operation]).json()["results"]
    assert result["status"] == "duplicate"
    # Not the agent's member: the agent is not told who it is.
    assert "membership_number" not in result
    assert result["errors"]["code"] == "nik_registered"
    assert Worker.objects.count() == 1 and Worker.objects.get() == elsewhere

    mine = register_op()
    first = sync(client, field_agent.key, [mine]).json()["results"][0]
    second_try = register_op(nik=mine["data"]["nik"])  # the same person entered again offline
    [result] = sync(client, field_agent.key, [second_try]).json()["results"]
    assert result == {"id": second_try["id"], "status": "duplicate", "membership_number": first["membership_number"]}


def test_bad_operations_are_rejected_with_field_messages_and_nothing_changes(client, field_agent):
    ops = [
        register_op(birth_date="17-05-1990"),
        register_op(nik="123"),
        {"id": "x1", "kind": "pay", "recorded_at": timezone.now().isoformat(), "data": {}},
        {"id": "x2", "kind": "register", "recorded_at": "yesterday", "data": {}},
        register_op(recorded_at=timezone.now() - dt.timedelta(days=200)),
        {"kind": "register"},
        "nonsense",
    ]
    response = sync(client, field_agent.key, ops)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 7
    assert "birth_date" in results[0]["errors"]["fields"]
    assert "nik" in results[1]["errors"]["fields"]
    assert results[2]["errors"]["code"] == "invalid_kind"
    assert "recorded_at" in results[3]["errors"]["fields"]
    assert results[4]["errors"]["code"] == "too_old"
    assert not Worker.objects.exists()
    # A stored rejection is answered the same when sent again.
    assert sync(client, field_agent.key, ops[:2]).json()["results"] == results[:2]


def test_collect_records_an_agent_cash_payment_covering_the_member_from_the_collection(
    client, field_agent, django_capture_on_commit_callbacks
):
    worker = _registered(client, field_agent)
    collected_at = timezone.now() - dt.timedelta(hours=3)
    today = Period.of(timezone.localdate())
    amount = _month_idr(worker, today) + _month_idr(worker, today + 1)
    locmem.clear()
    operation = collect_op(worker.membership_number, amount_idr=amount, months=2, recorded_at=collected_at)
    with django_capture_on_commit_callbacks(execute=True):
        [result] = sync(client, field_agent.key, [operation]).json()["results"]
    assert result["status"] == "applied", result
    assert result["months"] == [str(today), str(today + 1)]
    payment = Payment.objects.get()
    assert payment.channel.code == "agent_cash" and payment.worker == worker and payment.amount_idr == amount
    assert payment.paid_at == collected_at.replace(microsecond=payment.paid_at.microsecond)
    assert Receipt.objects.get(payment=payment).number == result["receipt_number"]
    assert coverage_on(worker, timezone.localdate())
    assert set(paid_months(worker_id=worker.pk)) == {today, today + 1}
    # The member gets an SMS receipt with the amount and months.
    [sms] = [m for m in locmem.outbox if m.purpose == "receipt"]
    assert sms.to == worker.phone and result["receipt_number"] in sms.body and str(today + 1) in sms.body
    assert "diterima tunai oleh agen" in sms.body  # in Indonesian
    # The agent now holds the cash; the ledger balances.
    assert agent_cash_held_idr(agent=field_agent.agent) == amount
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]
    # Replayed: the first answer, no second payment.
    assert sync(client, field_agent.key, [operation]).json()["results"] == [result]
    assert Payment.objects.count() == 1 and Collection.objects.count() == 1
    assert agent_cash_held_idr(agent=field_agent.agent) == amount


def test_a_month_paid_meanwhile_becomes_credit_with_a_notice(client, field_agent):
    worker = _registered(client, field_agent)
    today = Period.of(timezone.localdate())
    month = _month_idr(worker, today)
    # Paid at a minimarket while the agent was offline.
    first = collect_op(worker.membership_number, amount_idr=month, first_month=str(today))
    assert sync(client, field_agent.key, [first]).json()["results"][0]["status"] == "applied"
    late = collect_op(worker.membership_number, amount_idr=month, first_month=str(today))
    [result] = sync(client, field_agent.key, [late]).json()["results"]
    assert result["status"] == "applied"
    assert result["months"] == [] and result["credit_idr"] == month
    assert str(today) in result["notices"][0]
    assert member_credit_idr(worker_id=worker.pk) == month
    assert set(paid_months(worker_id=worker.pk)) == {today}


def test_collecting_from_someone_outside_the_portfolio_is_rejected(client, field_agent):
    stranger = worker_create()
    [result] = sync(client, field_agent.key, [collect_op(stranger.membership_number, amount_idr=50_000)]).json()[
        "results"
    ]
    assert result["status"] == "rejected" and result["errors"]["code"] == "not_in_portfolio"
    assert not Payment.objects.exists()


def test_the_agent_key_reads_only_its_own_portfolio_through_the_worker_endpoints(client, field_agent):
    mine = _registered(client, field_agent)
    stranger = worker_create()
    auth = {"Authorization": f"Bearer {field_agent.key}"}
    assert client.get(f"/api/v1/workers/{mine.membership_number}", headers=auth).status_code == 200
    assert client.get(f"/api/v1/workers/{mine.membership_number}/coverage", headers=auth).status_code == 200
    assert client.get(f"/api/v1/workers/{mine.membership_number}/payments", headers=auth).status_code == 200
    assert client.get(f"/api/v1/workers/{stranger.membership_number}", headers=auth).status_code == 404


def test_sync_needs_an_active_agents_key(client, field_agent):
    partner_key = api_key_create(actor=Actor.system("system"), name="partner", organisation_code="koperasi-tani")
    response = sync(client, partner_key, [register_op()])
    assert response.status_code == 403 and response.json()["code"] == "not_an_agent"
    assert sync(client, "rk_wrong", [register_op()]).status_code == 401
    Agent.objects.filter(pk=field_agent.agent.pk).update(status=AgentStatus.INACTIVE)
    response = sync(client, field_agent.key, [register_op()])
    assert response.status_code == 403 and response.json()["code"] == "agent_inactive"
    assert not Worker.objects.exists()


def test_applied_work_counts_as_activity(client, field_agent):
    Agent.objects.filter(pk=field_agent.agent.pk).update(last_activity_at=timezone.now() - dt.timedelta(days=60))
    _registered(client, field_agent)
    field_agent.agent.refresh_from_db()
    assert field_agent.agent.last_activity_at > timezone.now() - dt.timedelta(minutes=1)


def test_a_collection_can_name_a_registration_sent_in_the_same_batch(client, field_agent):
    registration = register_op()
    collect = collect_op("", amount_idr=100_000, registration=registration["id"])
    results = sync(client, field_agent.key, [registration, collect]).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"], results
    assert results[1]["membership_number"] == results[0]["membership_number"]
    orphan = collect_op("", amount_idr=100_000, registration="never-sent")
    [result] = sync(client, field_agent.key, [orphan]).json()["results"]
    assert result["status"] == "rejected" and result["errors"]["code"] == "registration_not_applied"


def test_the_agents_own_session_may_sync_with_its_csrf_token(field_agent):
    import json

    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(field_agent.agent.user)
    body = json.dumps({"operations": [register_op()]})
    refused = browser.post("/api/v1/agent/sync", data=body, content_type="application/json")
    assert refused.status_code in (401, 403)
    assert not Worker.objects.exists()
    page = browser.get("/agen/daftar/")
    token = page.context["csrf_token"]
    response = browser.post(
        "/api/v1/agent/sync", data=body, content_type="application/json", headers={"X-CSRFToken": str(token)}
    )
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "applied"


def test_a_run_of_registrations_answers_as_one_at_a_time(regions, roles, branch):
    """Consecutive registrations are written together, with the same answers: a repeated id gets
    the first result, the same person entered twice is a duplicate of the agent's own member, a bad
    row is rejected alone, and the members get the agent's branch."""
    field = new_agent()
    Agent.objects.filter(pk=field.agent.pk).update(
        branch=branch, last_activity_at=timezone.now() - dt.timedelta(days=9)
    )
    field.agent.refresh_from_db()
    first = register_op(op="run-a")
    again = register_op(op="run-b", nik=first["data"]["nik"])
    bad = register_op(op="run-c", birth_date="17-05-1990")
    other = register_op(op="run-d")
    results = agent_sync(agent=field.agent, operations=[first, first, again, bad, other])
    assert [r["status"] for r in results] == ["applied", "applied", "duplicate", "rejected", "applied"]
    assert results[0] == results[1]
    assert results[2]["membership_number"] == results[0]["membership_number"]
    assert results[3]["errors"]["fields"]["birth_date"]
    workers = Worker.objects.filter(registered_by_id=field.agent.user_id)
    assert workers.count() == 2 and {w.branch_id for w in workers} == {branch.pk}
    assert SyncOperation.objects.filter(agent=field.agent).count() == 4
    field.agent.refresh_from_db()
    assert timezone.now() - field.agent.last_activity_at < dt.timedelta(minutes=1)
    # Sent again, the whole batch gets the same answers and changes nothing.
    assert agent_sync(agent=field.agent, operations=[first, first, again, bad, other]) == results
    assert Worker.objects.count() == 2 and SyncOperation.objects.filter(agent=field.agent).count() == 4


def test_a_failed_run_of_registrations_is_undone_and_sent_one_at_a_time(regions, roles, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("lost connection")  # after the run's operations were stored

    monkeypatch.setattr(sync_batch, "workers_register_many", broken)
    field = new_agent()
    ops = [register_op(op="fb-1"), register_op(op="fb-2")]
    results = agent_sync(agent=field.agent, operations=ops)
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert Worker.objects.count() == 2
    assert SyncOperation.objects.filter(agent=field.agent).count() == 2  # the failed run kept nothing
