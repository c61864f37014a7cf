"""The agent's pages as plain forms (no JavaScript): register, find, collect, receipt, today's work."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from rangkul.agents.models import Collection
from rangkul.agents.tests.conftest import new_agent, register_op
from rangkul.contributions.selectors import coverage_on
from rangkul.payments.models import Payment
from rangkul.registry.models import Worker
from rangkul.registry.tests.factories import worker_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client, regions, roles):
    field_agent = new_agent()
    client.force_login(field_agent.agent.user)
    return client, field_agent.agent


def _register_form(**overrides):
    data = register_op()["data"]
    data.update({"operation_id": "web-1", "jht": ""})
    data.update(overrides)
    return data


def test_register_then_collect_two_months_then_the_receipt(agent_client, django_capture_on_commit_callbacks):
    client, _agent = agent_client
    form = _register_form()
    response = client.post(reverse("agents:register"), form)
    worker = Worker.objects.get()
    assert response.status_code == 302 and response.url == reverse("agents:member", args=[worker.membership_number])
    # The same form sent twice (a double tap, a reload) registers once.
    client.post(reverse("agents:register"), form)
    assert Worker.objects.count() == 1

    page = client.get(reverse("agents:member", args=[worker.membership_number]), {"months": "2"})
    assert page.status_code == 200
    collect = page.context["collect_form"]
    assert collect.initial["months"] == 2 and collect.initial["amount_idr"] == page.context["quote"].amount_idr
    assert worker.nik_masked in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("agents:member", args=[worker.membership_number]), collect.initial)
    collection = Collection.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("agents:receipt", args=[collection.receipt_number])
    assert len(collection.months) == 2 and Payment.objects.get().channel.code == "agent_cash"
    assert coverage_on(worker, timezone.localdate())
    receipt = client.get(response.url)
    assert receipt.status_code == 200 and collection.receipt_number in receipt.content.decode()
    home = client.get(reverse("agents:home"))
    assert home.status_code == 200 and collection.receipt_number in home.content.decode()
    assert worker.full_name in home.content.decode()


def test_register_errors_are_shown_on_the_form_in_indonesian(agent_client):
    client, _agent = agent_client
    response = client.post(reverse("agents:register"), _register_form(nik="1234"), HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 200
    assert response.context["form"].errors.get("nik")
    assert "Daftarkan pekerja" in response.content.decode() or "Kode desa" in response.content.decode()
    assert not Worker.objects.exists()


def test_lookup_finds_only_the_agents_own_members(agent_client):
    client, agent = agent_client
    mine = worker_create(actor=agent.user, channel="agent", full_name="Siti Rahayu")
    worker_create(full_name="Siti Lain")
    response = client.get(reverse("agents:lookup"), {"q": "Siti"})
    assert [w.pk for w in response.context["workers"]] == [mine.pk]
    stranger = Worker.objects.exclude(pk=mine.pk).get()
    assert client.get(reverse("agents:member", args=[stranger.membership_number])).status_code == 404


def test_pages_need_an_agent(client, regions, roles, branch_officer):
    client.force_login(branch_officer)
    assert client.get(reverse("agents:home")).status_code == 403
    client.logout()
    assert client.get(reverse("agents:home")).status_code == 302


def test_the_installable_app_has_a_manifest_and_a_service_worker_scoped_to_the_agent_pages(client):
    manifest = client.get(reverse("agents:manifest"))
    assert manifest.status_code == 200 and manifest.json()["start_url"] == reverse("agents:home")
    worker = client.get(reverse("agents:service_worker"))
    assert worker.status_code == 200 and worker["Content-Type"].startswith("application/javascript")
    assert b"caches.open" in worker.content
