"""Writes: callback intake, payments recorded exactly once, receipts and the exceptions queue.

Exactly once: a payment row is inserted with ``ON CONFLICT DO NOTHING`` and the database's
unique constraint on (channel, external reference) decides between racing deliveries; the
loser reads the winner's row and answers the same. Money moves only when that insert
succeeds, in the same transaction (allocation through contributions' ledger). See ADR 0013.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record, audit_record_many
from rangkul.core.bulk import insert_unless_conflict
from rangkul.core.errors import NotFound
from rangkul.core.money import format_rupiah
from rangkul.core.tasks import enqueue_on_commit
from rangkul.messaging.services import sms_queue
from rangkul.payments import contributions_port as port
from rangkul.payments.channels import (
    CallbackData,
    CallbackUnreadable,
    Meaning,
    callback_authentic,
    callback_parse,
)
from rangkul.payments.errors import PaymentErrorCode
from rangkul.payments.gateways import StatusUnavailable, status_check_for
from rangkul.payments.models import (
    CallbackEvent,
    CallbackOutcome,
    Channel,
    ChannelKind,
    ExceptionReason,
    Payment,
    PaymentException,
    PaymentSource,
    PaymentStatus,
    Receipt,
    ReceiptCounter,
)
from rangkul.payments.sql import receipt_counter_next, receipt_counter_take
from rangkul.registry.models import Worker

logger = logging.getLogger("rangkul.payments")

# Headers worth keeping as evidence. Authentication headers are kept only as "present".
_EVIDENCE_HEADERS = ("content-type", "user-agent", "x-forwarded-for", "webhook-id", "x-request-id")
_SECRET_HEADERS = ("x-callback-token", "authorization")
BODY_EVIDENCE_CAP = 16 * 1024
# Gateways stamp payments to the second, and their clocks and ours differ a little: a payment
# time this much before the bill was created is still taken as paid after it.
PAID_BEFORE_BILL_TOLERANCE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class CallbackAnswer:
    """What the gateway is told: an HTTP status and a JSON body."""

    status: int
    body: dict[str, Any]
    payment: Payment | None = None
    event: CallbackEvent | None = field(default=None, compare=False)


def _error(status: int, code: str, message: str, fields: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": dict(fields or {})}


def channel_get(code: str) -> Channel:
    channel = Channel.objects.filter(code=code, is_active=True).first()
    if channel is None or (channel.kind == ChannelKind.SANDBOX and not settings.PAYMENTS_SANDBOX_ENABLED):
        raise NotFound(_("Unknown payment channel."), code=PaymentErrorCode.UNKNOWN_CHANNEL)
    return channel


def _evidence_headers(headers: Mapping[str, str]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in _SECRET_HEADERS:
            kept[lower] = "present" if value else "empty"
        elif lower in _EVIDENCE_HEADERS:
            kept[lower] = str(value)[:200].replace("\x00", "\u2400")
    return kept


def callback_event_store(
    *,
    channel: Channel,
    headers: Mapping[str, str],
    body: bytes,
    remote_addr: str | None,
    outcome: str,
    http_status: int,
    external_reference: str = "",
    payment: Payment | None = None,
    truncated: bool = False,
) -> CallbackEvent:
    # Kept as received, except NUL (which no text column holds): written as the escape U+2400 "␀".
    text = body[:BODY_EVIDENCE_CAP].decode("utf-8", errors="replace").replace("\x00", "\u2400")
    return CallbackEvent.objects.create(
        channel=channel,
        received_at=timezone.now(),
        headers=_evidence_headers(headers),
        body=text,
        body_sha256=hashlib.sha256(body).hexdigest(),
        body_truncated=truncated or len(body) > BODY_EVIDENCE_CAP,
        remote_addr=remote_addr or None,
        external_reference=external_reference[:120],
        outcome=outcome,
        http_status=http_status,
        payment=payment,
    )


def _answer_for(payment: Payment, *, created: bool = False) -> dict[str, Any]:
    """The same answer for the first delivery and every duplicate: it depends on the payment only.

    A payment recorded by this request is held for review exactly when its status says so
    (no need to look for an exception row); a later delivery may find one resolved since.
    """
    under_review = payment.status == PaymentStatus.EXCEPTION or (not created and payment.exceptions.exists())
    if under_review:
        return {
            "received": True,
            "external_id": payment.external_reference,
            "result": "accepted_for_review",
            "message": "Payment received and held for review.",
        }
    return {"received": True, "external_id": payment.external_reference, "result": "recorded"}


def callback_receive(
    *, channel_code: str, headers: Mapping[str, str], body: bytes, remote_addr: str | None = None
) -> CallbackAnswer:
    """Authenticate, read, confirm and act on one gateway callback. Raises ``NotFound`` for an unknown channel.

    Every attempt is stored as evidence, whatever its fate. Money moves only for what the gateway
    vouches for: an authentic body whose signed fields agree with its unsigned ones, and, for a
    channel with a status check, a first "paid" notice the gateway confirms. The question to the
    gateway is asked outside any transaction (no lock is held while waiting for it).
    """
    channel = channel_get(channel_code)

    def refuse(
        status: int, outcome: str, code: str, message: str, fields: Mapping[str, list[str]] | None = None
    ) -> CallbackAnswer:
        """Keep the attempt as evidence and answer with the error; no money moves."""
        event = callback_event_store(
            channel=channel,
            headers=headers,
            body=body,
            remote_addr=remote_addr,
            outcome=outcome,
            http_status=status,
            truncated=status == 413,
        )
        return CallbackAnswer(status, _error(status, code, message, fields), event=event)

    limit = settings.PAYMENTS_CALLBACK_MAX_BYTES
    if len(body) > limit:
        message = _("The request body is larger than %(limit)s bytes.") % {"limit": limit}
        return refuse(413, CallbackOutcome.TOO_LARGE, "payload_too_large", message)
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):  # undecodable, not JSON, or an integer of thousands of digits
        data = None
    if not isinstance(data, dict):
        message = _("The request body is not a valid JSON object.")
        return refuse(400, CallbackOutcome.MALFORMED, "malformed_json", message)
    if not callback_authentic(channel, headers=headers, body=data):
        answer = refuse(
            401, CallbackOutcome.REJECTED, "invalid_signature", _("The callback token or signature is not valid.")
        )
        logger.warning("payment callback rejected channel=%s event=%s", channel.code, getattr(answer.event, "pk", None))
        return answer
    try:
        parsed = callback_parse(channel, data)
    except CallbackUnreadable as exc:
        if exc.code == PaymentErrorCode.UNSUPPORTED_CURRENCY:
            message = _("Only payments in rupiah (IDR) are accepted.")
            fields = {exc.field: [message]}
            return refuse(422, CallbackOutcome.MALFORMED, exc.code, message, fields)
        fields = {exc.field: [_("This field is missing or not valid.")]}
        return refuse(422, CallbackOutcome.MALFORMED, "validation_failed", _("Some fields are not valid."), fields)
    if parsed.meaning == Meaning.TAMPERED:
        return _tampered(refuse, channel)
    # A first paid notice, and a reversal of a recorded payment, act only once the gateway confirms
    # them. A paid notice on a channel without a status check needs no read here: the exactly-once
    # insert tells a first delivery from a repeat.
    needs_lookup = parsed.meaning != Meaning.PAID or status_check_for(channel) is not None
    existing = (
        Payment.objects.filter(channel=channel, external_reference=parsed.external_reference).first()
        if needs_lookup
        else None
    )
    if (parsed.meaning == Meaning.PAID and needs_lookup and existing is None) or (
        parsed.meaning == Meaning.REVERSAL and existing
    ):
        try:
            confirmed = gateway_confirms(channel, parsed)
        except StatusUnavailable as exc:
            logger.warning("payment status check unavailable channel=%s reason=%s", channel.code, exc)
            message = _("The payment could not be confirmed with the gateway yet. Please send it again later.")
            return refuse(503, CallbackOutcome.UNVERIFIED, "verification_unavailable", message)
        if not confirmed:
            return _tampered(refuse, channel)
    with transaction.atomic():
        if parsed.meaning == Meaning.REVERSAL and existing is not None:
            from rangkul.payments.reversals import reversal_receive  # reversals import services: avoid the cycle

            return reversal_receive(
                channel=channel, parsed=parsed, headers=headers, body=body, remote_addr=remote_addr, payment=existing
            )
        return _callback_act(
            channel=channel, parsed=parsed, headers=headers, body=body, remote_addr=remote_addr, existing=existing
        )


def _tampered(refuse: Any, channel: Channel) -> CallbackAnswer:
    answer: CallbackAnswer = refuse(
        401,
        CallbackOutcome.TAMPERED,
        "tampered_callback",
        _("The callback contradicts what the gateway vouches for. It has been kept for investigation."),
    )
    logger.warning("payment callback tampered channel=%s event=%s", channel.code, getattr(answer.event, "pk", None))
    return answer


def gateway_confirms(channel: Channel, parsed: CallbackData) -> bool:
    """True when the channel has no status check, or the gateway holds the transaction exactly as
    the callback says (same meaning and amount, read with the same channel rules).

    Raises ``StatusUnavailable`` when the gateway cannot be asked now.
    """
    check = status_check_for(channel)
    if check is None:
        return True
    answer = check(channel, reference=parsed.external_reference)
    if answer is None:
        return False
    try:
        held = callback_parse(channel, answer)
    except CallbackUnreadable:
        return False
    return (
        held.external_reference == parsed.external_reference
        and held.meaning == parsed.meaning
        and held.amount_idr == parsed.amount_idr
    )


def _callback_act(
    *,
    channel: Channel,
    parsed: CallbackData,
    headers: Mapping[str, str],
    body: bytes,
    remote_addr: str | None,
    existing: Payment | None,
) -> CallbackAnswer:
    if not parsed.paid:
        # Pending, expired, failed: no money arrived. A late "expired" after "paid" lands here
        # too and never touches the recorded payment.
        event = callback_event_store(
            channel=channel,
            headers=headers,
            body=body,
            remote_addr=remote_addr,
            outcome=CallbackOutcome.IGNORED,
            http_status=200,
            external_reference=parsed.external_reference,
            payment=existing,
        )
        return CallbackAnswer(
            200,
            {"received": True, "external_id": parsed.external_reference, "result": "no_money_moved"},
            payment=existing,
            event=event,
        )
    payment, created = payment_record(
        actor=Actor.system(f"channel {channel.code}"), channel=channel, data=parsed, source=PaymentSource.CALLBACK
    )
    if created:
        outcome = CallbackOutcome.EXCEPTION if payment.status == PaymentStatus.EXCEPTION else CallbackOutcome.RECORDED
    else:
        outcome = CallbackOutcome.DUPLICATE
    event = callback_event_store(
        channel=channel,
        headers=headers,
        body=body,
        remote_addr=remote_addr,
        outcome=outcome,
        http_status=200,
        external_reference=parsed.external_reference,
        payment=payment,
    )
    return CallbackAnswer(200, _answer_for(payment, created=created), payment=payment, event=event)


@transaction.atomic(savepoint=False)
def payment_record(*, actor: Actor, channel: Channel, data: CallbackData, source: str) -> tuple[Payment, bool]:
    """Record money once per (channel, external reference); allocate it or hold it for review.

    Returns ``(payment, created)``. A repeated delivery returns the first payment and moves no money.
    No savepoint of its own: any failure aborts the caller's transaction, which the caller never
    continues (the exactly-once insert below needs none either).
    """
    now = timezone.now()
    payment = Payment(
        channel=channel,
        external_reference=data.external_reference,
        payment_code=data.payment_code,
        amount_idr=data.amount_idr,
        paid_at=data.paid_at,
        recorded_at=now,
        source=source,
        status=PaymentStatus.EXCEPTION,
    )
    if not _payment_insert(payment):
        return Payment.objects.get(channel=channel, external_reference=data.external_reference), False

    bill = port.bill_for_code_locked(data.payment_code)
    # No bill: perhaps a member's standing code (ADR 0047), which takes any amount like a fixed account.
    member = port.member_for_code(data.payment_code, lock=True) if bill is None else None
    reason, detail, whole = _exception_reason(bill, data, standing=member is not None)
    audit: list[dict[str, Any]] = []
    owner = bill.worker if bill is not None else member  # a group bill has none
    if reason is None and (bill is not None or member is not None):
        if owner is not None:
            # A member's own bill (to the rupiah) or standing code (any amount): the member's allocation.
            allocation = port.payment_allocate(
                actor=actor,
                worker=owner,
                amount_idr=data.amount_idr,
                payment_reference=data.external_reference,
                channel=channel.code,
                paid_at=data.paid_at,
                bill=bill,
                member_locked=True,  # locked with the bill or the code's member
                first_delivery=True,  # this request inserted the payment
                audit=audit,
            )
            entry_id: int | None = allocation.entry_id
        elif bill is not None and whole:
            # A group bill (partner or sponsor) paid whole: each member gets the sum of their own lines.
            shares = port.group_bill_pay(
                actor=actor,
                bill=bill,
                amount_idr=data.amount_idr,
                payment_reference=data.external_reference,
                channel=channel.code,
                paid_at=data.paid_at,
            )
            entry_id = shares[0].entry_id if shares else None
        elif bill is not None:
            # A group bill paid in part (ADR 0030): whole shares in the bill's order, the rest kept
            # on the bill for its next payment. Idempotent per (channel, reference) like the rest.
            entry_id = port.group_bill_pay_part(
                actor=actor,
                bill=bill,
                amount_idr=data.amount_idr,
                payment_reference=data.external_reference,
                channel=channel.code,
                paid_at=data.paid_at,
            ).entry_id
        payment.status = PaymentStatus.ALLOCATED
        payment.bill = bill
        payment.worker = owner
        payment.journal_entry_id = entry_id
        payment.save(update_fields=["status", "bill", "worker", "journal_entry_id"])
        _receipt_task_enqueue(payment.pk)
    else:
        payment.bill = bill
        if reason != ExceptionReason.OVER_CEILING:
            payment.journal_entry_id = _suspense_park(actor=actor, payment=payment)
        # Above the ceiling the amount is not trusted enough to enter any ledger total: the
        # exception row keeps it in view until two people confirm it (``exception_approve``).
        payment.save(update_fields=["bill", "journal_entry_id"])
        PaymentException.objects.create(
            payment=payment, reason=reason or ExceptionReason.UNKNOWN_CODE, detail=detail[:255], created_at=now
        )
        logger.info("payment held for review channel=%s reason=%s", channel.code, reason)
    audit.append(
        {
            "actor": actor,
            "action": "payments.payment_recorded",
            "subject": payment,
            "after": {
                "channel": channel.code,
                "external_reference": payment.external_reference,
                "payment_code": payment.payment_code,
                "amount_idr": payment.amount_idr,
                "status": payment.status,
                "source": source,
            },
        }
    )
    audit_record_many(audit)
    return payment, True


def _payment_insert(payment: Payment) -> bool:
    """The exactly-once gate: ``INSERT … ON CONFLICT (channel, external reference) DO NOTHING
    RETURNING id``. True (and the pk set) when this call inserted the row.

    The unique constraint decides between racing deliveries: PostgreSQL makes the second
    insert wait for the first transaction and then do nothing if it committed (or insert, if
    it rolled back). No savepoint is needed, since a conflict is not an error.
    """
    return insert_unless_conflict(payment, conflict=["channel", "external_reference"])


def _suspense_park(*, actor: Actor, payment: Payment) -> int:
    return port.suspense_post(
        actor=actor,
        channel=payment.channel.code,
        reference=payment.external_reference,
        amount_idr=payment.amount_idr,
        occurred_at=payment.paid_at,
    )


def _exception_reason(
    bill: port.Bill | None, data: CallbackData, *, standing: bool = False
) -> tuple[str | None, str, bool]:
    """Why a payment goes to review (None when it can be allocated), a detail, and whether it pays the bill whole.

    A member's bill must be paid to the rupiah. A group bill may be paid in part: up to what it
    still owes, the money pays whole shares in the bill's order; more than that goes to review.
    A member's standing code (``standing``) takes any amount up to the ceiling.
    """
    ceiling = settings.PAYMENTS_PAYMENT_CEILING_IDR
    if data.amount_idr > ceiling:
        return ExceptionReason.OVER_CEILING, f"paid {data.amount_idr}, ceiling {ceiling}", False
    if standing:
        return None, "", False
    if bill is None:
        return ExceptionReason.UNKNOWN_CODE, "", False
    if data.paid_at < bill.created_at - PAID_BEFORE_BILL_TOLERANCE:
        return ExceptionReason.PAID_BEFORE_BILL, f"bill created {bill.created_at.isoformat()}", False
    whole = data.amount_idr == bill.amount_idr
    if bill.worker_id is None and (not whole or port.group_bill_part_started(bill=bill)):
        whole = False
        outstanding = port.group_bill_outstanding(bill=bill) if bill.status == port.BillStatus.OPEN else 0
        if data.amount_idr > outstanding and bill.status == port.BillStatus.OPEN:
            return ExceptionReason.AMOUNT_MISMATCH, f"group bill owes {outstanding}, paid {data.amount_idr}", False
    elif not whole:
        return ExceptionReason.AMOUNT_MISMATCH, f"bill {bill.amount_idr}, paid {data.amount_idr}", False
    if bill.status != port.BillStatus.OPEN:
        return ExceptionReason.BILL_NOT_OPEN, f"bill {bill.status}", False
    if bill.expires_at < data.paid_at:
        return ExceptionReason.BILL_EXPIRED, f"expired {bill.expires_at.isoformat()}", False
    return None, "", whole


def _receipt_task_enqueue(payment_id: int) -> None:
    """Queue the receipt with the payment's transaction (in it when tasks live in the database)."""
    from rangkul.payments.tasks import payment_receipt_issue  # tasks import services: avoid the cycle

    enqueue_on_commit(payment_receipt_issue, payment_id=payment_id)


