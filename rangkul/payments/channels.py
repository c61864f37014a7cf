"""Channel adapters: authenticate a callback and read it into one shape.

Two authentication styles exist in the field and each has one adapter here:

* ``token_header`` — a shared secret sent as a header on every callback (Xendit's
  ``X-Callback-Token``; Rangkul's own ``sandbox`` channel uses the same style);
* ``signature_sha512`` — ``SHA512(order_id + status_code + gross_amount + server_key)``
  sent as ``signature_key`` in the body (Midtrans' HTTP notification).

Both compare with ``hmac.compare_digest``. Authentic is not the same as paid: what a callback
*means* (paid, pending, a reversal, or a contradiction of what was signed) is decided by the
channel's rules, kept as data in ``Channel.callback_format`` (see ``callback_parse``).
Secrets come from the environment variable named by the channel; a setting of the same name
without the ``RANGKUL_`` prefix wins (this is how the sandbox token gets its documented development default).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from rangkul.payments.errors import PaymentErrorCode
from rangkul.payments.models import AuthStyle, Channel


class CallbackUnreadable(ValueError):
    """The body is JSON but lacks a field the channel always sends, or a value has the wrong shape."""

    def __init__(self, field: str, message: str, *, code: str = "validation_failed") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


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


class Meaning:
    """What a callback says happened, as the channel's rules read it."""

    PAID = "paid"  # money arrived: record it (once)
    PENDING = "pending"  # not yet (a card payment under fraud review, a code waiting at the till)
    IGNORE = "ignore"  # no money moves (expired, failed, an event of no interest)
    REVERSAL = "reversal"  # money recorded earlier may be gone (deny, cancel, refund, chargeback)
    TAMPERED = "tampered"  # an unsigned field contradicts the signed ones

    ALL = (PAID, PENDING, IGNORE, REVERSAL, TAMPERED)


# The largest amount a callback or settlement line can carry at all: anything larger is not a
# payment but a broken or hostile value (and would overflow totals). Far above the review ceiling.
AMOUNT_MAX_IDR = 10**15
# Dates outside these years are not a payment's time, whatever the text says.
_YEARS = (2000, 2100)


@dataclass(frozen=True)
class CallbackData:
    external_reference: str
    payment_code: str
    amount_idr: int
    status: str
    paid: bool
    paid_at: dt.datetime
    meaning: str = Meaning.PAID
    shape: str = ""


def amount_parse(value: Any, *, field: str) -> int:
    """Whole rupiah from an int or a decimal string ("16800.00"); fractions of a rupiah are refused,
    and so are infinities, NaN and anything beyond ``AMOUNT_MAX_IDR``."""
    if isinstance(value, bool) or value is None:
        raise CallbackUnreadable(field, "not an amount")
    if isinstance(value, float) and not math.isfinite(value):
        raise CallbackUnreadable(field, "not a finite amount")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise CallbackUnreadable(field, "not an amount") from exc
    if not amount.is_finite():
        raise CallbackUnreadable(field, "not a finite amount")
    if amount <= 0 or amount > AMOUNT_MAX_IDR:
        raise CallbackUnreadable(field, "amount out of range")
    if amount != amount.to_integral_value():
        raise CallbackUnreadable(field, "not a whole positive rupiah amount")
    return int(amount)


def datetime_parse(value: Any, *, field: str) -> dt.datetime:
    """ISO 8601; a time without an offset is Jakarta time (the gateways' local time).

    Impossible dates (30 February), offsets beyond ±24 hours and years far from now are refused.
    """
    try:
        parsed = parse_datetime(str(value).strip().replace(" ", "T", 1)) if value else None
        if parsed is not None:
            if timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed)
            if not _YEARS[0] <= parsed.astimezone(dt.UTC).year <= _YEARS[1]:
                parsed = None
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        raise CallbackUnreadable(field, "not a date and time")
    return parsed


def _nul_field(value: Any, path: str = "") -> str | None:
    """The name of the first field holding a NUL character (in a key or a value), if any."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return name.replace("\x00", "")
            found = _nul_field(item, name)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_field(item, f"{path}[{index}]")
            if found:
                return found
    return None


def _matches(rule: Mapping[str, Sequence[str]], body: Mapping[str, Any]) -> bool:
    """A rule's ``when``: every named field holds one of the listed values (compared as text)."""
    for name, allowed in rule.items():
        value = body.get(name)
        if value is None or str(value).strip().lower() not in {str(a).lower() for a in allowed}:
            return False
    return True


