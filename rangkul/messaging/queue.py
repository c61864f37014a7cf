"""The outbound message queue: send, retry refused sends with backoff, fall back from WhatsApp to SMS.

A message is queued (``message_queue``) and then delivered by ``messages_deliver`` (the
periodic task, or the caller right away). A refusal (``SmsDeliveryError``, which the WhatsApp
error extends) schedules another try after ``MESSAGING_RETRY_BASE_SECONDS × 2^(attempt−1)``;
after ``MESSAGING_MAX_ATTEMPTS`` the message is ``failed`` and reported in the log (count and
purpose, never the number or text). A WhatsApp message that fails, or is still not delivered
``MESSAGING_WHATSAPP_FALLBACK_HOURS`` after it was sent, gets one SMS copy. An e-mail goes
through Django's e-mail framework (``rangkul.messaging.mail``); an address the mail server
refuses for good fails at once instead of being tried again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from rangkul.core.bulk import insert_rows_keyed
from rangkul.core.crypto import seal, unseal
from rangkul.messaging.backends import SmsDeliveryError
from rangkul.messaging.mail import EmailDeliveryError, email_connection, email_send
from rangkul.messaging.models import MessageChannel, MessageStatus, OutboundMessage
from rangkul.messaging.services import SEAL_PURPOSE, sms_backend_get

logger = logging.getLogger(__name__)

# A later status never goes back to an earlier one (webhooks arrive out of order).
RANK: dict[str, int] = {"queued": 0, "sent": 1, "delivered": 2, "read": 3}


def whatsapp_backend_get() -> Any:
    return import_string(settings.WHATSAPP_BACKEND)()


def message_queue(
    *,
    channel: str,
    to: str,
    body: str,
    purpose: str,
    template: str = "",
    parameters: Sequence[str] = (),
    language: str = "id",
    subject: str = "",
    unsubscribe_url: str = "",
    now: dt.datetime | None = None,
) -> OutboundMessage:
    """Queue one message; ``body`` is the SMS text (and the WhatsApp fallback's) or the e-mail's text.

    ``to`` is a mobile number, or an e-mail address for ``channel="email"``; ``subject`` and
    ``unsubscribe_url`` (the ``List-Unsubscribe`` header) are the e-mail's and sealed with the text.
    """
    if channel not in MessageChannel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if channel == MessageChannel.WHATSAPP and not template:
        raise ValueError("a WhatsApp message needs an approved template name")
    if channel == MessageChannel.EMAIL and "@" not in to:
        raise ValueError("an e-mail needs an e-mail address")
    now = now or timezone.now()
    content: dict[str, Any] = {"body": body, "parameters": list(parameters), "language": language}
    if channel == MessageChannel.EMAIL:
        content |= {"subject": subject, "unsubscribe_url": unsubscribe_url}
    sealed = seal(json.dumps(content, ensure_ascii=False), purpose=SEAL_PURPOSE)
    return OutboundMessage.objects.create(
        channel=channel,
        to=to,
        body_sealed=sealed,
        template=template,
        purpose=purpose,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )


WRITE_ROWS = 10_000  # texts written per statement by ``messages_queue_many``


def messages_queue_many(
    *,
    channel: str,
    items: Sequence[tuple[str, str]],
    purpose: str,
    now: dt.datetime | None = None,
    batch_size: int = 1000,
) -> int:
    """Queue many texts of one purpose at once: ``items`` are ``(to, body)``; returns how many.

    Written in bulk (``COPY`` on PostgreSQL), not one INSERT per message. Each batch is handed to the delivery
    task when the caller's transaction commits (so nothing is sent for a run that rolls
    back); anything that task does not send waits for the queue's periodic run and retries.
    """
    if channel == MessageChannel.WHATSAPP:
        raise ValueError("WhatsApp messages need a template: queue them one by one with message_queue")
    from rangkul.messaging.tasks import messages_deliver_now  # tasks import this module

    now = now or timezone.now()
    queued = 0
    # Written as plain rows by ``COPY`` many batches at a time (two statements per write on
    # PostgreSQL: the keys drawn, the rows copied); each batch of ``batch_size`` is still its own
    # delivery task.
    write = max(batch_size, WRITE_ROWS)
    queued_status = MessageStatus.QUEUED.value
    for start in range(0, len(items), write):
        keys = insert_rows_keyed(
            OutboundMessage,
            _QUEUED_COLUMNS,
            [
                (
                    channel,
                    to,
                    seal(
                        json.dumps({"body": body, "parameters": [], "language": "id"}, ensure_ascii=False),
                        purpose=SEAL_PURPOSE,
                    ),
                    "",
                    purpose,
                    queued_status,
                    "",
                    0,
                    now,
                    "",
                    now,
                    now,
                )
                for to, body in items[start : start + write]
            ],
        )
        for first in range(0, len(keys), batch_size):
            ids = keys[first : first + batch_size]
            transaction.on_commit(lambda ids=ids: messages_deliver_now.enqueue(ids=ids))  # type: ignore[misc]
        queued += len(keys)
    return queued


# Every column of a queued text but its key and its fallback (none yet), in the order ``messages_queue_many`` writes.
_QUEUED_COLUMNS = (
    "channel",
    "to",
    "body_sealed",
    "template",
    "purpose",
    "status",
    "provider_id",
    "attempts",
    "next_attempt_at",
    "error",
    "created_at",
    "updated_at",
)


def retry_delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=settings.MESSAGING_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))


def messages_deliver(
    *, now: dt.datetime | None = None, ids: Iterable[int] | None = None, limit: int = 1000
) -> dict[str, int]:
    """Try every due queued message (or only ``ids``); then fall back for undelivered WhatsApp."""
    now = now or timezone.now()
    due = OutboundMessage.objects.filter(status=MessageStatus.QUEUED, next_attempt_at__lte=now)
    if ids is not None:
        due = due.filter(pk__in=list(ids))
    counts: Counter[str] = Counter()
    backends: dict[str, Any] = {}
    for pk in list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            # Claimed under a row lock (skipped when another run holds it), so it is handed over once.
            message = (
                OutboundMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=MessageStatus.QUEUED, next_attempt_at__lte=now)
                .first()
            )
            if message is None:
                continue
            outcome = _deliver_one(message, now=now, backends=backends)
        counts[outcome] += 1
    counts["fallback"] += _fallback_undelivered(now=now)
    if counts["failed"]:
        logger.warning("messages failed after %s attempts: %s", settings.MESSAGING_MAX_ATTEMPTS, counts["failed"])
    return {key: value for key, value in counts.items() if value}


def _backend(backends: dict[str, Any], channel: str) -> Any:
    """The run's backend (or mail connection) for a channel, made on first use."""
    if channel not in backends:
        factories: dict[MessageChannel, Callable[[], Any]] = {
            MessageChannel.WHATSAPP: whatsapp_backend_get,
            MessageChannel.EMAIL: email_connection,
            MessageChannel.SMS: sms_backend_get,
        }
        backends[channel] = factories[MessageChannel(channel)]()
    return backends[channel]


