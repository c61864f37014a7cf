"""Demo users: one per role, the branch ones attached to a demo branch office (``seed_demo``)."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from rangkul.accounts.models import BranchOffice, User
from rangkul.accounts.roles import ROLE_PERMISSIONS, Role, roles_sync
from rangkul.accounts.views import START_PAGES

DEMO_BRANCH = {
    "code": "SMG-MJP",
    "name": "Semarang Majapahit",
    "regency_id": "33.74",
    # Made up for the demo: the help page shows members where to go and whom to call.
    "address": "Jl. Contoh Demo No. 1, Semarang (alamat demo)",
    "phone": "(024) 555-0100",
}
BRANCH_ROLES = {
    Role.BRANCH_OFFICER,
    Role.CLAIMS_OFFICER,
    Role.CLAIMS_APPROVER,
    Role.PAYMENTS_OFFICER,
    Role.PAYMENTS_APPROVER,
}


def role_has_pages(role: Role) -> bool:
    """Whether a user of this role lands on pages of their own after logging in.

    Roles whose pages are not built get no demo login, and workers log in by one-time code,
    not with a staff account: a demo login must lead somewhere useful.
    """
    permissions = set(ROLE_PERMISSIONS[role])
    for permission, url_name in START_PAGES:
        if permission in permissions:
            try:
                reverse(url_name)
            except NoReverseMatch:
                continue
            return True
    return False


@transaction.atomic
def seed_demo_users(*, password: str) -> tuple[BranchOffice, list[tuple[str, str]]]:
    """Create or reset the demo branch and one user per role; returns the branch and (role, username) pairs."""
    roles_sync()
    branch, _ = BranchOffice.objects.update_or_create(
        code=DEMO_BRANCH["code"],
        defaults={k: v for k, v in DEMO_BRANCH.items() if k != "code"},
    )
    logins = []
    # Logins left by an older version for roles without pages would land nowhere useful.
    User.objects.filter(username__in=[f"demo_{r.value}" for r in Role if not role_has_pages(r)]).update(is_active=False)
    for role in Role:
        if not role_has_pages(role):
            continue
        user, _ = User.objects.get_or_create(username=f"demo_{role.value}")
        user.full_name = f"Demo {role.value.replace('_', ' ').title()}"
        user.branch = branch if role in BRANCH_ROLES else None
        user.is_staff = role is Role.ADMINISTRATOR
        user.is_superuser = role is Role.ADMINISTRATOR
        user.is_active = True
        user.locked_until = None
        user.failed_login_count = 0
        user.set_password(password)
        user.save()
        user.groups.set(Group.objects.filter(name=role.value))
        logins.append((role.value, user.username))
    return branch, logins


def demo_user(role: Role) -> User:
    """The demo login of a role (after ``seed_demo_users``)."""
    return User.objects.get(username=f"demo_{role.value}")
