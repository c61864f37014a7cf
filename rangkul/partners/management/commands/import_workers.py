from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rangkul.audit.actors import Actor
from rangkul.core.bulk import collector_relaxed
from rangkul.core.errors import ApplicationError
from rangkul.core.processes import forked
from rangkul.partners.importing.report import report_csv_write
from rangkul.partners.models import ImportStatus
from rangkul.partners.selectors import import_report_rows, organisation_get
from rangkul.partners.services import import_job_create, import_job_run


class Command(BaseCommand):
    help = (
        "Import workers from a CSV or XLSX file through the registry's rules. Prints one line of JSON "
        '{"rows", "imported", "rejected", "duplicates"} and writes the per-row report to PATH.errors.csv. '
        "Running the same file again continues after the last committed row and imports nobody twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="CSV (UTF-8 or Windows-1252, comma or semicolon) or XLSX file.")
        parser.add_argument("--partner", default="", help="Code of the partner organisation; members are linked to it.")
        parser.add_argument(
            "--sponsorship",
            default="",
            help="Sponsorship code. For now only recorded on the import as a plain code; "
            "sponsorships themselves are not applied yet.",
        )
        parser.add_argument("--batch-size", type=int, default=None, help="Rows per committed batch.")
        parser.add_argument(
            "--skip-phone-verification",
            action="store_true",
            help="Treat mobile numbers as verified; only for an organisation that attests to verifying them.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        actor = Actor.system("command:import_workers")
        try:
            organisation = organisation_get(code=options["partner"]) if options["partner"] else None
            with path.open("rb") as handle:
                job, _created = import_job_create(
                    actor=actor,
                    organisation=organisation,
                    upload=File(handle, name=path.name),
                    name=path.name,
                    skip_phone_verification=options["skip_phone_verification"],
                    sponsorship_code=options["sponsorship"],
                )
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        # A long bulk run: the garbage collector relaxed (ADR 0020), a large file in forked parts (ADR 0019).
        with collector_relaxed():
            job = import_job_run(job_id=job.pk, batch_size=options["batch_size"], parts_runner=forked)
        report = path.with_name(path.name + ".errors.csv")
        with report.open("w", encoding="utf-8", newline="") as handle:
            report_csv_write(import_report_rows(job=job), handle)
        if job.status == ImportStatus.FAILED:
            raise CommandError(job.error)
        if job.sheet_name or job.header_row > 1:
            self.stderr.write(f"sheet {job.sheet_name or '-'}, header row {job.header_row}")
        self.stdout.write(json.dumps(job.summary()))