# --- receipts -------------------------------------------------------------------------------


def receipt_numbers_next(year: int, count: int) -> list[str]:
    """``count`` consecutive numbers of the year in one statement (the counter row stays locked)."""
    if count <= 0:
        return []
    last = receipt_counter_take(year, count)
    if last is None:
        first = int(_receipt_number_next(year).rsplit("-", 1)[1])  # creates the year's counter
        last = receipt_counter_take(year, count - 1) if count > 1 else first
        assert last is not None  # noqa: S101 — the counter exists now
    return [f"RK-{year}-{number:08d}" for number in range(last - count + 1, last + 1)]


def _receipt_number_next(year: int) -> str:
    """The next number of the year; the counter row stays locked until the transaction ends."""
    number = receipt_counter_next(year)
    if number is None:
        try:
            with transaction.atomic():
                ReceiptCounter.objects.create(year=year, last_number=1)
            number = 1
        except IntegrityError:  # the year's first receipt, numbered concurrently
            number = receipt_counter_next(year)
    assert number is not None  # noqa: S101 — the year's counter exists by now
    return f"RK-{year}-{number:08d}"


@transaction.atomic
def receipt_issue(*, payment_id: int) -> Receipt | None:
    """The payment's receipt, numbered once; None while the payment is not allocated to a member."""
    payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
    if payment is None or payment.status != PaymentStatus.ALLOCATED:
        return None
    existing = Receipt.objects.filter(payment=payment).first()
    if existing is not None:
        return existing
    return receipt_issue_new(payment=payment)


