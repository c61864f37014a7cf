"""How long uploaded import files are kept: they hold members' personal data.

A completed import's file is deleted at once (nothing is left to resume). A
failed, stopped or stalled import keeps its file for ``UPLOAD_RETENTION_DAYS``
after its last activity, so that it can be resumed; ``purge_uploads`` deletes
it after that. The job row, its counters and its per-row report stay.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.partners.models import ImportJob, ImportStatus

logger = logging.getLogger("rangkul.partners")


def import_file_discard(*, job: ImportJob, reason: str) -> bool:
    """Delete the job's uploaded file from storage; True when there was one."""
    if not job.file:
        return False
    name = job.file.name
    job.file.delete(save=False)
    ImportJob.objects.filter(pk=job.pk).update(file="")
    audit_record(actor=Actor.system("system"), action="partners.import_file_deleted", subject=job, reason=reason)
    logger.info("Import %s: uploaded file deleted (%s).", job.pk, reason)
    return bool(name)


def import_files_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the files of imports finished, failed or stalled longer ago than the retention period."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.UPLOAD_RETENTION_DAYS)
    last_activity = Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, heartbeat_at__lt=cutoff)
    last_activity |= Q(finished_at__isnull=True, heartbeat_at__isnull=True, created_at__lt=cutoff)
    done = ImportJob.objects.exclude(file="").filter(
        Q(status=ImportStatus.COMPLETED) | (Q(status__in=[ImportStatus.FAILED, ImportStatus.CANCELLED]) & last_activity)
    )
    stalled = ImportJob.objects.exclude(file="").filter(
        status__in=[ImportStatus.RUNNING, ImportStatus.QUEUED], created_at__lt=cutoff
    )
    count = 0
    for job in [*done, *(job for job in stalled if job.is_stale and _inactive_since(job, cutoff))]:
        count += import_file_discard(job=job, reason="retention")
    return count


def _inactive_since(job: ImportJob, cutoff: dt.datetime) -> bool:
    return (job.heartbeat_at or job.run_started_at or job.created_at) < cutoff
