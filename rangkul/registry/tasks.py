"""Side effects of registration, run after the transaction commits.

Task arguments are database ids only: never a NIK, a name or a phone number.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from rangkul.core.crypto import seal, unseal
from rangkul.messaging.backends import SmsDeliveryError
from rangkul.messaging.services import SEAL_PURPOSE, sms_backend_get, sms_queue
from rangkul.registry.models import Worker

logger = logging.getLogger("rangkul.registry")


def _welcome_template() -> str:
    # Workers read SMS in Indonesian whatever language the registering staff used.
    with translation.override("id"):
        return _(
            "Welcome to Rangkul. Your membership number is %(number)s. "
            "You are protected once your first contribution is paid."
        )


def welcome_text(worker: Worker) -> str:
    return _welcome_template() % {"number": worker.membership_number}


def welcomes_seal(workers: Sequence[Any]) -> str:
    """A batch's welcome messages, ``[[phone, text], …]`` sealed: the task table never holds them in clear."""
    template = _welcome_template()
    messages = [[worker.phone, template % {"number": worker.membership_number}] for worker in workers]
    return seal(json.dumps(messages, ensure_ascii=False), purpose=SEAL_PURPOSE)


@task()
def worker_send_welcome(worker_id: int) -> None:
    worker = Worker.objects.filter(pk=worker_id).first()
    if worker is None:
        return
    sms_queue(to=worker.phone, body=welcome_text(worker), purpose="welcome")
    logger.info("Welcome message queued for member %s.", worker.membership_number)


@task()
def workers_send_welcome(*, sealed: str, count: int) -> dict[str, int]:
    """Deliver the welcome messages of one registered batch (bulk imports queue one such task per batch).

    ``count`` is in clear only to label the task. A number the provider refuses is
    counted and the rest are still sent; nothing about it (number, text) is logged.
    """
    messages: list[list[str]] = json.loads(unseal(sealed, purpose=SEAL_PURPOSE))
    backend = sms_backend_get()
    sent = failed = 0
    for to, body in messages:
        try:
            backend.send_sms(to=to, body=body, purpose="welcome")
        except SmsDeliveryError:
            failed += 1
            continue
        sent += 1
    logger.info("Welcome messages of a batch delivered: sent=%s failed=%s", sent, failed)
    return {"sent": sent, "failed": failed}
