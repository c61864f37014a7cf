"""`make demo` as a newcomer meets it: every printed login lands on a page that works, and no menu
link leads to a refusal."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from rangkul.accounts.models import User
from rangkul.messaging.backends import locmem
from rangkul.partners.models import ImportJob, ImportStatus, Membership, Organisation

HREF = re.compile(r'href="(/[^"#?]*)')
# Links that are not pages of the role (API docs are public, file downloads are checked elsewhere).
SKIP = ("/api/", "/static/", "/admin/")


@pytest.fixture
def seeded(regions, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    out, err = StringIO(), StringIO()
    call_command("seed_demo", "--workers", "20", stdout=out, stderr=err)
    return json.loads(out.getvalue().strip().splitlines()[-1]), err.getvalue()


def test_every_printed_demo_login_lands_on_a_page_whose_menu_links_all_open(seeded, client):
    summary, printed = seeded
    usernames = re.findall(r"\b(demo_[a-z_]+)\b", printed)
    assert summary["users"] == len(usernames) >= 5
    for username in usernames:
        user = User.objects.get(username=username)
        client.force_login(user)
        landing = client.get(reverse("accounts:start"), follow=True)
        assert landing.status_code == 200, username
        assert landing.request["PATH_INFO"] != reverse("core:landing"), f"{username} lands nowhere of their own"
        for href in sorted(set(HREF.findall(landing.content.decode()))):
            if href.startswith(SKIP):
                continue
            response = client.get(href)
            assert response.status_code in {200, 302}, f"{username}: {href} answers {response.status_code}"
        client.logout()


def test_demo_partner_admin_has_an_organisation_with_members_and_a_finished_import(seeded, client):
    summary, _printed = seeded
    admin = User.objects.get(username="demo_partner_admin")
    organisation = Organisation.objects.get(users__user=admin)
    job = ImportJob.objects.get(organisation=organisation)
    assert job.status == ImportStatus.COMPLETED
    assert job.imported == summary["partner_members"] > 0
    assert job.rejected == 1  # the demo file carries one mistyped NIK, so the report has something to show
    assert Membership.objects.filter(organisation=organisation).count() == job.imported
    client.force_login(admin)
    page = client.get(reverse("partners:home"))
    assert page.status_code == 200
    assert page.context["members"] == job.imported
    # Running the demo again imports nothing twice.
    call_command("seed_demo", "--workers", "20", stdout=StringIO(), stderr=StringIO())
    assert ImportJob.objects.filter(organisation=organisation).count() == 1
    assert Membership.objects.filter(organisation=organisation).count() == job.imported


def test_demo_prints_a_worker_number_that_receives_a_login_code(
    seeded, client, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    locmem.clear()
    _summary, printed = seeded
    match = re.search(r"/peserta/masuk/ with (0\d+)", printed)
    assert match is not None
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:login"), {"phone": match.group(1)})
    assert [m.purpose for m in locmem.outbox] == ["otp_login"]
    locmem.clear()
