"""Test-wide setup: test settings, personas and helpers shared by every app."""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import cast

os.environ.setdefault("RANGKUL_ENV", "test")

import pytest
from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from pytest_django.plugin import blocking_manager_key

from rangkul.accounts.models import User
from rangkul.accounts.roles import Role, roles_sync
from rangkul.accounts.tests.factories import BranchOfficeFactory, UserFactory
from rangkul.regions.tests.factories import small_region_tree

audit_append_only = importlib.import_module("rangkul.audit.migrations.0002_append_only")

PASSWORD = "correct horse battery"

# Property-based tests draw a small number of examples while developing and the full number in
# CI (.ci/run sets CI=true); HYPOTHESIS_PROFILE=ci or =dev chooses one explicitly. Tests set no
# budget of their own. Many take function-scoped fixtures (a database per test, not per example)
# and run against a database, so neither that health check nor a per-example deadline applies.
_HYPOTHESIS_COMMON = hypothesis_settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
hypothesis_settings.register_profile("ci", _HYPOTHESIS_COMMON, max_examples=100)
hypothesis_settings.register_profile("dev", _HYPOTHESIS_COMMON, max_examples=20)


def hypothesis_profile(environ: Mapping[str, str]) -> str:
    chosen = environ.get("HYPOTHESIS_PROFILE", "").strip()
    if chosen:
        return chosen
    return "ci" if environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"} else "dev"


hypothesis_settings.load_profile(hypothesis_profile(os.environ))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Tests flush tables between transactional tests, which the audit log's triggers forbid.

    The test database therefore runs without them; test_audit.py installs them with the
    migration's own code to prove they refuse updates and deletes.
    """
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        audit_append_only.backwards(None, editor)


# Data migrations that seed reference tables. Transactional tests end by flushing every table,
# reference data included; these put it back so that the next test sees a migrated database.
REFERENCE_DATA_MIGRATIONS = [
    "rangkul.registry.migrations.0002_seed_occupations",
    "rangkul.contributions.migrations.0002_load_rules_and_chart",
    "rangkul.payments.migrations.0002_load_channels",
    "rangkul.payments.migrations.0007_agent_cash_channel",
    "rangkul.agents.migrations.0002_load_agent_rules",
    "rangkul.agents.migrations.0004_load_commission_rules",
]


def _is_transactional(item: pytest.Item) -> bool:
    if {"transactional_db", "live_server", "django_db_reset_sequences"} & set(getattr(item, "fixturenames", ())):
        return True
    marker = item.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    transactional = _is_transactional(item)
    yield  # fixtures are finalised here, the flush included
    if not transactional or nextitem is None:
        return
    with item.config.stash[blocking_manager_key].unblock():
        for dotted in REFERENCE_DATA_MIGRATIONS:
            try:
                module = importlib.import_module(dotted)
            except ModuleNotFoundError:
                continue
            module.load(global_apps, None)


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
    user = cast(User, UserFactory(username=role.value, password=PASSWORD, branch=branch, **extra))
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


@pytest.fixture
def payments_officer(roles, branch):
    return _persona(Role.PAYMENTS_OFFICER, branch=branch, is_staff=False)


@pytest.fixture
def payments_approver(roles, branch):
    return _persona(Role.PAYMENTS_APPROVER, branch=branch, is_staff=False)


@pytest.fixture
def claims_officer(roles):
    return _persona(Role.CLAIMS_OFFICER)