def _deliver_one(message: OutboundMessage, *, now: dt.datetime, backends: dict[str, Any]) -> str:
    content = json.loads(unseal(message.body_sealed, purpose=SEAL_PURPOSE))
    try:
        if message.channel == MessageChannel.WHATSAPP:
            provider_id = _backend(backends, message.channel).send_template(
                to=message.to,
                template=message.template,
                language=content["language"],
                parameters=content["parameters"],
            )
        elif message.channel == MessageChannel.EMAIL:
            email_send(
                connection=_backend(backends, message.channel),
                to=message.to,
                subject=content.get("subject", ""),
                body=content["body"],
                unsubscribe_url=content.get("unsubscribe_url", ""),
            )
            provider_id = ""
        else:
            _backend(backends, MessageChannel.SMS).send_sms(
                to=message.to, body=content["body"], purpose=message.purpose
            )
            provider_id = ""
    except EmailDeliveryError as exc:
        return _refused(message, error=str(exc), now=now, permanent=exc.permanent)
    except SmsDeliveryError as exc:
        return _refused(message, error=str(exc), now=now)
    message.status = MessageStatus.SENT
    message.provider_id = provider_id
    message.attempts += 1
    message.next_attempt_at = None
    message.updated_at = now
    message.save(update_fields=["status", "provider_id", "attempts", "next_attempt_at", "updated_at"])
    return "sent"


