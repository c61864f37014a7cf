"""issue_group_bill CODE --months N → ``{"payment_code", "amount_idr", "members"}``.

One bill for every active member of a partner organisation (a cooperative paying for its
members), each member billed from their first payable unpaid month; members with nothing
payable are left out.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.audit.actors import Actor
from rangkul.contributions.group_bills import group_bill_issue
from rangkul.core.errors import ApplicationError
from rangkul.partners.selectors import organisation_get, organisation_workers
from rangkul.registry.models import WorkerStatus


class Command(BaseCommand):
    help = "Issue one group bill for the active members of a partner organisation; prints its payment code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organisation", help="Code of the partner organisation.")
        parser.add_argument("--months", type=int, required=True, help="Months per member (1 to 12).")
        parser.add_argument("--sponsor-kind", default="", help="Who pays, when it changes the price (regional_budget).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = organisation_get(code=options["organisation"])
            workers = list(
                organisation_workers(organisation=organisation)
                .filter(status=WorkerStatus.ACTIVE)
                .select_related("occupation")
                .order_by("pk")
            )
            bill = group_bill_issue(
                actor=Actor.system("command:issue_group_bill"),
                workers=workers,
                months=options["months"],
                sponsor_kind=options["sponsor_kind"] or None,
            )
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        members = bill.lines.values("worker_id").distinct().count()
        self.stdout.write(
            json.dumps({"payment_code": bill.payment_code, "amount_idr": bill.amount_idr, "members": members})
        )
