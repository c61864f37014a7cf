"""Sending text messages: choose the backend, queue sends for after the commit.

The low layer every app may use (one-time codes, welcome texts, receipts, reminders); it
knows nothing of members or contributions. A message is sent from a django-tasks task
scheduled with ``transaction.on_commit``, so that a rolled-back registration never texts
anybody. The task's only argument is the message sealed with AES-GCM
(rangkul.core.crypto.seal, purpose "sms"): the task table then holds neither the phone
number nor a one-time code in clear, and no NIK is ever part of a message.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from rangkul.core.crypto import lookup_hash, seal, unseal
from rangkul.messaging.backends import SmsBackend

logger = logging.getLogger(__name__)

SEAL_PURPOSE = "sms"


def sms_backend_get(path: str | None = None) -> SmsBackend:
    backend_class = import_string(path or settings.SMS_BACKEND)
    backend: SmsBackend = backend_class()
    return backend


def sms_send_now(*, to: str, body: str, purpose: str) -> None:
    """Send through the configured backend in this process (tasks call this)."""
    sms_backend_get().send_sms(to=to, body=body, purpose=purpose)
    logger.info("sms sent purpose=%s", purpose)


def sms_seal(*, to: str, body: str, purpose: str) -> str:
    return seal(json.dumps({"to": to, "body": body, "purpose": purpose}), purpose=SEAL_PURPOSE)


def sms_unseal(sealed: str) -> dict[str, str]:
    data: dict[str, str] = json.loads(unseal(sealed, purpose=SEAL_PURPOSE))
    return data


def sms_task_key(to: str) -> str:
    """The keyed hash an ``sms_deliver`` task carries of its number (never the number itself)."""
    return lookup_hash(to, purpose="sms_task")


def sms_queue(*, to: str, body: str, purpose: str) -> None:
    """Send after the current transaction commits (immediately when there is none)."""
    from rangkul.messaging.tasks import sms_deliver

    sealed = sms_seal(to=to, body=body, purpose=purpose)
    # The keyed hash of the number lets an erasure find the queued task without unsealing every task.
    to_key = sms_task_key(to)
    transaction.on_commit(lambda: sms_deliver.enqueue(sealed=sealed, purpose=purpose, to_key=to_key))
