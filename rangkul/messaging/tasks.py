from __future__ import annotations

from django_tasks import task

from rangkul.messaging.services import sms_send_now, sms_unseal


@task()
def sms_deliver(*, sealed: str, purpose: str) -> None:
    """Deliver one sealed message. ``purpose`` is repeated in clear only to label the task."""
    message = sms_unseal(sealed)
    sms_send_now(to=message["to"], body=message["body"], purpose=message.get("purpose", purpose))
