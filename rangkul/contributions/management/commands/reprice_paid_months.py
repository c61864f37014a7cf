"""reprice_paid_months --since YYYY-MM → ``{"members", "repriced", "credited_idr", "months_from_credit"}``.

Run after loading a rule version with a new discount (PP 50/2025): money already paid for
months the discount now covers becomes the member's credit, and that credit pays the member's
next months where it covers them whole. Each member is one transaction; running it again
credits nobody twice.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.audit.actors import Actor
from rangkul.contributions.selectors import workers_paid_from
from rangkul.contributions.services import credit_apply, paid_months_reprice
from rangkul.core.periods import Period
from rangkul.registry.models import Worker


class Command(BaseCommand):
    help = "Turn into credit what members paid for months a newer rule version discounts, then spend that credit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", required=True, help="The first month the new discount covers (YYYY-MM).")
        parser.add_argument("--batch-size", type=int, default=1000, help="Members read per page.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            since = Period.parse(options["since"])
        except ValueError as exc:
            raise CommandError("--since must be a month written YYYY-MM, for example 2026-01.") from exc
        actor = Actor.system("command:reprice_paid_months")
        summary = {"members": 0, "repriced": 0, "credited_idr": 0, "months_from_credit": 0}
        after = 0
        while ids := workers_paid_from(period=since, after_worker_id=after, limit=options["batch_size"]):
            after = ids[-1]
            for worker in Worker.objects.filter(pk__in=ids).select_related("occupation").order_by("pk"):
                summary["members"] += 1
                credited = paid_months_reprice(actor=actor, worker=worker)
                if credited:
                    summary["repriced"] += 1
                    summary["credited_idr"] += credited
                    allocation = credit_apply(actor=actor, worker=worker)
                    summary["months_from_credit"] += len(allocation.months) if allocation else 0
        self.stdout.write(json.dumps(summary))
