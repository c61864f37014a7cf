"""Load the contribution rule files into the database (idempotent).

Prints a one-line JSON summary: ``{"loaded": [versions], "unchanged": [versions]}``.
A file that would change a version already used to price a bill is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.contributions.rules import RULES_DIR, rules_load
from rangkul.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Load contribution rule versions from rangkul/contributions/rules/*.toml."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--directory", default=str(RULES_DIR), help="Folder of *.toml rule files.")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["directory"])
        if not directory.is_dir():
            raise CommandError(f"No such folder: {directory}")
        try:
            summary = rules_load(directory=directory)
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(json.dumps(summary))
