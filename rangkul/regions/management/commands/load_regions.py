from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.regions.services import (
    RegionFileError,
    default_region_file,
    default_remote_file,
    read_remote_codes,
    regions_load,
)


class Command(BaseCommand):
    help = "Load Kemendagri provinces, regencies, districts and villages (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, help="A code,name CSV (default: the bundled Kemendagri list).")
        parser.add_argument("--remote", type=Path, help="CSV of remote (3T) regency codes (default: bundled list).")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"] or default_region_file()
        remote_path: Path = options["remote"] or default_remote_file()
        if not path.is_file():
            raise CommandError(f"Region file not found: {path}")
        remote = read_remote_codes(remote_path) if remote_path.is_file() else []
        try:
            with path.open(encoding="utf-8-sig", newline="") as stream:
                summary = regions_load(stream=stream, remote_codes=remote)
        except (RegionFileError, UnicodeDecodeError) as exc:
            raise CommandError(f"Region file is not valid: {exc}") from exc
        self.stdout.write(json.dumps(summary.as_dict()))
