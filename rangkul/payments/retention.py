"""How long uploaded settlement files are kept: they list members' payments.

Files under ``MEDIA_ROOT/settlements`` are deleted ``UPLOAD_RETENTION_DAYS``
after they were written, unless a reconciliation still processing needs them
(it resumes from the file). A file uploaded twice is processed once; its second
copy is never referenced and goes the same way. The SettlementFile row, its
lines and summary stay.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from rangkul.payments.models import SettlementFile, SettlementStatus

logger = logging.getLogger("rangkul.payments")


def settlement_files_directory() -> Path:
    return Path(settings.MEDIA_ROOT) / "settlements"


def settlement_files_purge(*, now: dt.datetime | None = None) -> int:
    """Delete settlement files older than the retention period that no running reconciliation needs."""
    directory = settlement_files_directory()
    if not directory.is_dir():
        return 0
    cutoff = ((now or timezone.now()) - dt.timedelta(days=settings.UPLOAD_RETENTION_DAYS)).timestamp()
    in_use = {
        str(Path(path).resolve())
        for path in SettlementFile.objects.filter(status=SettlementStatus.PROCESSING).values_list(
            "stored_path", flat=True
        )
        if path
    }
    removed = []
    for path in directory.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff and str(path.resolve()) not in in_use:
            path.unlink(missing_ok=True)
            removed.append(str(path))
    if removed:
        SettlementFile.objects.filter(stored_path__in=removed).update(stored_path="")
        logger.info("Settlement files deleted after the retention period: %s", len(removed))
    return len(removed)
