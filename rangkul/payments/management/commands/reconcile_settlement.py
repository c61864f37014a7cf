"""reconcile_settlement PATH --channel CODE → one-line JSON summary; a per-line report next to the file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.audit.actors import Actor
from rangkul.core.bulk import collector_relaxed
from rangkul.payments.models import Channel
from rangkul.payments.settlement import settlement_reconcile, settlement_report_csv


class Command(BaseCommand):
    help = "Reconcile a channel's settlement file (CSV in the channel's layout). Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--channel", required=True)
        parser.add_argument("--date", help="Settlement date YYYY-MM-DD (default: the latest payment day in the file)")
        parser.add_argument("--report", help="Where to write the per-line report (default: PATH.report.csv)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        channel = Channel.objects.filter(code=options["channel"]).first()
        if channel is None:
            raise CommandError(f"Unknown channel: {options['channel']}")
        day = dt.date.fromisoformat(options["date"]) if options.get("date") else None
        with collector_relaxed():  # a long bulk run (ADR 0020)
            file, summary = settlement_reconcile(
                actor=Actor.system("reconcile_settlement"), channel=channel, path=path, settlement_date=day
            )
        report = Path(options.get("report") or f"{path}.report.csv")
        report.write_text(settlement_report_csv(file), encoding="utf-8")
        self.stdout.write(json.dumps(summary))
