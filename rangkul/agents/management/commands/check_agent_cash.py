from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rangkul.agents.selectors import agents_cash_mismatched


class Command(BaseCommand):
    help = (
        "Compare every agent's running cash balance with the agent's ledger account (run nightly); "
        'prints {"mismatched": [...]} and fails when any differs.'
    )

    def handle(self, *args: Any, **options: Any) -> None:
        mismatched = [
            {"agent_code": m.agent_code, "cash_held_idr": m.held_idr, "ledger_idr": m.ledger_idr}
            for m in agents_cash_mismatched()
        ]
        self.stdout.write(json.dumps({"mismatched": mismatched}))
        if mismatched:
            raise CommandError(f"{len(mismatched)} agent(s) hold cash that differs from their ledger account.")
