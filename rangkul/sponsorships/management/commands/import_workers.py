"""``import_workers PATH [--partner CODE] [--sponsorship CODE]``: register, and with a sponsorship enrol, in one pass.

This extends the partners app's command of the same name (the sponsorships app is listed
before partners in ``INSTALLED_APPS``, as ``staticfiles`` extends ``runserver``): the import
runs exactly as there, then its members are enrolled in the sponsorship in the file's row
order (``sponsorship_enrol_import``), committing the budget. The JSON summary keeps
``{"rows", "imported", "rejected", "duplicates"}`` and adds ``{"enrolled", "not_enrolled",
"committed_idr"}``; refusals are listed on stderr. An unknown sponsorship, or one of another
organisation, is refused before anything is imported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.core.errors import ApplicationError
from rangkul.partners.importing.report import report_csv_write
from rangkul.partners.management.commands.import_workers import Command as ImportCommand
from rangkul.partners.models import ImportStatus
from rangkul.partners.selectors import import_report_rows, organisation_get
from rangkul.partners.services import import_job_create, import_job_run
from rangkul.sponsorships.models import Sponsorship
from rangkul.sponsorships.services import sponsorship_enrol_import


class Command(ImportCommand):
    help = ImportCommand.help + " With --sponsorship CODE the imported members are enrolled in it in the same run."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        for action in parser._actions:
            if "--sponsorship" in action.option_strings:
                action.help = "Sponsorship code: the imported members are enrolled in it, in the file's row order."
        parser.add_argument(
            "--welfare-list-confirmed",
            action="store_true",
            help="The sponsor attests the file's workers are on the welfare list (for a welfare-list sponsorship).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code = (options["sponsorship"] or "").strip().upper()
        if not code:
            super().handle(*args, **options)
            return
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        actor = Actor.system("command:import_workers")
        try:
            organisation = organisation_get(code=options["partner"]) if options["partner"] else None
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        sponsorship = Sponsorship.objects.select_related("organisation").filter(code=code).first()
        if sponsorship is None or (organisation is not None and sponsorship.organisation_id != organisation.pk):
            raise CommandError(_("No sponsorship with this code."))
        # The members are the sponsor's: the import links them to the sponsor organisation.
        organisation = sponsorship.organisation
        try:
            with path.open("rb") as handle:
                job, _created = import_job_create(
                    actor=actor,
                    organisation=organisation,
                    upload=File(handle, name=path.name),
                    name=path.name,
                    skip_phone_verification=options["skip_phone_verification"],
                    sponsorship_code=code,
                )
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        job = import_job_run(job_id=job.pk, batch_size=options["batch_size"])
        report = path.with_name(path.name + ".errors.csv")
        with report.open("w", encoding="utf-8", newline="") as handle:
            report_csv_write(import_report_rows(job=job), handle)
        if job.status == ImportStatus.FAILED:
            raise CommandError(job.error)
        try:
            result = sponsorship_enrol_import(
                actor=actor, sponsorship=sponsorship, job=job, welfare_attested=options["welfare_list_confirmed"]
            )
        except ApplicationError as exc:
            # The workers stay registered; ``enrol_import JOB_ID`` enrols them once the problem is fixed.
            raise CommandError(
                _("Imported (import no. %(job)s) but not enrolled: %(reason)s") % {"job": job.pk, "reason": exc.message}
            ) from exc
        for refusal in result.refused:
            self.stderr.write(f"{refusal.membership_number}: {refusal.code} {refusal.message}")
        summary = {
            **job.summary(),
            "enrolled": len(result.added),
            "not_enrolled": len({r.membership_number for r in result.refused} - set(result.added)),
            "committed_idr": result.committed_idr,
        }
        self.stdout.write(json.dumps(summary))
