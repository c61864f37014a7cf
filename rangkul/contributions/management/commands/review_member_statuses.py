"""Daily: move member statuses forward in time (active → in arrears → ended).

Prints ``{"reviewed", "changed"}``. Only members whose ``next_review_on`` has
come are read, so the run stays small however many members there are.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.contributions.services import member_statuses_review
from rangkul.core.bulk import collector_relaxed


class Command(BaseCommand):
    help = "Refresh the status of members whose status may have changed with time."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Review as of this day (YYYY-MM-DD); default today.")
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("--date must be YYYY-MM-DD") from exc
        with collector_relaxed():  # a long bulk run (ADR 0020)
            summary = member_statuses_review(today=today, batch_size=options["batch_size"])
        self.stdout.write(json.dumps(summary))
