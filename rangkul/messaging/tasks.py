from __future__ import annotations

from django_tasks import task

from rangkul.messaging.queue import messages_deliver
from rangkul.messaging.services import sms_send_now, sms_unseal


@task()
def sms_deliver(*, sealed: str, purpose: str, to_key: str = "") -> None:
    """Deliver one sealed message. ``purpose`` is repeated in clear only to label the task; ``to_key``
    (the number's keyed hash) lets an erasure find the task. An erased task has no number: nothing is sent."""
    message = sms_unseal(sealed)
    if not message.get("to"):
        return
    sms_send_now(to=message["to"], body=message["body"], purpose=message.get("purpose", purpose))


@task()
def messages_deliver_now(*, ids: list[int]) -> None:
    """Deliver these queued messages now (answers to inbound texts); refusals wait for the queue's retry."""
    messages_deliver(ids=ids)
