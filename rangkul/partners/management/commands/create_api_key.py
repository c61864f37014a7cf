from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.accounts.services import api_key_create
from rangkul.audit.actors import Actor
from rangkul.core.errors import ApplicationError
from rangkul.partners.selectors import organisation_get


class Command(BaseCommand):
    help = 'Create an API key for a partner or integration; prints {"key": ...} once.'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="A name that says who holds the key.")
        parser.add_argument("--organisation", default="", help="Code of the partner organisation the key acts for.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation_code = options["organisation"].strip()
        try:
            if organisation_code:
                # The key acts for this organisation: it must exist (create it with create_organisation).
                organisation_code = organisation_get(code=organisation_code).code
            raw = api_key_create(
                actor=Actor.system("system"), name=options["name"], organisation_code=organisation_code
            )
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(json.dumps({"key": raw}))
