from __future__ import annotations

from django_tasks import task

from rangkul.outreach.services import reminders_deliver_now, sms_send_now, sms_unseal


@task()
def sms_deliver(*, sealed: str, purpose: str) -> None:
    """Deliver one sealed message. ``purpose`` is repeated in clear only to label the task."""
    message = sms_unseal(sealed)
    sms_send_now(to=message["to"], body=message["body"], purpose=message.get("purpose", purpose))


@task()
def reminders_deliver(*, sealed: str, count: int) -> dict[str, int]:
    """Deliver one page of the reminder run; ``count`` is in clear only to label the task."""
    outcome = reminders_deliver_now(sealed=sealed)
    return {"sent": outcome.sent, "skipped": outcome.skipped, "failed": outcome.failed}
