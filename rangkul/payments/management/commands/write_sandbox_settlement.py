"""write_sandbox_settlement --date YYYY-MM-DD [--out PATH]: the sandbox channel's settlement file for a day."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.payments.sandbox import sandbox_settlement_write


class Command(BaseCommand):
    help = "Write the sandbox channel's settlement CSV for one day (Jakarta time), to show reconciliation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", required=True)
        parser.add_argument("--out")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = dt.date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError("--date must be YYYY-MM-DD") from exc
        out = Path(options.get("out") or Path(settings.MEDIA_ROOT) / "settlements" / f"sandbox-{day}.csv")
        lines = sandbox_settlement_write(day=day, out=out)
        self.stdout.write(json.dumps({"lines": lines, "path": str(out)}))
