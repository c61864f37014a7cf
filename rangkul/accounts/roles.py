"""Roles are Django groups built from named permissions.

The table below is the one place that says what each role may do; it is
applied after every migration, so a fresh database always has the groups.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction


class Role(StrEnum):
    WORKER = "worker"
    AGENT = "agent"
    PARTNER_ADMIN = "partner_admin"
    SPONSOR_OFFICER = "sponsor_officer"
    BRANCH_OFFICER = "branch_officer"
    CLAIMS_OFFICER = "claims_officer"
    CLAIMS_APPROVER = "claims_approver"
    ANALYST = "analyst"
    PAYMENTS_OFFICER = "payments_officer"
    PAYMENTS_APPROVER = "payments_approver"
    CAMPAIGN_OFFICER = "campaign_officer"
    ADMINISTRATOR = "administrator"


# "app_label.codename" for each role. Apps that arrive later add their own
# model permissions here.
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.WORKER: [],
    Role.AGENT: ["accounts.register_worker", "accounts.collect_contributions"],
    Role.PARTNER_ADMIN: ["accounts.register_worker", "accounts.manage_partner"],
    Role.SPONSOR_OFFICER: ["accounts.manage_sponsorship"],
    Role.BRANCH_OFFICER: [
        "accounts.access_office",
        "accounts.register_worker",
        "accounts.reveal_nik",
        "accounts.view_audit_log",
        # Branch officers supervise the field agents of their branch.
        "agents.view_fraud_signals",
    ],
    Role.CLAIMS_OFFICER: ["accounts.access_office", "accounts.process_claims"],
    Role.CLAIMS_APPROVER: [
        "accounts.access_office",
        "accounts.process_claims",
        "accounts.approve_claims",
        "accounts.approve_adjustments",
    ],
    Role.ANALYST: ["accounts.access_office", "accounts.view_analytics"],
    # Money moves only through these two: the officer uploads settlement files and proposes how an
    # exception is resolved, the approver (never the same person for one exception) approves it.
    Role.PAYMENTS_OFFICER: ["accounts.access_office", "accounts.handle_payments"],
    Role.PAYMENTS_APPROVER: ["accounts.access_office", "accounts.handle_payments", "accounts.approve_payments"],
    # Makes and approves campaigns; the services refuse approving one's own (maker ≠ checker).
    Role.CAMPAIGN_OFFICER: ["accounts.access_office", "accounts.run_campaigns", "accounts.approve_campaigns"],
    Role.ADMINISTRATOR: [
        "accounts.access_office",
        "accounts.register_worker",
        "accounts.reveal_nik",
        "accounts.view_all_regions",
        "accounts.manage_partner",
        "accounts.manage_sponsorship",
        "accounts.process_claims",
        "accounts.approve_claims",
        "accounts.approve_adjustments",
        "accounts.view_analytics",
        "accounts.view_audit_log",
        "accounts.handle_payments",
        "accounts.approve_payments",
        "accounts.run_campaigns",
        "accounts.approve_campaigns",
        "agents.view_fraud_signals",
        "accounts.anonymise_worker",
    ],
}


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@transaction.atomic
def roles_sync() -> dict[str, int]:
    """Create or update one group per role with exactly its permissions."""
    counts: dict[str, int] = {}
    for role, dotted in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        permissions = [_permission(name) for name in dotted]
        group.permissions.set(permissions)
        counts[role.value] = len(permissions)
    return counts


def sync_roles_after_migrate(sender: Any, **kwargs: Any) -> None:
    using = kwargs.get("using", "default")
    if using != "default":
        return
    # Each app's permissions are created in its own post_migrate: the roles are built once every
    # permission they name exists (at the latest app's turn), and again on later migrations.
    named = {tuple(dotted.split(".", 1)) for names in ROLE_PERMISSIONS.values() for dotted in names}
    if getattr(sender, "label", None) not in {app for app, _name in named}:
        return  # no role permission of this app: nothing new to build from
    present = set(
        Permission.objects.filter(content_type__app_label__in={app for app, _name in named}).values_list(
            "content_type__app_label", "codename"
        )
    )
    if not named <= present:
        return
    roles_sync()
