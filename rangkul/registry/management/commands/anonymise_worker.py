from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.core.errors import ApplicationError
from rangkul.registry.models import Worker
from rangkul.registry.services import worker_anonymise


class Command(BaseCommand):
    help = (
        "Erase a member's personal data at their request (UU 27/2022): name, NIK, birth day and month, "
        "phone, email, address and their heirs' data are replaced; money records stay. Done in the name "
        "of a staff member with the anonymise_worker permission; refused while a claim is open. "
        'Prints {"membership_number", "heirs"}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("membership_number")
        parser.add_argument(
            "--reason", required=True, help="The member's request and its reference (no personal data)."
        )
        parser.add_argument("--actor", required=True, help="Username of the staff member who carries out the request.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = get_user_model().objects.filter(username=options["actor"], is_active=True).first()
        if actor is None:
            raise CommandError("No active user with that username.")
        worker = Worker.objects.filter(membership_number=options["membership_number"].strip()).first()
        if worker is None:
            raise CommandError("No member with that membership number.")
        try:
            worker = worker_anonymise(actor=actor, worker=worker, reason=options["reason"])
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(json.dumps({"membership_number": worker.membership_number, "heirs": worker.heirs.count()}))
