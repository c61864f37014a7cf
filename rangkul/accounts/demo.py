"""Demo users: one per role, the branch ones attached to a demo branch office (``seed_demo``)."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from rangkul.accounts.models import BranchOffice, User
from rangkul.accounts.roles import Role, roles_sync

DEMO_BRANCH = {"code": "SMG-MJP", "name": "Semarang Majapahit", "regency_id": "33.74"}
BRANCH_ROLES = {Role.BRANCH_OFFICER, Role.CLAIMS_OFFICER, Role.CLAIMS_APPROVER}


@transaction.atomic
def seed_demo_users(*, password: str) -> tuple[BranchOffice, list[tuple[str, str]]]:
    """Create or reset the demo branch and one user per role; returns the branch and (role, username) pairs."""
    roles_sync()
    branch, _ = BranchOffice.objects.update_or_create(
        code=DEMO_BRANCH["code"],
        defaults={"name": DEMO_BRANCH["name"], "regency_id": DEMO_BRANCH["regency_id"]},
    )
    logins = []
    for role in Role:
        user, _ = User.objects.get_or_create(username=f"demo_{role.value}")
        user.full_name = f"Demo {role.value.replace('_', ' ').title()}"
        user.branch = branch if role in BRANCH_ROLES else None
        user.is_staff = role is Role.ADMINISTRATOR
        user.is_superuser = role is Role.ADMINISTRATOR
        user.locked_until = None
        user.failed_login_count = 0
        user.set_password(password)
        user.save()
        user.groups.set(Group.objects.filter(name=role.value))
        logins.append((role.value, user.username))
    return branch, logins
