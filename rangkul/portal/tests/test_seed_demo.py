"""`seed_demo`: every app's demo seeding, called in order; safe to run again."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rangkul.accounts.demo import role_has_pages
from rangkul.accounts.models import User
from rangkul.accounts.roles import Role


def test_seed_demo_creates_one_user_per_role_with_pages(regions, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo partner's import file
    out, err = StringIO(), StringIO()
    call_command("seed_demo", "--workers", "5", stdout=out, stderr=err)
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    with_pages = [role for role in Role if role_has_pages(role)]
    assert summary["users"] == len(with_pages)
    assert Role.ANALYST in with_pages and Role.PARTNER_ADMIN in with_pages and Role.WORKER not in with_pages
    # The analysts' page has today's counts to show: the demo workers and the demo partner's members.
    assert summary["coverage_snapshot"] == 5 + summary["partner_members"] > 5
    officer = User.objects.get(username="demo_branch_officer")
    assert officer.branch.name == "Semarang Majapahit"
    assert officer.groups.filter(name="branch_officer").exists()
    call_command("seed_demo", "--workers", "5", stdout=StringIO(), stderr=StringIO())
    assert User.objects.filter(username__startswith="demo_", is_active=True).count() == len(with_pages)


def test_seed_demo_adds_a_synthetic_population_once(regions, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    out = StringIO()
    call_command("seed_demo", "--workers", "5", "--population", "40", stdout=out, stderr=StringIO())
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["population"] == 40
    partner = summary["partner_members"]
    assert summary["coverage_snapshot"] == 45 + partner
    out = StringIO()
    call_command("seed_demo", "--workers", "5", "--population", "40", stdout=out, stderr=StringIO())
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["population"] == 0 and summary["coverage_snapshot"] == 45 + partner  # nobody added twice
    with pytest.raises(CommandError, match="at most"):
        call_command("seed_demo", "--population", "100001", stdout=StringIO(), stderr=StringIO())
