"""Every few minutes (cron): send the due messages of approved campaigns, then work the outbound queue.

Prints ``{"campaigns": {...}, "queue": {...}}``: messages handed over, skipped for the weekly
cap or an opt-out, held back by quiet hours, retried, failed and copied to SMS. Running it
twice at once or again after a failure sends nothing twice (each message is handed over once).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from rangkul.messaging.queue import messages_deliver
from rangkul.outreach.campaigns import campaigns_dispatch


class Command(BaseCommand):
    help = "Send due campaign messages and retry refused ones (run every few minutes)."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = {"campaigns": campaigns_dispatch(), "queue": messages_deliver()}
        self.stdout.write(json.dumps(summary))
