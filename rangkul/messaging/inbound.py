"""Texts people send to Rangkul's number: authenticated per provider, stored once, answered once.

The messaging layer knows no members, so it does not decide what a text means: a higher app
registers an *answerer* (``inbound_answerer_set``, the portal's SMS keywords) that gets the
sender's number and text and returns the keyword it recognised and the answer. This module
does the rest (ADR 0039): checks the provider's secret or signature, reads its body, stores the
message under the provider's message id (unique in the database), calls the answerer in the same
transaction and queues the answer in the outbound queue. A provider that delivers a message again
gets the first answer back and nothing is sent twice.

Providers:

- ``sandbox`` (tests, demos; on wherever the payments sandbox is): header ``X-Callback-Token``
  with ``SANDBOX_CALLBACK_TOKEN``; body ``{"from", "text"[, "id"]}``. Without ``id`` every
  request is a new message.
- ``whatsapp``: the WhatsApp Business Platform (Cloud API) webhook body, signed with
  ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with ``WHATSAPP_APP_SECRET``). Text and
  quick-reply button messages are answered; delivery statuses in the same body are applied, so
  the app's one callback URL may point here.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.core.crypto import seal, unseal
from rangkul.core.errors import ApplicationError, NotFound, ValidationFailed
from rangkul.core.tasks import enqueue_on_commit
from rangkul.messaging.errors import MessagingErrorCode
from rangkul.messaging.models import InboundMessage, MessageChannel
from rangkul.messaging.optout import sms_inbound_handle
from rangkul.messaging.queue import message_queue, whatsapp_signature_valid, whatsapp_statuses, whatsapp_statuses_apply
from rangkul.messaging.services import SEAL_PURPOSE
from rangkul.messaging.tasks import messages_deliver_now

ANSWER_PURPOSE = "sms_keyword_answer"
TEXT_MAX_CHARS = 1600  # ten concatenated SMS parts; longer is not a text message


class BadSignature(ApplicationError):
    status = 401
    default_code = MessagingErrorCode.BAD_SIGNATURE


class MalformedBody(ApplicationError):
    status = 400
    default_code = MessagingErrorCode.MALFORMED_JSON


@dataclass(frozen=True)
class InboundSms:
    provider: str
    message_id: str
    sender: str  # E.164
    text: str
    received_at: dt.datetime


@dataclass(frozen=True)
class InboundAnswer:
    keyword: str
    text: str


@dataclass(frozen=True)
class InboundResult:
    id: str
    keyword: str
    answer: str


Answerer = Callable[[InboundSms], InboundAnswer]


def _answer_stop_only(message: InboundSms) -> InboundAnswer:
    """Used until an app registers its answerer: only ``STOP`` is understood (and not answered)."""
    stopped = sms_inbound_handle(sender=message.sender, body=message.text)
    return InboundAnswer(keyword="stop" if stopped else "", text="")


_answerer: Answerer = _answer_stop_only


def inbound_answerer_set(answerer: Answerer) -> None:
    """Register what answers inbound texts (called once, from the answering app's ``ready()``)."""
    global _answerer
    _answerer = answerer


def inbound_answerer_get() -> Answerer:
    return _answerer


# --- numbers ----------------------------------------------------------------------------------


def phone_e164(raw: str) -> str | None:
    """The sender's number in E.164 (``+6281234567890``), read as Indonesian unless it has a ``+``."""
    value = (raw or "").strip()
    if not value or len(value) > 32:
        return None
    try:
        number = phonenumbers.parse(value, "ID")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- providers --------------------------------------------------------------------------------


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MalformedBody(_("The request body is not valid JSON.")) from None


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("Some fields are not valid."), fields={field: [message]})


def _clean_text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise _field_error(field, _("Must be text."))
    if "\x00" in value:
        raise _field_error(field, _("This value is not valid."))
    if len(value) > TEXT_MAX_CHARS:
        raise _field_error(field, _("This value is too long."))
    return value


