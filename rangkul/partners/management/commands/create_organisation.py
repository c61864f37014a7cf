from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.audit.actors import Actor
from rangkul.core.errors import ApplicationError
from rangkul.partners.models import OrganisationKind
from rangkul.partners.services import organisation_create, organisation_set_phone_attestation, organisation_user_add


class Command(BaseCommand):
    help = 'Create a partner organisation, optionally with its first partner admin user; prints {"code", "id"}.'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="Short unique code, e.g. kop-maju (also used by its API keys).")
        parser.add_argument("name")
        parser.add_argument("--kind", choices=OrganisationKind.values, default=OrganisationKind.COMMUNITY)
        parser.add_argument("--region", default=None, help="Regency/city code, e.g. 33.74.")
        parser.add_argument("--user", default="", help="Username of an existing user who will act for it.")
        parser.add_argument(
            "--attests-phone-verification",
            action="store_true",
            help="Record that the organisation verifies its members' mobile numbers itself.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("command:create_organisation")
        try:
            organisation = organisation_create(
                actor=actor,
                code=options["code"],
                name=options["name"],
                kind=options["kind"],
                region_code=options["region"],
            )
            if options["attests_phone_verification"]:
                organisation = organisation_set_phone_attestation(actor=actor, organisation=organisation, attests=True)
            if options["user"]:
                user = get_user_model().objects.filter(username=options["user"]).first()
                if user is None:
                    raise CommandError(f"No user named {options['user']!r}.")
                organisation_user_add(actor=actor, organisation=organisation, user=user)
        except ApplicationError as exc:
            raise CommandError(f"{exc.message} {exc.fields}") from exc
        self.stdout.write(json.dumps({"code": organisation.code, "id": organisation.pk}))
