from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.agents.commissions import commissions_run, statements_csv
from rangkul.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Post every agent's commission statement for an ended month; prints a one-line JSON summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--csv", default="", help="Also write the month's statements to this CSV file.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = commissions_run(month=options["month"].strip())
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        if options["csv"]:
            Path(options["csv"]).write_text(statements_csv(month=summary.month), encoding="utf-8")
        self.stdout.write(json.dumps(summary.as_dict()))
