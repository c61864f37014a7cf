from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from rangkul.accounts.models import User
from rangkul.agents.services import agent_create, agent_key_create
from rangkul.audit.actors import Actor
from rangkul.core.errors import ApplicationError
from rangkul.partners.selectors import organisation_get


class Command(BaseCommand):
    help = 'Make a user a field agent of a host organisation; prints {"agent_code", "key"} (the key once).'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The user who becomes an agent (created if missing).")
        parser.add_argument("--organisation", required=True, help="Code of the host organisation (wadah).")
        parser.add_argument("--cash-limit", type=int, default=None, help="Cash the agent may hold, in rupiah.")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"].strip()
        if not username:
            raise CommandError("A username is required.")
        try:
            with transaction.atomic():
                organisation = organisation_get(code=options["organisation"])
                user = User.objects.filter(username=username).first()
                if user is None:
                    user = User.objects.create_user(username=username)  # no password: key or OTP later
                agent = agent_create(
                    actor=Actor.system("command:create_agent"),
                    user=user,
                    organisation=organisation,
                    cash_limit_idr=options["cash_limit"],
                )
                key = agent_key_create(actor=Actor.system("command:create_agent"), agent=agent)
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(json.dumps({"agent_code": agent.code, "key": key}))
