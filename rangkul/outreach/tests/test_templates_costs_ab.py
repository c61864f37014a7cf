"""WhatsApp template approval status, cost per conversion from per-message prices, and A/B versions
compared as the message group is compared with control."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from rangkul.accounts.models import User
from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.contributions.rules import rulebook_cache_clear
from rangkul.contributions.selectors import month_total_idr
from rangkul.contributions.services import payment_allocate
from rangkul.contributions.tests.factories import member
from rangkul.core.errors import ValidationFailed
from rangkul.core.periods import Period
from rangkul.messaging.backends import locmem
from rangkul.messaging.backends.whatsapp import LocmemWhatsAppBackend
from rangkul.outreach.campaign_selectors import campaign_preview, campaign_results
from rangkul.outreach.campaigns import CampaignStateError, campaign_approve, campaign_create, campaigns_dispatch
from rangkul.outreach.costs import campaign_cost, message_price_idr
from rangkul.outreach.models import CampaignRecipient, RecipientState
from rangkul.outreach.segments import Segment
from rangkul.outreach.wa_templates import whatsapp_template_record
from rangkul.registry.models import Worker

DAYTIME = dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _backends(settings, regions):
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    settings.WHATSAPP_BACKEND = "rangkul.messaging.backends.whatsapp.LocmemWhatsAppBackend"
    settings.OUTREACH_WEEKLY_CAP = 5
    rulebook_cache_clear()
    locmem.clear()
    LocmemWhatsAppBackend.clear()
    yield
    locmem.clear()
    LocmemWhatsAppBackend.clear()


def staff(name: str) -> User:
    user = cast(User, UserFactory(username=name))
    user.groups.add(Group.objects.get(name=Role.CAMPAIGN_OFFICER.value))
    return user


@pytest.fixture
def maker(roles):
    return staff("maker")


@pytest.fixture
def checker(roles):
    return staff("checker")


def make(maker: User, **kwargs: Any):
    values: dict[str, Any] = {
        "name": "Ajakan",
        "segment": Segment(),
        "body_id": "Halo {name}, {link}",
        "scheduled_for": DAYTIME,
        "control_percent": 0,
    }
    values.update(kwargs)
    return campaign_create(actor=Actor.for_user(maker), **values)


def pay(worker_id: int, when: dt.datetime) -> None:
    amount = month_total_idr(declared_income_idr=1_000_000, jht=False, sector="non_transport", period=Period(2026, 1))
    assert amount
    payment_allocate(
        actor=Actor.system("test"),
        worker=Worker.objects.get(pk=worker_id),
        amount_idr=amount,
        payment_reference=f"P-{worker_id}",
        channel="sandbox",
        paid_at=when,
    )


def test_only_approved_templates_are_sendable(maker, checker):
    member(village_code="33.74.01.1001")
    with pytest.raises(ValidationFailed):  # an unregistered template is refused when saving
        make(maker, channel="whatsapp", whatsapp_template="ajakan_iuran")
    whatsapp_template_record(
        actor=Actor.for_user(maker), name="ajakan_iuran", status="pending", body="Halo {{1}}, {{2}}"
    )
    campaign = make(maker, channel="whatsapp", whatsapp_template="ajakan_iuran")
    with pytest.raises(CampaignStateError):
        campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)
    with pytest.raises(ValidationFailed):  # a rejection carries Meta's reason
        whatsapp_template_record(actor=Actor.for_user(maker), name="ajakan_iuran", status="rejected")
    whatsapp_template_record(actor=Actor.for_user(maker), name="ajakan_iuran", status="approved")
    campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)
    # Paused by Meta after approval: nothing goes out, the messages wait.
    whatsapp_template_record(actor=Actor.for_user(maker), name="ajakan_iuran", status="paused")
    assert campaigns_dispatch(now=DAYTIME) == {"template_not_approved": 1}
    assert LocmemWhatsAppBackend.outbox == [] and locmem.outbox == []
    assert CampaignRecipient.objects.get().state == RecipientState.PENDING
    whatsapp_template_record(actor=Actor.for_user(maker), name="ajakan_iuran", status="approved")
    assert campaigns_dispatch(now=DAYTIME) == {"sent": 1}
    assert len(LocmemWhatsAppBackend.outbox) == 1
    assert AuditEvent.objects.filter(action="whatsapp_template.status").count() == 4


def test_template_page_records_statuses_for_campaign_staff_only(client, maker):
    client.force_login(maker)
    url = reverse("outreach_office:whatsapp_templates")
    response = client.post(url, {"name": "ajakan_iuran", "language": "id", "status": "approved", "reason": ""})
    assert response.status_code == 302
    assert "ajakan_iuran" in client.get(url).content.decode()
    client.force_login(UserFactory(username="tamu"))
    assert client.get(url).status_code == 403


def test_prices_are_dated_data_and_cost_per_conversion_follows():
    assert message_price_idr("sms", dt.date(2026, 3, 1)) > 0
    assert message_price_idr("sms", dt.date(2020, 1, 1)) == 0  # before any price row: unknown
    sms = message_price_idr("sms", dt.date(2026, 3, 1))
    cost = campaign_cost(messages={"sms": 10}, day=dt.date(2026, 3, 1), converted=4, extra_conversions=2.0)
    assert cost.total_idr == 10 * sms
    assert cost.per_conversion_idr == round(10 * sms / 4) and cost.per_extra_conversion_idr == 5 * sms
    none = campaign_cost(messages={"sms": 10}, day=dt.date(2026, 3, 1), converted=0, extra_conversions=-0.5)
    assert none.per_conversion_idr is None and none.per_extra_conversion_idr is None


def test_ab_versions_split_the_message_group_and_are_compared(maker, checker):
    for _ in range(12):
        member(village_code="33.74.01.1001")
    campaign = make(maker, body_id="Versi A {name}", body_b_id="Versi B {name}", control_percent=0)
    preview = campaign_preview(campaign, today=DAYTIME.date())
    assert preview is not None and preview["b"].startswith("Versi B ") and "Budi" not in preview["b"]  # masked
    campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)
    variants = dict(CampaignRecipient.objects.values_list("worker_id", "variant"))
    a = [w for w, v in variants.items() if v == "a"]
    b = [w for w, v in variants.items() if v == "b"]
    assert len(a) == len(b) == 6
    campaigns_dispatch(now=DAYTIME)
    phones = dict(Worker.objects.values_list("pk", "phone"))
    texts = {m.to: m.body for m in locmem.outbox if m.purpose == "campaign"}
    assert all(texts[phones[w]].startswith("Versi A") for w in a)
    assert all(texts[phones[w]].startswith("Versi B") for w in b)
    for worker_id in a[:4] + b[:1]:
        pay(worker_id, DAYTIME + dt.timedelta(days=2))
    campaign.refresh_from_db()
    results = campaign_results(campaign, now=DAYTIME + dt.timedelta(days=40))
    assert results is not None and results.ab is not None
    assert results.variants == {"a": (6, 4), "b": (6, 1)}
    assert results.ab.difference == pytest.approx(4 / 6 - 1 / 6)
    sms = message_price_idr("sms", DAYTIME.date())
    assert results.cost.messages == {"sms": 12} and results.cost.total_idr == 12 * sms
    assert results.cost.per_conversion_idr == round(12 * sms / 5)
    assert results.cost.per_extra_conversion_idr is None  # no control group: no added conversions known
