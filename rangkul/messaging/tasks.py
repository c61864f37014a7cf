from __future__ import annotations

from django_tasks import task

from rangkul.messaging.queue import messages_deliver
from rangkul.messaging.services import sms_send_now, sms_unseal


@task()
def sms_deliver(*, sealed: str, purpose: str) -> None:
    """Deliver one sealed message. ``purpose`` is repeated in clear only to label the task."""
    message = sms_unseal(sealed)
    sms_send_now(to=message["to"], body=message["body"], purpose=message.get("purpose", purpose))


@task()
def messages_deliver_now(*, ids: list[int]) -> None:
    """Deliver these queued messages now (answers to inbound texts); refusals wait for the queue's retry."""
    messages_deliver(ids=ids)
