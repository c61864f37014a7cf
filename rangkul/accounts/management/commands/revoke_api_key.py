"""revoke_api_key PREFIX → ``{"revoked": PREFIX}``: the key stops working at once; running it again changes nothing."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.accounts.models import ApiKey
from rangkul.accounts.services import api_key_revoke
from rangkul.audit.actors import Actor


class Command(BaseCommand):
    help = 'Revoke an API key by its prefix (the first 12 characters, "rk_…"); prints {"revoked": PREFIX}.'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix", help="The key's first 12 characters, as listed in the admin.")

    def handle(self, *args: Any, **options: Any) -> None:
        prefix = options["prefix"].strip()[:12]
        key = ApiKey.objects.filter(prefix=prefix).first()
        if key is None:
            raise CommandError(f"No API key starts with {prefix!r}.")
        api_key_revoke(actor=Actor.system("command:revoke_api_key"), key=key)
        self.stdout.write(json.dumps({"revoked": key.prefix}))
