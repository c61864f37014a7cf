from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.audit.actors import Actor
from rangkul.claims.jht_rates import jht_rates_load, rates_parse
from rangkul.core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Load the JHT returns the agency declared, from a CSV with the columns year, rate (0.0551 or 5.51%) and "
        "citation (the text that declares it); all rows or none. "
        'Prints {"rows", "loaded", "updated", "unchanged", "rejected"}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--replace", action="store_true", help="Allow a changed rate for a year already loaded (audited)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        rows, errors = rates_parse(text)
        if errors:
            for error in errors:
                self.stderr.write(f"line {error['line']}: {error['message']}")
            self.stdout.write(
                json.dumps(
                    {
                        "rows": len(rows) + len(errors),
                        "loaded": 0,
                        "updated": 0,
                        "unchanged": 0,
                        "rejected": len(errors),
                    }
                )
            )
            raise CommandError("Nothing was loaded: correct the lines above.")
        try:
            summary = jht_rates_load(
                actor=Actor.system("command:load_jht_rates"), rows=rows, source=path.name, replace=options["replace"]
            )
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(json.dumps({**summary, "rejected": 0}))
