from __future__ import annotations

from django_tasks import task

from rangkul.messaging.tasks import sms_deliver  # noqa: F401  (tasks queued before sending moved carry this path)
from rangkul.outreach.services import reminders_deliver_now


@task()
def reminders_deliver(*, sealed: str, count: int) -> dict[str, int]:
    """Deliver one page of the reminder run; ``count`` is in clear only to label the task."""
    outcome = reminders_deliver_now(sealed=sealed)
    return {"sent": outcome.sent, "skipped": outcome.skipped, "failed": outcome.failed}
