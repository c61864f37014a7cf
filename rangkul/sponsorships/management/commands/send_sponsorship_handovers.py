"""Daily: text each sponsored member before the sponsorship's last day (30 and 7 days before, configurable).

Prints ``{"sponsorships", "sent", "win_back"}``. Running it again the same day texts nobody twice.
On PostgreSQL a cohort's members are texted in ``RANGKUL_SPONSORSHIP_HANDOVER_PARTS`` forked
sessions at once (``core.processes.forked``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.core.errors import ApplicationError
from rangkul.core.processes import forked
from rangkul.sponsorships.handover import handover_run, winback_run


class Command(BaseCommand):
    help = "Send the hand-over texts of sponsorships that end soon, and win-back texts after an end."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Run as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"].strip())
            except ValueError:
                raise CommandError(_("--date must be a day written YYYY-MM-DD, for example 2026-03-12.")) from None
        try:
            summary = handover_run(today=today, parts_runner=forked)
            win_back = winback_run(today=today, parts_runner=forked)
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            json.dumps({"sponsorships": summary.sponsorships, "sent": summary.sent, "win_back": win_back.sent})
        )
