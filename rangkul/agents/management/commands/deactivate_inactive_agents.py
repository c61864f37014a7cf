from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from rangkul.agents.services import agents_deactivate_inactive


class Command(BaseCommand):
    help = 'Deactivate agents without activity for the rule\'s months (run daily); prints {"deactivated": n}.'

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps({"deactivated": agents_deactivate_inactive()}))
