"""Side effects of registration, run after the transaction commits.

Task arguments are database ids only: never a NIK, a name or a phone number.
"""

from __future__ import annotations

import logging

from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from rangkul.outreach.services import sms_queue
from rangkul.registry.models import Worker

logger = logging.getLogger("rangkul.registry")


def welcome_text(worker: Worker) -> str:
    # Workers read SMS in Indonesian whatever language the registering staff used.
    with translation.override("id"):
        return _(
            "Welcome to Rangkul. Your membership number is %(number)s. "
            "You are protected once your first contribution is paid."
        ) % {"number": worker.membership_number}


@task()
def worker_send_welcome(worker_id: int) -> None:
    worker = Worker.objects.filter(pk=worker_id).first()
    if worker is None:
        return
    sms_queue(to=worker.phone, body=welcome_text(worker), purpose="welcome")
    logger.info("Welcome message queued for member %s.", worker.membership_number)
