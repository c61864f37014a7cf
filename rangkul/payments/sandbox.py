"""The sandbox channel: a pretend minimarket or bank for demonstrations and tests.

Paying here builds the callback exactly as a gateway sends it (the contract's header
and body) and hands it to the same intake service as the HTTP endpoint, so the token
check, exactly-once recording, allocation and receipt all run for real.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.core.errors import NotFound
from rangkul.payments import contributions_port as port
from rangkul.payments.errors import PaymentErrorCode
from rangkul.payments.models import Channel, Payment
from rangkul.payments.services import CallbackAnswer, callback_receive

SANDBOX = "sandbox"
PLACES = {"minimarket": "MM", "bank": "BANK"}


@dataclass(frozen=True)
class ToPay:
    """What a sandbox cashier asks for a code: a bill's amount, or one month on a member's standing code."""

    payment_code: str
    amount_idr: int
    expires_at: dt.datetime | None  # a standing code never expires


def sandbox_bill(payment_code: str) -> ToPay:
    """What a sandbox cashier would ask for this code: the open bill, or a member's month due (ADR 0047)."""
    code = payment_code.replace(" ", "").strip()
    bill = port.bill_open_for_code(code)
    if bill is not None:
        return ToPay(bill.payment_code, bill.amount_idr, bill.expires_at)
    member = port.member_for_code(code)
    if member is not None:
        amount = port.month_due(worker=member)
        if amount > 0:
            return ToPay(code, amount, None)
        raise NotFound(
            _("Nothing is owed on this code now: the member's months are paid as far ahead as the rules allow."),
            code=PaymentErrorCode.UNKNOWN_PAYMENT_CODE,
            fields={"payment_code": [_("Nothing is owed on this code now.")]},
        )
    raise NotFound(
        _("No bill is waiting for this payment code. Check the code, or ask for a new one."),
        code=PaymentErrorCode.UNKNOWN_PAYMENT_CODE,
        fields={"payment_code": [_("No bill is waiting for this payment code.")]},
    )


def sandbox_callback(
    *, payment_code: str, amount_idr: int, place: str, paid_at: dt.datetime | None = None
) -> tuple[dict[str, str], bytes]:
    """Headers and body exactly as the sandbox gateway sends them (ARCHITECTURE.md, public contract)."""
    external_id = f"SBX-{PLACES.get(place, 'MM')}-{uuid.uuid4().hex[:20].upper()}"
    body = {
        "external_id": external_id,
        "payment_code": payment_code,
        "amount_idr": amount_idr,
        "status": "PAID",
        "paid_at": (paid_at or timezone.now()).isoformat(),
    }
    headers = {"Content-Type": "application/json", "X-Callback-Token": settings.SANDBOX_CALLBACK_TOKEN}
    return headers, json.dumps(body).encode()


def sandbox_pay(*, payment_code: str, place: str) -> CallbackAnswer:
    bill = sandbox_bill(payment_code)
    headers, body = sandbox_callback(payment_code=bill.payment_code, amount_idr=bill.amount_idr, place=place)
    return callback_receive(channel_code=SANDBOX, headers=headers, body=body, remote_addr=None)


def sandbox_settlement_write(*, day: dt.date, out: Path) -> int:
    """Write the sandbox channel's settlement file for one (Jakarta) day; returns the line count."""
    channel = Channel.objects.get(code=SANDBOX)
    columns = channel.settlement_layout["columns"]
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    payments = Payment.objects.filter(
        channel=channel, paid_at__gte=start, paid_at__lt=start + dt.timedelta(days=1)
    ).order_by("paid_at", "pk")
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=channel.settlement_layout.get("delimiter", ","))
        writer.writerow(
            [columns["external_reference"], columns["payment_code"], columns["amount_idr"], columns["paid_at"]]
        )
        for payment in payments.iterator():
            writer.writerow(
                [payment.external_reference, payment.payment_code, payment.amount_idr, payment.paid_at.isoformat()]
            )
            count += 1
    return count
