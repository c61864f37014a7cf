"""Demo data for a fresh installation: each app seeds its own part (``<app>/demo.py``); this command calls them."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.accounts.demo import DEMO_BRANCH, demo_user, seed_demo_users
from rangkul.accounts.roles import Role
from rangkul.agents.demo import seed_demo_agent
from rangkul.analytics.services import coverage_snapshot_take
from rangkul.contributions.demo import generate
from rangkul.contributions.models import JournalEntry
from rangkul.partners.demo import CODE as DEMO_PARTNER_CODE
from rangkul.partners.demo import seed_demo_partner
from rangkul.regions.selectors import regency_exists
from rangkul.registry.demo import demo_worker_login_phone, seed_demo_workers
from rangkul.sponsorships.demo import seed_demo_sponsor

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
            help="Also add N synthetic members with a year of contribution history (the benchmarks' generator); "
            "added once.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not regency_exists(DEMO_BRANCH["regency_id"]):
            raise CommandError("Kota Semarang (33.74) is missing: run `python manage.py load_regions` first.")
        password: str = options["password"]
        branch, logins = seed_demo_users(password=password)
        workers = seed_demo_workers(count=options["workers"])
        partner = seed_demo_partner(admin=demo_user(Role.PARTNER_ADMIN), branch=branch)
        sponsor = seed_demo_sponsor(officer=demo_user(Role.SPONSOR_OFFICER), branch=branch)
        agent = seed_demo_agent(user=demo_user(Role.AGENT), organisation_code=DEMO_PARTNER_CODE, branch=branch)
        population = self._population(options["population"])
        snapshot = coverage_snapshot_take()  # so the analysts' coverage page has something to show
        self.stderr.write(f"Demo logins at /akun/masuk/ (password for all: {password}):")
        for role_name, username in logins:
            self.stderr.write(f"  {role_name:<16} {username}")
        phone = demo_worker_login_phone()
        if phone:
            self.stderr.write(
                f"  {'worker':<16} /peserta/masuk/ with {phone}; the code appears in the console as [SMS otp_login]"
            )
        self.stdout.write(
            json.dumps(
                {
                    "users": len(logins),
                    "branch": branch.code,
                    **workers,
                    **partner,
                    **sponsor,
                    **agent,
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
        if JournalEntry.objects.filter(kind="history_import").exists():
            return 0  # added by an earlier run
        return generate(members=members, seed=DEMO_POPULATION_SEED).members