def _refused(message: OutboundMessage, *, error: str, now: dt.datetime, permanent: bool = False) -> str:
    message.attempts += 1
    message.error = error[:200]
    message.updated_at = now
    if permanent or message.attempts >= settings.MESSAGING_MAX_ATTEMPTS:
        message.status = MessageStatus.FAILED
        message.next_attempt_at = None
        message.save(update_fields=["attempts", "error", "status", "next_attempt_at", "updated_at"])
        if message.channel == MessageChannel.WHATSAPP:
            _fallback(message, now=now)
        return "failed"
    message.next_attempt_at = now + retry_delay(message.attempts)
    message.save(update_fields=["attempts", "error", "next_attempt_at", "updated_at"])
    return "retry"


@transaction.atomic
def _fallback(message: OutboundMessage, *, now: dt.datetime) -> OutboundMessage | None:
    """One SMS copy of a WhatsApp message that did not arrive (never two)."""
    message = OutboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.fallback_id is not None or message.channel != MessageChannel.WHATSAPP:
        return None
    content = json.loads(unseal(message.body_sealed, purpose=SEAL_PURPOSE))
    copy = message_queue(
        channel=MessageChannel.SMS, to=message.to, body=content["body"], purpose=message.purpose, now=now
    )
    message.fallback = copy
    message.save(update_fields=["fallback"])
    return copy


def _fallback_undelivered(*, now: dt.datetime) -> int:
    cutoff = now - dt.timedelta(hours=settings.MESSAGING_WHATSAPP_FALLBACK_HOURS)
    stale = OutboundMessage.objects.filter(
        channel=MessageChannel.WHATSAPP, status=MessageStatus.SENT, fallback__isnull=True, updated_at__lte=cutoff
    )
    return sum(1 for message in stale[:1000] if _fallback(message, now=now) is not None)


# --- The WhatsApp webhook ------------------------------------------------------------------------


def whatsapp_signature_valid(raw_body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>``, constant time."""
    secret = settings.WHATSAPP_APP_SECRET
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def whatsapp_statuses(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(provider message id, status) pairs from a webhook body; anything unexpected is skipped."""
    found = []
    entries = payload.get("entry") if isinstance(payload, Mapping) else None
    for entry in entries if isinstance(entries, list) else []:
        for change in entry.get("changes", []) if isinstance(entry, Mapping) else []:
            value = change.get("value", {}) if isinstance(change, Mapping) else {}
            for status in value.get("statuses", []) if isinstance(value, Mapping) else []:
                if isinstance(status, Mapping) and isinstance(status.get("id"), str):
                    found.append((status["id"], str(status.get("status", ""))))
    return found


def whatsapp_statuses_apply(pairs: Sequence[tuple[str, str]], *, now: dt.datetime | None = None) -> int:
    """Record delivery receipts; a ``failed`` WhatsApp message gets its SMS copy. Returns rows changed."""
    now = now or timezone.now()
    changed = 0
    for provider_id, status in pairs:
        if status not in {MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ, MessageStatus.FAILED}:
            continue
        message = OutboundMessage.objects.filter(provider_id=provider_id, channel=MessageChannel.WHATSAPP).first()
        if message is None:
            continue
        if status == MessageStatus.FAILED:
            if message.status in {MessageStatus.DELIVERED, MessageStatus.READ}:
                continue
            OutboundMessage.objects.filter(pk=message.pk).update(status=status, updated_at=now)
            _fallback(message, now=now)
            changed += 1
        elif (
            message.status != MessageStatus.FAILED and RANK[MessageStatus(status)] > RANK[MessageStatus(message.status)]
        ):
            OutboundMessage.objects.filter(pk=message.pk).update(status=status, updated_at=now)
            changed += 1
    return changed