def _sandbox_authenticate(headers: Mapping[str, str], body: bytes) -> None:
    expected = settings.SANDBOX_CALLBACK_TOKEN
    given = headers.get("X-Callback-Token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise BadSignature(_("The callback token is missing or wrong."))


def _sandbox_parse(body: bytes, now: dt.datetime) -> list[InboundSms]:
    data = _json_body(body)
    if not isinstance(data, dict):
        raise ValidationFailed(
            _("Some fields are not valid."), fields={"__all__": [_("The request body must be a JSON object.")]}
        )
    missing = {name: [_("This field is required.")] for name in ("from", "text") if name not in data}
    if missing:
        raise ValidationFailed(_("Some fields are not valid."), fields=missing)
    sender = phone_e164(_clean_text(data["from"], "from"))
    if sender is None:
        raise _field_error("from", _("Write a mobile number, e.g. 0812 3456 7890."))
    text = _clean_text(data["text"], "text")
    message_id = data.get("id")
    if message_id is None:
        message_id = f"sbx-{uuid.uuid4().hex}"
    message_id = _clean_text(message_id, "id").strip()
    if not message_id or len(message_id) > 128:
        raise _field_error("id", _("This value is not valid."))
    return [InboundSms(provider="sandbox", message_id=message_id, sender=sender, text=text, received_at=now)]


def _whatsapp_authenticate(headers: Mapping[str, str], body: bytes) -> None:
    if not whatsapp_signature_valid(body, headers.get("X-Hub-Signature-256")):
        raise BadSignature(_("The signature is missing or wrong."))


def _whatsapp_parse(body: bytes, now: dt.datetime) -> list[InboundSms]:
    data = _json_body(body)
    if not isinstance(data, dict):
        raise ValidationFailed(
            _("Some fields are not valid."), fields={"__all__": [_("The request body must be a JSON object.")]}
        )
    # Delivery receipts may share the body with messages: applied here as on the webhook.
    whatsapp_statuses_apply(whatsapp_statuses(data))
    return whatsapp_messages(data, now)


def whatsapp_messages(data: Mapping[str, Any], now: dt.datetime) -> list[InboundSms]:
    """The text messages in a Cloud API webhook body (anything unexpected is skipped)."""
    found = []
    for entry in _dicts(data.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            for item in _dicts(value.get("messages") if isinstance(value, dict) else None):
                parsed = _whatsapp_message(item, now)
                if parsed is not None:
                    found.append(parsed)
    return found


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _whatsapp_message(item: dict[str, Any], now: dt.datetime) -> InboundSms | None:
    """One Cloud API message: ``{"from": "6281…", "id": "wamid…", "timestamp": "…", "type": "text",
    "text": {"body": "…"}}``; a quick-reply button carries ``button.text``. Other types are skipped."""
    message_id, sender = item.get("id"), item.get("from")
    if not isinstance(message_id, str) or not isinstance(sender, str) or not 0 < len(message_id) <= 128:
        return None
    kind = item.get("type")
    holder = item.get("text") if kind == "text" else item.get("button") if kind == "button" else None
    text = holder.get("body" if kind == "text" else "text") if isinstance(holder, dict) else None
    if not isinstance(text, str):
        return None
    phone = phone_e164(sender if sender.startswith("+") else f"+{sender}")
    if phone is None:
        return None
    received_at = now
    stamp = item.get("timestamp")
    if isinstance(stamp, str) and stamp.isdigit() and len(stamp) <= 12:
        received_at = dt.datetime.fromtimestamp(int(stamp), tz=dt.UTC)
    return InboundSms(
        provider="whatsapp",
        message_id=message_id,
        sender=phone,
        text=text[:TEXT_MAX_CHARS].replace("\x00", ""),
        received_at=received_at,
    )


@dataclass(frozen=True)
class Provider:
    authenticate: Callable[[Mapping[str, str], bytes], None]
    parse: Callable[[bytes, dt.datetime], list[InboundSms]]
    enabled: Callable[[], bool]


PROVIDERS: dict[str, Provider] = {
    "sandbox": Provider(_sandbox_authenticate, _sandbox_parse, lambda: bool(settings.PAYMENTS_SANDBOX_ENABLED)),
    "whatsapp": Provider(_whatsapp_authenticate, _whatsapp_parse, lambda: True),
}


# --- receiving ----------------------------------------------------------------------------------


def inbound_receive(
    *, provider: str, headers: Mapping[str, str], body: bytes, now: dt.datetime | None = None
) -> list[InboundResult]:
    """Authenticate, read and answer one provider request (one or more messages)."""
    adapter = PROVIDERS.get(provider)
    if adapter is None or not adapter.enabled():
        raise NotFound(_("There is no such SMS provider."), code=MessagingErrorCode.UNKNOWN_PROVIDER)
    adapter.authenticate(headers, body)
    messages = adapter.parse(body, now or timezone.now())
    return [inbound_handle(message) for message in messages]


def _stored(message: InboundSms) -> InboundResult | None:
    row = InboundMessage.objects.filter(provider=message.provider, provider_message_id=message.message_id).first()
    if row is None:
        return None
    answer = unseal(row.answer_sealed, purpose=SEAL_PURPOSE) if row.answer_sealed else ""
    return InboundResult(id=row.provider_message_id, keyword=row.keyword, answer=answer)


def _over_limit(message: InboundSms) -> bool:
    """More texts from this number in the last hour than ``SMS_INBOUND_ANSWERS_PER_HOUR``: each answer
    costs an SMS, so beyond the limit a text still takes effect (a STOP still stops) but is not answered."""
    since = message.received_at - dt.timedelta(hours=1)
    recent = InboundMessage.objects.filter(phone=message.sender, received_at__gt=since).count()
    return recent > settings.SMS_INBOUND_ANSWERS_PER_HOUR


def inbound_handle(message: InboundSms) -> InboundResult:
    """Store, answer and queue the answer, once per provider message id."""
    stored = _stored(message)
    if stored is not None:
        return stored
    try:
        with transaction.atomic():
            row = InboundMessage.objects.create(
                provider=message.provider,
                provider_message_id=message.message_id,
                phone=message.sender,
                body_sealed=seal(message.text, purpose=SEAL_PURPOSE),
                received_at=message.received_at,
            )
            answer = _answerer(message)
            outbound = None
            if answer.text and not _over_limit(message):
                outbound = message_queue(
                    channel=MessageChannel.SMS, to=message.sender, body=answer.text, purpose=ANSWER_PURPOSE
                )
            row.keyword = answer.keyword[:20]
            if outbound is None:
                answer = InboundAnswer(keyword=answer.keyword, text="")
            row.answer_sealed = seal(answer.text, purpose=SEAL_PURPOSE) if answer.text else ""
            row.answer = outbound
            row.save(update_fields=["keyword", "answer_sealed", "answer"])
            if outbound is not None:
                enqueue_on_commit(messages_deliver_now, ids=[outbound.pk])
    except IntegrityError:
        # The same message, delivered twice at once: the other delivery answered it.
        stored = _stored(message)
        if stored is None:
            raise
        return stored
    return InboundResult(id=message.message_id, keyword=answer.keyword, answer=answer.text)


def inbound_purge(*, now: dt.datetime | None = None) -> int:
    """Remove inbound messages older than ``SMS_INBOUND_RETENTION_DAYS``; returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.SMS_INBOUND_RETENTION_DAYS)
    deleted, _detail = InboundMessage.objects.filter(received_at__lt=cutoff).delete()
    return deleted
