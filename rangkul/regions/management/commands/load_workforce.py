"""Load a release of informal-workforce figures (coverage denominators) from a CSV; see docs/workforce.md.

Prints ``{"version", "rows", "national", "provinces", "regencies", "derived", "share_only", "current", "unchanged"}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.audit.actors import Actor
from rangkul.regions.workforce import WorkforceFileError, default_workforce_file, workforce_release_load


class Command(BaseCommand):
    help = "Load informal-workforce figures (BPS Sakernas, the agency's BPU target) as a new, kept release."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, help="The CSV (default: the release shipped with Rangkul).")
        parser.add_argument("--release", help="Release version (default: the file's name).")
        parser.add_argument("--title", default="", help="A title shown on coverage pages.")
        parser.add_argument(
            "--keep-current", action="store_true", help="Load the release without making it the one in use."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"] or default_workforce_file()
        if not path.is_file():
            raise CommandError(f"Workforce file not found: {path}")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CommandError("The workforce file must be UTF-8 CSV.") from exc
        try:
            summary = workforce_release_load(
                actor=Actor.system("load_workforce"),
                text=text,
                version=options["release"] or path.stem,
                title=options["title"],
                source_file=path.name,
                make_current=not options["keep_current"],
            )
        except WorkforceFileError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(json.dumps(summary.as_dict()))
