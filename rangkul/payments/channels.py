"""Channel adapters: authenticate a callback and read it into one shape.

Two authentication styles exist in the field and each has one adapter here:

* ``token_header`` — a shared secret sent as a header on every callback (Xendit's
  ``X-Callback-Token``; Rangkul's own ``sandbox`` channel uses the same style);
* ``signature_sha512`` — ``SHA512(order_id + status_code + gross_amount + server_key)``
  sent as ``signature_key`` in the body (Midtrans' HTTP notification).

Both compare with ``hmac.compare_digest``. Secrets come from the environment variable
named by the channel; a setting of the same name without the ``RANGKUL_`` prefix wins
(this is how the sandbox token gets its documented development default).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from rangkul.payments.models import AuthStyle, Channel


class CallbackUnreadable(ValueError):
    """The body is JSON but lacks a field the channel always sends, or a value has the wrong shape."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def channel_secret(channel: Channel) -> str:
    name = channel.secret_env
    configured = getattr(settings, name.removeprefix("RANGKUL_"), None)
    if configured:
        return str(configured)
    return os.environ.get(name, "").strip()


def midtrans_signature(*, order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{server_key}".encode()).hexdigest()


def _token_header_ok(channel: Channel, headers: Mapping[str, str], body: Mapping[str, Any], secret: str) -> bool:
    header = channel.callback_format.get("token_header", "X-Callback-Token").lower()
    sent = next((value for name, value in headers.items() if name.lower() == header), "")
    return hmac.compare_digest(sent.encode(), secret.encode())


def _signature_ok(channel: Channel, headers: Mapping[str, str], body: Mapping[str, Any], secret: str) -> bool:
    parts = [body.get(name) for name in ("order_id", "status_code", "gross_amount")]
    sent = body.get("signature_key")
    if not all(isinstance(p, str) for p in parts) or not isinstance(sent, str):
        return False
    expected = midtrans_signature(
        order_id=str(parts[0]), status_code=str(parts[1]), gross_amount=str(parts[2]), server_key=secret
    )
    return hmac.compare_digest(sent.lower().encode(), expected.encode())


_AUTHENTICATORS = {AuthStyle.TOKEN_HEADER: _token_header_ok, AuthStyle.SIGNATURE_SHA512: _signature_ok}


def callback_authentic(channel: Channel, *, headers: Mapping[str, str], body: Mapping[str, Any]) -> bool:
    """True when the callback carries this channel's secret; never true without a configured secret."""
    secret = channel_secret(channel)
    if not secret:
        return False
    return _AUTHENTICATORS[AuthStyle(channel.auth_style)](channel, headers, body, secret)


@dataclass(frozen=True)
class CallbackData:
    external_reference: str
    payment_code: str
    amount_idr: int
    status: str
    paid: bool
    paid_at: dt.datetime


def amount_parse(value: Any, *, field: str) -> int:
    """Whole rupiah from an int or a decimal string ("16800.00"); fractions of a rupiah are refused."""
    if isinstance(value, bool):
        raise CallbackUnreadable(field, "not an amount")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise CallbackUnreadable(field, "not an amount") from exc
    if amount != amount.to_integral_value() or amount <= 0:
        raise CallbackUnreadable(field, "not a whole positive rupiah amount")
    return int(amount)


def datetime_parse(value: Any, *, field: str) -> dt.datetime:
    """ISO 8601; a time without an offset is Jakarta time (the gateways' local time)."""
    parsed = parse_datetime(str(value).strip().replace(" ", "T", 1)) if value else None
    if parsed is None:
        raise CallbackUnreadable(field, "not a date and time")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def callback_parse(channel: Channel, body: Mapping[str, Any]) -> CallbackData:
    fmt = channel.callback_format
    fields: dict[str, str] = fmt["fields"]

    def text(key: str, *, required: bool = True) -> str:
        name = fields.get(key, "")
        value = body.get(name) if name else None
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise CallbackUnreadable(name or key, "missing")
            return ""
        if not isinstance(value, str | int):
            raise CallbackUnreadable(name, "must be text")
        return str(value).strip()

    reference = text("external_reference")
    if len(reference) > 120:
        raise CallbackUnreadable(fields["external_reference"], "too long")
    code = text("payment_code", required=False)[:32]
    status = text("status")
    amount = amount_parse(body.get(fields["amount"]), field=fields["amount"])
    paid_at_raw = body.get(fields.get("paid_at", "")) if fields.get("paid_at") else None
    paid_at = datetime_parse(paid_at_raw, field=fields["paid_at"]) if paid_at_raw else timezone.now()
    paid = status.lower() in {s.lower() for s in fmt.get("paid_statuses", ["PAID"])}
    return CallbackData(reference, code, amount, status, paid, paid_at)
