"""purge_inbound_messages: remove received texts (and their stored answers) past their retention."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from rangkul.messaging.inbound import inbound_purge


class Command(BaseCommand):
    help = "Delete inbound text messages older than RANGKUL_SMS_INBOUND_RETENTION_DAYS (run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps({"deleted": inbound_purge()}))
