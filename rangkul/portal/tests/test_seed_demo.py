"""`seed_demo`: every app's demo seeding, called in order; safe to run again."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rangkul.accounts.models import User
from rangkul.accounts.roles import Role


def test_seed_demo_creates_one_user_per_role(regions):
    out, err = StringIO(), StringIO()
    call_command("seed_demo", "--workers", "5", stdout=out, stderr=err)
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["users"] == len(Role)
    assert summary["coverage_snapshot"] == 5  # the analysts' page has today's counts to show
    officer = User.objects.get(username="demo_branch_officer")
    assert officer.branch.name == "Semarang Majapahit"
    assert officer.groups.filter(name="branch_officer").exists()
    call_command("seed_demo", "--workers", "5", stdout=StringIO(), stderr=StringIO())
    assert User.objects.filter(username__startswith="demo_").count() == len(Role)


def test_seed_demo_adds_a_synthetic_population_once(regions):
    out = StringIO()
    call_command("seed_demo", "--workers", "5", "--population", "40", stdout=out, stderr=StringIO())
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["population"] == 40
    assert summary["coverage_snapshot"] == 45
    out = StringIO()
    call_command("seed_demo", "--workers", "5", "--population", "40", stdout=out, stderr=StringIO())
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["population"] == 0 and summary["coverage_snapshot"] == 45  # nobody added twice
    with pytest.raises(CommandError, match="at most"):
        call_command("seed_demo", "--population", "100001", stdout=StringIO(), stderr=StringIO())
