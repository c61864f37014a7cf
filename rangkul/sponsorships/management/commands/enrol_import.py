"""Enrol the members of a finished import in a sponsorship, in the file's row order.

``import_workers PATH --partner CODE --sponsorship CODE`` registers the workers (the import
records the sponsorship); this command then enrols them:
``enrol_import JOB_ID --sponsorship CODE [--welfare-list-confirmed]`` prints
``{"members", "added", "refused", "committed_idr"}``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.core.errors import ApplicationError
from rangkul.partners.models import ImportJob
from rangkul.sponsorships.models import Sponsorship
from rangkul.sponsorships.services import sponsorship_enrol_import


class Command(BaseCommand):
    help = "Enrol the members of a finished import in a sponsorship."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job_id", type=int, help="The import's number.")
        parser.add_argument("--sponsorship", help="The sponsorship's code; default: the one the import recorded.")
        parser.add_argument("--welfare-list-confirmed", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        job = ImportJob.objects.filter(pk=options["job_id"]).first()
        if job is None:
            raise CommandError(_("No import with this number."))
        code = (options["sponsorship"] or job.sponsorship_code or "").strip().upper()
        sponsorship = Sponsorship.objects.filter(code=code).first()
        if sponsorship is None:
            raise CommandError(_("No sponsorship with this code."))
        try:
            result = sponsorship_enrol_import(
                actor=Actor.system("command:enrol_import"),
                sponsorship=sponsorship,
                job=job,
                welfare_attested=options["welfare_list_confirmed"],
            )
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from None
        for refusal in result.refused:
            self.stderr.write(f"{refusal.membership_number}: {refusal.code} {refusal.message}")
        self.stdout.write(
            json.dumps(
                {
                    "members": len(result.added)
                    + len({r.membership_number for r in result.refused} - set(result.added)),
                    "added": len(result.added),
                    "refused": len(result.refused),
                    "committed_idr": result.committed_idr,
                }
            )
        )
