from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.agents.selectors import agent_cash_held_idr, agent_get
from rangkul.agents.services import agent_cash_deposit
from rangkul.audit.actors import Actor
from rangkul.core.errors import ApplicationError
from rangkul.payments.services import channel_get


class Command(BaseCommand):
    help = (
        "Record cash an agent paid in (payment code or bank transfer), as seen on the channel's statement; "
        'prints {"agent_code", "deposited_idr", "cash_held_idr"}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("agent_code")
        parser.add_argument("--amount", type=int, required=True, help="Rupiah paid in.")
        parser.add_argument("--channel", required=True, help="Payment channel the money came in through.")
        parser.add_argument("--reference", required=True, help="The channel's reference for the transfer.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            agent = agent_get(code=options["agent_code"])
            channel = channel_get(options["channel"].strip())
            if channel.kind == "agent_cash":
                raise CommandError("A deposit comes in through a bank or payment-code channel, not agent cash.")
            agent_cash_deposit(
                actor=Actor.system("command:agent_deposit"),
                agent=agent,
                amount_idr=options["amount"],
                channel=channel.code,
                reference=options["reference"].strip(),
            )
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        summary = {
            "agent_code": agent.code,
            "deposited_idr": options["amount"],
            "cash_held_idr": agent_cash_held_idr(agent=agent),
        }
        self.stdout.write(json.dumps(summary))
