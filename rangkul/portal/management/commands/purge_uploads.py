from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from rangkul.partners.retention import import_files_purge
from rangkul.payments.retention import settlement_files_purge


class Command(BaseCommand):
    help = (
        "Delete uploaded import and settlement files kept longer than UPLOAD_RETENTION_DAYS (run daily). "
        'Prints {"imports": N, "settlements": N}.'
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps({"imports": import_files_purge(), "settlements": settlement_files_purge()}))
