"""Erasing the texts sent to and received from a number, when its owner's personal data is erased.

The registry calls this inside its erasure transaction (``worker_erasure_confirm``). Every message to or
from the number loses its text (outbound bodies and WhatsApp parameters, inbound texts and the
answers they got): they are replaced by a sealed empty text, so the queue and the inbound log still
read them. A message still waiting in the queue is not sent: it fails with a note.

The number itself goes too, unless another member still has it (a family phone): their messages
must still count towards the per-number limits and show in their history. What stays is the
delivery story without content (channel, purpose, status, dates), which identifies nobody once the
number is gone. Opt-outs stay: they protect the number from marketing, whoever holds it.
"""

from __future__ import annotations

import json

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rangkul.core.crypto import seal
from rangkul.messaging.models import InboundMessage, MessageStatus, OutboundMessage
from rangkul.messaging.services import SEAL_PURPOSE, sms_seal, sms_task_key

SMS_TASK_PATH = "rangkul.messaging.tasks.sms_deliver"

ERASED_NOTE = "erased at the holder's request"
ERASED_OUTBOUND_FIELDS = ("body_sealed", "to")
ERASED_INBOUND_FIELDS = ("body_sealed", "answer_sealed", "phone")


def messages_erase_number(*, phone: str, keep_number: bool) -> dict[str, dict[str, object]]:
    """Erase the texts to and from ``phone``; its rows are counted and the fields named, never values.

    Call it inside the caller's transaction. ``keep_number``: another person still uses the number.
    """
    if not phone:
        return {}
    now = timezone.now()
    outbound = OutboundMessage.objects.filter(to=phone)
    empty_outbound = seal(json.dumps({"body": "", "parameters": [], "language": "id"}), purpose=SEAL_PURPOSE)
    outbound.filter(status=MessageStatus.QUEUED).update(
        status=MessageStatus.FAILED, error=ERASED_NOTE, next_attempt_at=None, updated_at=now
    )
    changes: dict[str, object] = {"body_sealed": empty_outbound, "updated_at": now}
    if not keep_number:
        changes["to"] = ""
    sent = outbound.update(**changes)
    inbound_changes: dict[str, object] = {
        "body_sealed": seal("", purpose=SEAL_PURPOSE),
        "answer_sealed": "",
    }
    if not keep_number:
        inbound_changes["phone"] = ""
    received = InboundMessage.objects.filter(phone=phone).update(**inbound_changes)
    # Texts sent straight through a task (one-time codes, receipts) live in the task's sealed
    # arguments: found by the number's keyed hash, emptied, and never sent if still waiting.
    erased_task = {
        "args": [],
        "kwargs": {"sealed": sms_seal(to="", body="", purpose="erased"), "purpose": "erased", "to_key": ""},
    }
    tasks = DBTaskResult.objects.filter(
        task_path=SMS_TASK_PATH, args_kwargs__kwargs__to_key=sms_task_key(phone)
    ).update(args_kwargs=erased_task)
    fields_out = [f for f in ERASED_OUTBOUND_FIELDS if f != "to" or not keep_number]
    fields_in = [f for f in ERASED_INBOUND_FIELDS if f != "phone" or not keep_number]
    return {
        "messaging.outboundmessage": {"rows": sent, "fields": fields_out},
        "messaging.inboundmessage": {"rows": received, "fields": fields_in},
        "django_tasks_db.dbtaskresult": {"rows": tasks, "fields": ["args_kwargs"]},
    }
