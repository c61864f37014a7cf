"""Payment API: gateway callbacks (authenticated per channel, not by API key) and a member's payments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router, Schema

from rangkul.accounts.api_auth import KEY_OR_SESSION
from rangkul.core.api_errors import ErrorOut
from rangkul.payments.selectors import payments_for_worker
from rangkul.payments.services import callback_receive
from rangkul.registry.models import Worker
from rangkul.registry.selectors import worker_get_for_api_key, worker_get_for_user

router = Router(tags=["payments"])
member_router = Router(tags=["payments"])


class CallbackOut(Schema):
    received: bool
    external_id: str
    result: str


# The callback's real request, which ninja cannot infer: the view reads the raw body itself (so the
# signature is checked over the bytes the gateway sent) and each channel sends its own shape.
CALLBACK_REQUEST: dict[str, Any] = {
    "parameters": [
        {
            "in": "path",
            "name": "channel",
            "required": True,
            "schema": {"type": "string", "examples": ["sandbox", "xendit", "midtrans"]},
            "description": "The channel's code; an unknown or disabled channel is a 404.",
        },
        {
            "in": "header",
            "name": "X-Callback-Token",
            "required": False,
            "schema": {"type": "string"},
            "description": "The channel's shared token (`sandbox`, `xendit`); `midtrans` signs the body instead.",
        },
    ],
    "requestBody": {
        "required": True,
        "description": "The gateway's JSON notification, at most `RANGKUL_PAYMENTS_CALLBACK_MAX_BYTES` bytes.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Fields by channel: sandbox `external_id, payment_code, amount_idr, status, "
                    "paid_at`; xendit `id, payment_code, amount, status, transaction_timestamp`; midtrans "
                    "`order_id, status_code, gross_amount, signature_key, transaction_status, transaction_id`.",
                },
                "examples": {
                    "sandbox": {
                        "value": {
                            "external_id": "sbx-0001",
                            "payment_code": "8800123456789012",
                            "amount_idr": 16800,
                            "status": "PAID",
                            "paid_at": "2026-03-01T10:00:00+07:00",
                        }
                    }
                },
            }
        },
    },
}


@router.post(
    "/callbacks/{channel}",
    auth=None,
    openapi_extra=CALLBACK_REQUEST,
    response={
        200: CallbackOut,
        400: ErrorOut,
        401: ErrorOut,
        404: ErrorOut,
        413: ErrorOut,
        422: ErrorOut,
        503: ErrorOut,
    },
    summary="Receive a payment gateway callback",
    description=(
        "Authenticated per channel: a shared token header (`X-Callback-Token` for `sandbox`) or a SHA-512 "
        "body signature. Idempotent: a payment is recorded once per channel and `external_id`; every "
        "repeat gets the same 200 answer. An unknown payment code or an amount different from the bill "
        "is accepted for review (`result: accepted_for_review`), never guessed. A status other than paid "
        "moves no money (200, `result: no_money_moved`). Money moves only on what the gateway vouches for: "
        "a body whose unsigned fields contradict its signed ones (Midtrans: a paid status without "
        "`status_code` 200) is refused with 401 `tampered_callback` and kept; a first paid notice on a "
        "channel with a status-check API is confirmed with the gateway (503 `verification_unavailable` "
        "when it cannot be asked: send it again later). Impossible values (amounts that are infinite, "
        "NaN or out of range, impossible dates, NUL characters) and currencies other than IDR get 422 "
        "in the error shape; the raw event is always stored. "
        "Sandbox body: `{external_id, payment_code, amount_idr, status: PAID, paid_at}`."
    ),
)
def callback(request: HttpRequest, channel: str) -> HttpResponse:
    limit = settings.PAYMENTS_CALLBACK_MAX_BYTES
    # Read at most one byte over the limit: an oversized body is refused without buffering it all.
    body = request.read(limit + 1)
    headers = dict(request.headers.items())
    answer = callback_receive(
        channel_code=channel, headers=headers, body=body, remote_addr=request.META.get("REMOTE_ADDR")
    )
    return JsonResponse(answer.body, status=answer.status)


class PaymentOut(Schema):
    external_id: str
    channel: str
    payment_code: str
    amount_idr: int
    paid_at: dt.datetime
    status: str
    receipt_number: str | None


def _worker_for(request: HttpRequest, membership_number: str) -> Worker:
    api_key = getattr(request, "api_key", None)
    if api_key is not None:
        return worker_get_for_api_key(api_key=api_key, membership_number=membership_number)
    return worker_get_for_user(user=request.user, membership_number=membership_number)


@member_router.get(
    "/workers/{membership_number}/payments",
    auth=KEY_OR_SESSION,
    response={200: list[PaymentOut], 404: ErrorOut},
    summary="A member's payments, newest first, with receipt numbers",
)
def worker_payments(request: HttpRequest, membership_number: str) -> list[dict[str, Any]]:
    worker = _worker_for(request, membership_number)
    rows = []
    for payment in payments_for_worker(worker_id=worker.pk)[:200]:
        receipt = getattr(payment, "receipt", None)
        rows.append(
            {
                "external_id": payment.external_reference,
                "channel": payment.channel.code,
                "payment_code": payment.payment_code,
                "amount_idr": payment.amount_idr,
                "paid_at": payment.paid_at,
                "status": payment.status,
                "receipt_number": receipt.number if receipt else None,
            }
        )
    return rows
