"""reseal_niks → ``{"workers", "heirs"}``: every NIK sealed again with the current key (after a rotation)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rangkul.audit.actors import Actor
from rangkul.registry.services import niks_reseal


class Command(BaseCommand):
    help = (
        "Seal again, with the first key of RANGKUL_NIK_SEAL_KEYS, every NIK sealed with an older one. "
        'Safe to run again; prints {"workers": N, "heirs": N}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows per committed batch.")

    def handle(self, *args: Any, **options: Any) -> None:
        summary = niks_reseal(actor=Actor.system("command:reseal_niks"), batch_size=options["batch_size"])
        self.stdout.write(json.dumps(summary))
