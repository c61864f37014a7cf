"""The pieces the phones keep offline (the agent's portfolio, the worker's card), the supervisors'
signal page, and the member's "no receipt" report."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from rangkul.agents.models import Agent, ReceiptReport
from rangkul.agents.selectors import agent_portfolio_snapshot
from rangkul.agents.signals import receipt_report_record
from rangkul.agents.sync import agent_sync
from rangkul.agents.tests.conftest import collect_op, new_agent, register_op
from rangkul.audit.actors import Actor
from rangkul.contributions.selectors import month_total_idr
from rangkul.contributions.services import bill_issue
from rangkul.core.periods import Period
from rangkul.registry.identity import nik_compact
from rangkul.registry.models import Worker
from rangkul.registry.sessions import SESSION_KEY

pytestmark = pytest.mark.django_db


def _registered(agent: Agent, **data) -> Worker:
    [result] = agent_sync(agent=agent, operations=[register_op(**data)])
    return Worker.objects.get(membership_number=result["membership_number"])


def test_the_portfolio_snapshot_holds_only_the_agents_members_and_no_nik(client, regions, roles):
    field, other = new_agent(), new_agent()
    mine = _registered(field.agent, full_name="Sari Wulandari")
    _registered(other.agent, full_name="Budi Santoso")
    client.force_login(field.agent.user)
    response = client.get(reverse("agents:portfolio_data"))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["agent"] == field.agent.code
    [member] = body["members"]
    assert member["membership_number"] == mine.membership_number and member["nik_masked"] == mine.nik_masked
    raw = response.content.decode()
    assert "Budi" not in raw and nik_compact(mine.nik) not in raw and mine.phone not in raw


def test_the_rate_card_starts_at_the_first_unpaid_month(regions, roles):
    field = new_agent()
    worker = _registered(field.agent)
    current = Period.of(timezone.localdate())
    price = month_total_idr(declared_income_idr=1_000_000, jht=False, sector="non_transport", period=current)
    assert price
    [before] = agent_portfolio_snapshot(agent=field.agent)["members"]
    assert before["paid_through"] == "" and before["rate_card_idr"][0] == price and len(before["rate_card_idr"]) == 12
    [result] = agent_sync(agent=field.agent, operations=[collect_op(worker.membership_number, amount_idr=price)])
    assert result["status"] == "applied"
    [after] = agent_portfolio_snapshot(agent=field.agent)["members"]
    assert after["paid_through"] == str(current) and after["next_month"] == str(current + 1)
    nxt = month_total_idr(declared_income_idr=1_000_000, jht=False, sector="non_transport", period=current + 1)
    assert after["rate_card_idr"][0] == nxt


def test_only_agents_get_the_portfolio(client, regions, roles, branch_officer):
    assert client.get(reverse("agents:portfolio_data")).status_code == 302  # to the login page
    client.force_login(branch_officer)
    assert client.get(reverse("agents:portfolio_data")).status_code == 403


def test_the_worker_portal_is_installable_and_its_service_worker_may_cover_the_card(client):
    manifest = json.loads(client.get(reverse("portal:manifest")).content)
    assert manifest["start_url"] == reverse("contributions:my_card") and manifest["icons"]
    worker_script = client.get(reverse("portal:service_worker"))
    assert worker_script["Service-Worker-Allowed"] == "/"
    script = worker_script.content.decode()
    assert '"/iuran/kartu/"' in script and "/peserta/keluar/" in script
    assert reverse("contributions:my_card") == "/iuran/kartu/" and reverse("portal:logout") == "/peserta/keluar/"


def test_the_card_page_is_marked_for_keeping_and_shows_paid_through_and_last_code(client, regions, roles):
    field = new_agent()
    worker = _registered(field.agent)
    bill = bill_issue(actor=Actor.system("test"), worker=worker, months=1, today=timezone.localdate())
    session = client.session
    session[SESSION_KEY] = worker.pk
    session.save()
    response = client.get(reverse("contributions:my_card"))
    assert response["X-Rangkul-Offline"] == "member-card"
    page = response.content.decode()
    assert 'data-testid="card-paid-through"' in page and bill.payment_code[:4] in page.replace(" ", "")
    assert worker.nik_masked not in page
    assert reverse("agents:receipt_missing") in page


def test_a_member_reports_a_missing_receipt_from_the_portal(client, regions, roles):
    field = new_agent()
    worker = _registered(field.agent)
    url = reverse("agents:receipt_missing")
    assert client.get(url).status_code == 302  # members only
    session = client.session
    session[SESSION_KEY] = worker.pk
    session.save()
    assert client.get(url).status_code == 200
    bad = client.post(url, {"amount_idr": "-5", "paid_on": ""})
    assert bad.status_code == 200 and not ReceiptReport.objects.exists()
    response = client.post(url, {"paid_on": str(timezone.localdate()), "amount_idr": "16800", "note": "Tidak ada SMS"})
    assert response.status_code == 302
    report = ReceiptReport.objects.get()
    assert report.agent == field.agent and report.channel == "portal" and report.amount_idr == 16_800
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert client.post(url, {"paid_on": str(tomorrow)}).status_code == 200
    assert ReceiptReport.objects.count() == 1


def test_supervisors_see_signals_of_their_branch_and_record_reports(client, regions, roles, branch_officer, branch):
    mine, elsewhere = new_agent(), new_agent()
    Agent.objects.filter(pk=mine.agent.pk).update(branch=branch)
    worker = _registered(mine.agent)
    other_worker = _registered(elsewhere.agent)
    url = reverse("agents:signals")
    client.force_login(mine.agent.user)
    assert client.get(url).status_code == 403  # agents do not supervise
    client.force_login(branch_officer)
    response = client.post(url, {"membership_number": worker.membership_number, "note": "Telepon"})
    assert response.status_code == 302
    assert ReceiptReport.objects.get().agent == mine.agent
    receipt_report_record(actor=Actor.system("test"), worker=other_worker, channel="branch")
    page = client.get(url).content.decode()
    assert mine.agent.code in page and elsewhere.agent.code not in page  # another branch's agent
    assert 'data-testid="signals-receipt_reports"' in page and "(1)" in page
    # An unknown member is an error on the form, not a crash.
    missing = client.post(url, {"membership_number": "00000000000"})
    assert missing.status_code == 200 and ReceiptReport.objects.count() == 2