def receipt_issue_new(*, payment: Payment, audit: list[dict[str, Any]] | None = None) -> Receipt:
    """Number the receipt of an allocated payment this transaction has just inserted (so no other
    can have numbered it). ``audit`` collects the audit row for the caller to write with its own."""
    now = timezone.now()
    receipt = Receipt.objects.create(
        number=_receipt_number_next(timezone.localdate(now).year), payment=payment, issued_at=now
    )
    entry: dict[str, Any] = {
        "actor": Actor.system("system"),
        "action": "payments.receipt_issued",
        "subject": receipt,
        "after": {"number": receipt.number},
    }
    if audit is None:
        audit_record(**entry)
    else:
        audit.append(entry)
    return receipt


def receipt_text(receipt: Receipt, worker: Worker) -> str:
    # Members read SMS in Indonesian whatever language the task runs in.
    with translation.override("id"):
        return _(
            "Rangkul: payment of %(amount)s received for membership %(number)s. Receipt %(receipt)s. Thank you."
        ) % {
            "amount": format_rupiah(receipt.payment.amount_idr),
            "number": worker.membership_number,
            "receipt": receipt.number,
        }


@transaction.atomic
def receipt_notify(*, receipt: Receipt) -> bool:
    """Text the member once about the receipt (sent after commit through the messaging layer)."""
    claimed = Receipt.objects.filter(pk=receipt.pk, notified_at__isnull=True).update(notified_at=timezone.now())
    worker = receipt.payment.worker
    if not claimed or worker is None:
        return False
    sms_queue(to=worker.phone, body=receipt_text(receipt, worker), purpose="receipt")
    return True


# --- exceptions queue (maker–checker) -------------------------------------------------------
