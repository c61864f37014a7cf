"""A campaign on phones: one officer creates and previews it, a second approves, the results page shows it sent."""

from __future__ import annotations

import re
from typing import cast

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from rangkul.accounts.models import User
from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.contributions.tests.factories import ensure_reference_data
from rangkul.messaging.backends import locmem
from rangkul.outreach.campaigns import campaigns_dispatch
from rangkul.outreach.models import CampaignRecipient
from rangkul.registry.tests.factories import worker_create
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def officer(name: str) -> User:
    user = cast(User, UserFactory(username=name, password=PASSWORD))
    user.groups.add(Group.objects.get(name=Role.CAMPAIGN_OFFICER.value))
    return user


def log_in(page: Page, base: str, user: User) -> None:
    page.goto(base + "/akun/masuk/")
    page.get_by_label("Nama pengguna").fill(user.username)
    page.get_by_label("Sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/office/$"))


def test_campaign_created_previewed_approved_and_measured(
    live_server, phone_page: Page, page: Page, roles, regions, settings
) -> None:
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    ensure_reference_data()
    locmem.clear()
    for _ in range(4):
        worker_create(village_code="33.74.01.1001")
    worker_create(village_code="31.71.01.1001", full_name="Siti Rahayu")
    maker, checker = officer("pembuat"), officer("pemeriksa")

    phone = phone_page
    log_in(phone, live_server.url, maker)
    phone.get_by_role("link", name="Kampanye").click()
    phone.get_by_role("link", name="Kampanye baru").click()
    phone.locator("#id_name").fill("Ayo mulai bayar")
    phone.locator("#id_regions").fill("33.74")
    phone.get_by_label("Terdaftar, belum pernah membayar").check()
    phone.locator("#id_body_id").fill("Halo {name}, iuran Anda {amount} sebulan. {link}")
    phone.locator("#id_control_percent").fill("25")
    phone.get_by_role("button", name="Hitung peserta").click()
    expect(phone.get_by_test_id("live-count")).to_contain_text("4 peserta")
    assert_accessible(phone)
    phone.get_by_role("button", name="Simpan untuk disetujui").click()
    expect(phone.get_by_test_id("preview-id")).to_contain_text("Halo B•••• W••••")
    expect(phone.get_by_role("button", name="Setujui dan kirim")).to_have_count(0)
    assert_accessible(phone)

    log_in(page, live_server.url, checker)
    page.goto(phone.url)
    page.get_by_label("Saya sudah memeriksa sasaran, pesan dan jadwalnya.").check()
    page.get_by_role("button", name="Setujui dan kirim").click()
    expect(page.get_by_text("3 peserta akan menerima pesan, 1 menjadi kelompok pembanding")).to_be_visible()

    # The cron run, at the moment the messages are due (after quiet hours if it is night in Semarang).
    due = max(CampaignRecipient.objects.values_list("send_after", flat=True))
    campaigns_dispatch(now=due)
    assert len([m for m in locmem.outbox if m.purpose == "campaign"]) == 3
    phone.reload()
    results = phone.get_by_test_id("results")
    expect(results.get_by_role("row", name=re.compile("Diserahkan ke penyedia"))).to_contain_text("3")
    expect(results.get_by_role("row", name=re.compile("Kelompok pembanding"))).to_contain_text("1")
    assert_accessible(phone)
