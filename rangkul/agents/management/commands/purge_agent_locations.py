"""purge_agent_locations: forget where agents' work was done once the fraud signals no longer read it."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from rangkul.agents.retention import operation_locations_purge


class Command(BaseCommand):
    help = (
        "Blank the location cell of synced operations older than RANGKUL_AGENT_LOCATION_RETENTION_DAYS "
        "(and the longest fraud-signal look-back); run daily."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps({"blanked": operation_locations_purge()}))
