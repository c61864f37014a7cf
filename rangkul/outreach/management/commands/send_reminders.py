"""Daily: text members whose contribution is due soon, who missed a month, or whose membership ended.

Prints ``{"members_scanned", "due_soon", "missed", "lapsed", "already_sent"}``. Run it once a
day after ``review_member_statuses`` (it reads the stored statuses); running it again the
same day, or after a failure, texts nobody twice.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from rangkul.core.bulk import collector_relaxed
from rangkul.core.errors import ApplicationError
from rangkul.outreach.services import reminders_send


class Command(BaseCommand):
    help = "Send the day's contribution reminders (due soon, missed month, membership ended)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Run as of this day (YYYY-MM-DD); default today.")
        parser.add_argument("--batch-size", type=int, default=None, help="Members per committed batch.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"].strip())
            except ValueError:
                raise CommandError(_("--date must be a day written YYYY-MM-DD, for example 2026-03-12.")) from None
        if options["batch_size"] is not None and options["batch_size"] < 1:
            raise CommandError(_("--batch-size must be a positive number of members."))
        try:
            with collector_relaxed():  # a long bulk run (ADR 0020)
                summary = reminders_send(today=today, batch_size=options["batch_size"])
        except ApplicationError as exc:  # e.g. no contribution rules cover that day's months
            raise CommandError(str(exc.message)) from None
        self.stdout.write(json.dumps(summary))