def _shape(fmt: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any] | None:
    """The channel's rules for this body: one of its ``shapes`` (first whose ``detect`` fits), or the
    channel's own rules when it has no shapes. None when the body fits none of the channel's shapes."""
    shapes = fmt.get("shapes")
    if not shapes:
        return dict(fmt)
    for shape in shapes:
        detect = shape.get("detect", {})
        present = all(body.get(name) not in (None, "") for name in detect.get("present", ()))
        absent = all(name not in body for name in detect.get("absent", ()))
        if present and absent:
            return {**fmt, **shape}
    return None


def _meaning(shape: Mapping[str, Any], body: Mapping[str, Any]) -> str:
    events = shape.get("events")
    if events is None:  # the simple form: a list of statuses that mean paid
        status_field = shape["fields"].get("status", "status")
        paid = {s.lower() for s in shape.get("paid_statuses", ["PAID"])}
        return Meaning.PAID if str(body.get(status_field, "")).strip().lower() in paid else Meaning.IGNORE
    for event in events:
        if _matches(event.get("when", {}), body):
            return str(event["means"])
    return str(shape.get("otherwise", Meaning.IGNORE))


def _names(fields: Mapping[str, Any], key: str) -> list[str]:
    """A field's names in the body: one, or several tried in order (the first present wins)."""
    names = fields.get(key) or []
    return [names] if isinstance(names, str) else list(names)


def _first(body: Mapping[str, Any], names: list[str]) -> tuple[str, Any]:
    for name in names:
        value = body.get(name)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return name, value
    return (names[0] if names else ""), None


def callback_parse(channel: Channel, body: Mapping[str, Any]) -> CallbackData:
    """Read an authenticated callback with the channel's rules (``callback_format``, data):

    * ``fields``: where the reference (the exactly-once key), payment code, amount, status and
      time of payment are; a list of names means the first one present;
    * ``events``: ``[{"when": {field: [values]}, "means": paid|pending|ignore|reversal|tampered}]``,
      first match wins, else ``otherwise`` (or the simple ``paid_statuses`` list);
    * ``shapes``: for a channel that calls with several bodies, each with ``detect``
      (``present``/``absent`` fields) and its own ``fields``/``events``;
    * ``currency_field``: when the body names a currency it must be rupiah;
    * ``payment_code_prefix``: a merchant prefix (its field, 3–6 characters) before the code.
    """
    nul = _nul_field(body)
    if nul:
        raise CallbackUnreadable(nul, "contains a NUL character")
    shape = _shape(channel.callback_format, body)
    if shape is None:
        return CallbackData("", "", 0, "", False, timezone.now(), Meaning.IGNORE, "unknown")
    fields: dict[str, Any] = shape["fields"]
    currency_field = shape.get("currency_field", "")
    currency = body.get(currency_field) if currency_field else None
    if currency is not None and str(currency).strip().upper() != "IDR":
        raise CallbackUnreadable(
            currency_field, "only rupiah (IDR) is accepted", code=PaymentErrorCode.UNSUPPORTED_CURRENCY
        )

    def text(key: str, *, required: bool = True) -> str:
        names = _names(fields, key)
        name, value = _first(body, names)
        if value is None:
            if required:
                raise CallbackUnreadable(name or key, "missing")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise CallbackUnreadable(name, "must be text")
        return str(value).strip()

    meaning = _meaning(shape, body)
    reference = text("external_reference")
    if len(reference) > 120:
        raise CallbackUnreadable(_names(fields, "external_reference")[0], "too long")
    code = text("payment_code", required=False)
    prefix_rule = shape.get("payment_code_prefix")
    if prefix_rule and code:
        prefix = str(body.get(prefix_rule.get("field", "prefix")) or "")
        if prefix_rule.get("min", 3) <= len(prefix) <= prefix_rule.get("max", 6) and code.startswith(prefix):
            code = code[len(prefix) :]
    code = code[:32]
    status = text("status", required=False) if _names(fields, "status") else ""
    amount_name, amount_value = _first(body, _names(fields, "amount"))
    if amount_value is None and meaning in (Meaning.IGNORE, Meaning.PENDING):
        amount = 0  # an expiry or a pending notice need not name an amount
    else:
        amount = amount_parse(amount_value, field=amount_name or "amount")
    paid_at_name, paid_at_raw = _first(body, _names(fields, "paid_at"))
    paid_at = datetime_parse(paid_at_raw, field=paid_at_name) if paid_at_raw is not None else timezone.now()
    return CallbackData(
        reference, code, amount, status, meaning == Meaning.PAID, paid_at, meaning, str(shape.get("name", ""))
    )
