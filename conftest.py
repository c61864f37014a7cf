"""Test-wide setup: test settings, personas and helpers shared by every app."""

from __future__ import annotations

import os

os.environ.setdefault("RANGKUL_ENV", "test")

import pytest  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402

from rangkul.accounts.roles import Role, roles_sync  # noqa: E402
from rangkul.accounts.tests.factories import BranchOfficeFactory, UserFactory  # noqa: E402
from rangkul.regions.tests.factories import small_region_tree  # noqa: E402

PASSWORD = "correct horse battery"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords and vendor != "postgresql":
            item.add_marker(skip_pg)


@pytest.fixture
def regions(db):
    """A few real regions (Kota Semarang and two others), enough for most tests."""
    return small_region_tree()


@pytest.fixture
def roles(db):
    roles_sync()


@pytest.fixture
def branch(regions):
    return BranchOfficeFactory(code="SMG-MJP", name="Semarang Majapahit", regency_id="33.74")


def _persona(role: Role, branch=None, **extra):
    user = UserFactory(username=role.value, password=PASSWORD, branch=branch, **extra)
    user.groups.add(*Group.objects.filter(name=role.value))
    return user


@pytest.fixture
def branch_officer(roles, branch):
    return _persona(Role.BRANCH_OFFICER, branch=branch, is_staff=False)


@pytest.fixture
def administrator(roles):
    return _persona(Role.ADMINISTRATOR)


@pytest.fixture
def analyst(roles):
    return _persona(Role.ANALYST)


@pytest.fixture
def claims_approver(roles):
    return _persona(Role.CLAIMS_APPROVER)


@pytest.fixture
def agent_user(roles):
    return _persona(Role.AGENT)


@pytest.fixture
def partner_admin(roles):
    return _persona(Role.PARTNER_ADMIN)
