"""Background work for partners. Task arguments are ids only (never a NIK or a file's content)."""

from __future__ import annotations

import logging

from django_tasks import task

from rangkul.core.bulk import collector_relaxed
from rangkul.core.processes import forked
from rangkul.partners import services

logger = logging.getLogger("rangkul.partners")


@task()
def import_job_process(job_id: int) -> dict[str, int]:
    try:
        # A long bulk run: the garbage collector relaxed (ADR 0020), a large file in forked parts (ADR 0019).
        with collector_relaxed():
            job = services.import_job_run(job_id=job_id, parts_runner=forked)
    except Exception:
        # Task boundary: record the failure on the job so the partner sees it; whatever
        # batches committed stay, and uploading the same file again continues from there.
        logger.exception("Import %s stopped by an unexpected error.", job_id)
        services.import_job_fail(job_id=job_id, message="internal_error")
        raise
    return job.summary()
