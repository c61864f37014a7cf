"""The campaign pages: create with a live count, preview, approval by another person, results."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.contributions.tests.factories import member
from rangkul.messaging.models import OptOut
from rangkul.messaging.optout import is_opted_out
from rangkul.outreach.campaigns import campaigns_dispatch
from rangkul.outreach.member_values import member_values
from rangkul.outreach.models import Campaign, CampaignStatus
from rangkul.registry.sessions import SESSION_KEY


@pytest.fixture
def officers(roles, settings):
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    people = []
    for name in ("pembuat", "pemeriksa"):
        user = UserFactory(username=name)
        user.groups.add(Group.objects.get(name=Role.CAMPAIGN_OFFICER.value))
        people.append(user)
    return people


FORM = {
    "name": "Ayo bayar Maret",
    "regions": "33.74",
    "occupations": "",
    "sex": "",
    "lapsed_within_days": "90",
    "channel": "sms",
    "body_id": "Halo {name}, iuran Anda {amount}. {link}",
    "body_en": "",
    "scheduled_for": "2026-03-10T10:00",
    "control_percent": "0",
    "conversion_days": "30",
}


def test_create_count_preview_approve_and_results(client, officers, regions):
    maker, checker = officers
    worker = member(village_code="33.74.01.1001", full_name="Siti Rahayu")
    member(village_code="31.71.01.1001")
    client.force_login(maker)
    counted = client.post(reverse("outreach_office:campaign_new"), {**FORM, "count": "1"})
    assert counted.status_code == 200 and Campaign.objects.count() == 0
    assert re.search(r'data-testid="live-count">[^<]*\b1\b', counted.content.decode())
    bad = client.post(reverse("outreach_office:campaign_new"), {**FORM, "body_id": "Halo {nama}"})
    assert bad.status_code == 200 and "{nama}" in bad.content.decode()
    saved = client.post(reverse("outreach_office:campaign_new"), FORM)
    campaign = Campaign.objects.get()
    assert saved.status_code == 302
    page = client.get(reverse("outreach_office:campaign", args=[campaign.pk])).content.decode()
    assert "S•••• R••••" in page and "Siti" not in page and worker.phone not in page
    assert 'action="' + reverse("outreach_office:campaign_approve", args=[campaign.pk]) not in page
    refused = client.post(reverse("outreach_office:campaign_approve", args=[campaign.pk]), {"confirm": "on"})
    assert refused.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT

    client.force_login(checker)
    client.post(reverse("outreach_office:campaign_approve", args=[campaign.pk]), {"confirm": "on"})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING and campaign.approved_by == checker
    campaigns_dispatch(now=max(campaign.scheduled_for, campaign.approved_at))
    results = client.get(reverse("outreach_office:campaign", args=[campaign.pk]))
    assert results.status_code == 200
    assert 'data-testid="results"' in results.content.decode()
    assert client.get(reverse("outreach_office:campaigns")).status_code == 200


def test_an_email_campaign_from_the_form_shows_the_reach_and_the_subject_masked(client, officers, regions, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    maker, _checker = officers
    member(village_code="33.74.01.1001", full_name="Siti Rahayu", email="siti@example.id")
    member(village_code="33.74.01.1001")
    client.force_login(maker)
    form = {**FORM, "channel": "email", "fallback_channel": "sms", "email_subject": "{name}, iuran Anda"}
    assert client.post(reverse("outreach_office:campaign_new"), form).status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.channel, campaign.fallback_channel) == ("email", "sms")
    page = client.get(reverse("outreach_office:campaign", args=[campaign.pk])).content.decode()
    assert re.search(r'data-testid="email-count">\s*1 ', page)
    assert re.search(r'data-testid="preview-subject">.*S•••• R••••, iuran Anda', page)
    assert "Siti" not in page and "siti@example.id" not in page


def test_pages_need_the_campaign_permissions(client, roles, regions, analyst):
    client.force_login(analyst)
    assert client.get(reverse("outreach_office:campaigns")).status_code == 403
    assert client.get(reverse("outreach_office:campaign_new")).status_code == 403


def _portal_login(client, worker) -> None:
    session = client.session
    session[SESSION_KEY] = worker.pk
    session.save()


def test_opt_out_from_the_portal_and_back(client, regions):
    worker = member(village_code="33.74.01.1001")
    _portal_login(client, worker)
    url = reverse("outreach_member:preferences")
    assert 'data-testid="messages-on"' in client.get(url).content.decode()
    client.post(url, {"messages": "stop"})
    assert is_opted_out(worker.phone)
    assert OptOut.objects.get(phone=worker.phone).source == "portal"
    assert 'data-testid="messages-off"' in client.get(url).content.decode()
    client.post(url, {"messages": "resume"})
    assert not is_opted_out(worker.phone)


def test_opt_out_by_the_link_in_a_message(client, regions, settings):
    settings.OUTREACH_LINK_URL = "https://rangkul.example/"
    worker = member(village_code="33.74.01.1001")
    link = member_values([worker], today=timezone.localdate())[worker.pk].stop_link
    assert link.startswith("https://rangkul.example/peserta/pesan/berhenti/")
    assert worker.phone.lstrip("+") not in link and worker.membership_number not in link
    path = link.removeprefix("https://rangkul.example")
    page = client.get(path)
    assert page.status_code == 200 and not is_opted_out(worker.phone)  # a link preview stops nothing
    client.post(path)
    assert is_opted_out(worker.phone) and OptOut.objects.get(phone=worker.phone).source == "link"
    assert client.get(path.replace("berhenti/", "berhenti/x")).status_code == 404
    assert client.get("/peserta/pesan/berhenti/not-a-token/").status_code == 404
