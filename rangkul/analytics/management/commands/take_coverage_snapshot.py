"""Daily, after ``review_member_statuses``: count members by regency, occupation and status.

Prints ``{"day", "members", "groups", "seconds"}``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.analytics.services import coverage_snapshot_take
from rangkul.audit.actors import Actor


class Command(BaseCommand):
    help = "Take (or retake) the coverage snapshot the analytics dashboard reads."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="File the snapshot under this day (YYYY-MM-DD); default today.")

    def handle(self, *args: Any, **options: Any) -> None:
        day = None
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("--date must be YYYY-MM-DD") from exc
        snapshot = coverage_snapshot_take(actor=Actor.system("take_coverage_snapshot"), day=day)
        summary = {
            "day": snapshot.day.isoformat(),
            "members": snapshot.members,
            "groups": snapshot.counts.count(),
            "seconds": snapshot.seconds,
        }
        self.stdout.write(json.dumps(summary))
