from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.audit.actors import Actor
from rangkul.core.errors import ApplicationError
from rangkul.registry.models import ErasureRequest, ErasureRequestStatus, Worker
from rangkul.registry.services import worker_erasure_confirm, worker_erasure_request, worker_erasure_withdraw


class Command(BaseCommand):
    help = (
        "Erase a member's personal data at their request (UU 27/2022): name, NIK, birth day and month, "
        "phone, email, address and their heirs' data are replaced, with what other apps hold about them; "
        "money records stay. Two administrators with the anonymise_worker permission take part: "
        "`--reason … --actor A` records the request, then `--confirm --actor B` (another administrator) "
        "erases, or `--withdraw --reason … --actor` withdraws it. Refused while a claim is open. "
        'Prints {"membership_number", "request", "status"} (and "heirs" once erased).'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("membership_number")
        parser.add_argument("--reason", help="The member's request and its reference (no personal data).")
        parser.add_argument("--actor", required=True, help="Username of the staff member who acts.")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--confirm", action="store_true", help="Carry out the request that waits.")
        action.add_argument("--withdraw", action="store_true", help="Withdraw the request that waits.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["actor"], is_active=True).first()
        if user is None:
            raise CommandError("No active user with that username.")
        actor = Actor.for_user(user)
        worker = Worker.objects.filter(membership_number=options["membership_number"].strip()).first()
        if worker is None:
            raise CommandError("No member with that membership number.")
        waiting = ErasureRequest.objects.filter(worker=worker, status=ErasureRequestStatus.PENDING).first()
        result: dict[str, Any] = {}
        try:
            if options["confirm"] or options["withdraw"]:
                if waiting is None:
                    raise CommandError("No erasure request of this member awaits a decision.")
                if options["confirm"]:
                    worker = worker_erasure_confirm(actor=actor, erasure_request=waiting)
                    result["heirs"] = worker.heirs.count()
                else:
                    worker_erasure_withdraw(actor=actor, erasure_request=waiting, reason=options["reason"] or "")
                waiting.refresh_from_db()
                request = waiting
            else:
                if not options["reason"]:
                    raise CommandError("Give --reason: the member's request and its reference.")
                request = worker_erasure_request(actor=actor, worker=worker, reason=options["reason"])
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            json.dumps(
                {"membership_number": worker.membership_number, "request": request.pk, "status": request.status}
                | result
            )
        )
