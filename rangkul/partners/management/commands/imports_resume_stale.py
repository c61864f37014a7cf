from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from rangkul.audit.actors import Actor
from rangkul.partners.jobs import import_job_resume, import_jobs_stale


class Command(BaseCommand):
    help = (
        "Queue again every import whose process died: running or queued with no sign of life for "
        'PARTNER_IMPORT_STALE_SECONDS (run it every few minutes). Prints {"resumed": N}.'
    )

    def handle(self, *args: Any, **options: Any) -> None:
        stale = import_jobs_stale()
        for job in stale:
            import_job_resume(actor=Actor.system("command:imports_resume_stale"), job=job)
        self.stdout.write(json.dumps({"resumed": len(stale)}))
