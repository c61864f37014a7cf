"""Side effects of registration, run after the transaction commits.

Task arguments are database ids only: never a NIK, a name or a phone number.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string
from django_tasks import task

from rangkul.core.crypto import mask_phone
from rangkul.registry.models import Worker

logger = logging.getLogger("rangkul.registry")

# The outreach app's hook; until it exists the welcome is only logged (masked).
DEFAULT_WELCOME_HOOK = "rangkul.outreach.services.outreach_welcome_send"


def _welcome_hook():  # type: ignore[no-untyped-def]
    path = getattr(settings, "REGISTRY_WELCOME_HOOK", "") or DEFAULT_WELCOME_HOOK
    try:
        return import_string(path)
    except ImportError:
        return None


@task()
def worker_send_welcome(worker_id: int) -> None:
    worker = Worker.objects.filter(pk=worker_id).first()
    if worker is None:
        return
    hook = _welcome_hook()
    if hook is None:
        logger.info(
            "Welcome message for member %s to %s queued (no outreach backend installed).",
            worker.membership_number,
            mask_phone(worker.phone),
        )
        return
    hook(worker=worker)
