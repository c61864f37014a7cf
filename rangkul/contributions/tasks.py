"""Background work: the daily status review (enqueue it once a day from the scheduler)."""

from __future__ import annotations

import logging

from django_tasks import task

from rangkul.contributions.services import member_statuses_review
from rangkul.core.bulk import collector_relaxed

logger = logging.getLogger("rangkul.contributions")


@task()
def member_statuses_review_daily() -> dict[str, int]:
    """Move statuses forward with time: active → in arrears → ended (see ``schedule``)."""
    with collector_relaxed():  # a long bulk run (ADR 0020)
        summary = member_statuses_review()
    logger.info("member status review: %(reviewed)s reviewed, %(changed)s changed", summary)
    return summary
