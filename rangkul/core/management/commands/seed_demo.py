from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from rangkul.accounts.models import BranchOffice, User
from rangkul.accounts.roles import Role, roles_sync
from rangkul.analytics.services import coverage_snapshot_take
from rangkul.contributions.models import JournalEntry
from rangkul.regions.selectors import regency_exists
from rangkul.registry.demo import seed_demo_workers

DEMO_BRANCH = {"code": "SMG-MJP", "name": "Semarang Majapahit", "regency_id": "33.74"}
BRANCH_ROLES = {
    Role.BRANCH_OFFICER,
    Role.CLAIMS_OFFICER,
    Role.CLAIMS_APPROVER,
    Role.PAYMENTS_OFFICER,
    Role.PAYMENTS_APPROVER,
}
POPULATION_LIMIT = 100_000
DEMO_POPULATION_SEED = 11
DEMO_PASSWORD = "rangkul-demo-2026"  # noqa: S105  (printed on purpose: demo logins only)


class Command(BaseCommand):
    help = "Create demo users (one per role), the Semarang Majapahit branch and demo workers. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD, help="Password for every demo user.")
        parser.add_argument("--workers", type=int, default=300, help="How many demo workers to register.")
        parser.add_argument(
            "--population",
            type=int,
            default=0,
            help="Also add N synthetic members with a year of contribution history (the benchmarks' generator, "
            "from a source checkout); added once.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not regency_exists(DEMO_BRANCH["regency_id"]):
            raise CommandError("Kota Semarang (33.74) is missing: run `python manage.py load_regions` first.")
        password: str = options["password"]
        with transaction.atomic():
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
        workers = seed_demo_workers(count=options["workers"])
        population = self._population(options["population"])
        snapshot = coverage_snapshot_take()  # so the analysts' coverage page has something to show
        self.stderr.write(f"Demo logins (password for all: {password}):")
        for role_name, username in logins:
            self.stderr.write(f"  {role_name:<16} {username}")
        self.stdout.write(
            json.dumps(
                {
                    "users": len(logins),
                    "branch": branch.code,
                    **workers,
                    "population": population,
                    "coverage_snapshot": snapshot.members,
                }
            )
        )

    def _population(self, members: int) -> int:
        """Synthetic members with histories, so statuses, reminders and coverage have data to show."""
        if members <= 0:
            return 0
        if members > POPULATION_LIMIT:
            raise CommandError(f"--population takes at most {POPULATION_LIMIT:,}; use `make bench` for more.")
        try:
            from bench.population import generate
        except ImportError as exc:
            raise CommandError("--population needs a source checkout of Rangkul (the bench/ folder).") from exc
        if JournalEntry.objects.filter(kind="history_import").exists():
            return 0  # added by an earlier run
        return generate(members=members, seed=DEMO_POPULATION_SEED).members
