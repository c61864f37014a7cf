from __future__ import annotations

from typing import cast

import pytest
from django.contrib.auth.models import Group

from rangkul.accounts.models import User
from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.contributions.rules import rulebook_cache_clear


@pytest.fixture(autouse=True)
def _fresh_rulebooks():
    rulebook_cache_clear()
    yield
    rulebook_cache_clear()


def staff(role: Role, username: str, branch=None):
    user = cast(User, UserFactory(username=username, branch=branch))
    user.groups.add(*Group.objects.filter(name=role.value))
    return user


@pytest.fixture
def officer(roles, branch):
    return staff(Role.CLAIMS_OFFICER, "officer", branch)


@pytest.fixture
def approver(roles, branch):
    return staff(Role.CLAIMS_APPROVER, "approver", branch)


@pytest.fixture
def second_approver(roles, branch):
    return staff(Role.CLAIMS_APPROVER, "approver2", branch)
