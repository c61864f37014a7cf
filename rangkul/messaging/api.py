"""Inbound text messages: ``POST /api/v1/sms/inbound/{provider}`` (authenticated per provider, not by API key)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from rangkul.core.api_errors import ErrorOut
from rangkul.core.errors import ApplicationError
from rangkul.messaging.errors import MessagingErrorCode
from rangkul.messaging.inbound import inbound_receive

router = Router(tags=["messaging"])


class InboundMessageOut(Schema):
    id: str
    keyword: str
    answer: str


class InboundOut(Schema):
    messages: list[InboundMessageOut]


class BodyTooLarge(ApplicationError):
    status = 413
    default_code = MessagingErrorCode.TOO_LARGE


# The real request, which ninja cannot infer: the view reads the raw body (a signature covers the
# bytes the provider sent) and each provider sends its own shape.
INBOUND_REQUEST: dict[str, Any] = {
    "parameters": [
        {
            "in": "path",
            "name": "provider",
            "required": True,
            "schema": {"type": "string", "examples": ["sandbox", "whatsapp"]},
            "description": "The provider's code; an unknown or disabled provider is a 404.",
        },
        {
            "in": "header",
            "name": "X-Callback-Token",
            "required": False,
            "schema": {"type": "string"},
            "description": "`sandbox`: the sandbox's shared token (the payments sandbox's token).",
        },
        {
            "in": "header",
            "name": "X-Hub-Signature-256",
            "required": False,
            "schema": {"type": "string"},
            "description": "`whatsapp`: `sha256=` and the HMAC-SHA256 of the raw body with the app secret.",
        },
    ],
    "requestBody": {
        "required": True,
        "description": "The provider's JSON notification, at most `RANGKUL_SMS_INBOUND_MAX_BYTES` bytes.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "sandbox: `{from, text[, id]}`; whatsapp: the Cloud API webhook body "
                    "(`entry[].changes[].value.messages[]`).",
                },
                "examples": {"sandbox": {"value": {"id": "sbx-0001", "from": "081234567890", "text": "CEK"}}},
            }
        },
    },
}


@router.post(
    "/inbound/{provider}",
    auth=None,
    openapi_extra=INBOUND_REQUEST,
    response={200: InboundOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut},
    summary="Receive text messages sent to Rangkul's number",
    description=(
        "Keywords (case-insensitive): `CEK` (status and paid-through month), `BAYAR n` (a payment code for "
        "n months with the amount), `DAFTAR` (how to register, the nearest agent), `BERHENTI`/`STOP` (no more "
        "reminders or campaigns), `MULAI`/`START` (messages again); anything else gets a short help text. "
        "The sender is known by the verified mobile number; a number shared by several members gets a "
        "numbered list and `CEK 2` / `BAYAR 3 2` picks. Each answer is queued as an SMS and returned here. "
        "Idempotent: a message is answered once per provider and message id; a repeat gets the same answer "
        "and sends nothing. Authenticated per provider: `sandbox` with `X-Callback-Token` and body "
        "`{from, text[, id]}`; `whatsapp` with `X-Hub-Signature-256` over the Cloud API webhook body."
    ),
)
def inbound(request: HttpRequest, provider: str) -> dict[str, Any]:
    limit = settings.SMS_INBOUND_MAX_BYTES
    # Read at most one byte over the limit: an oversized body is refused without buffering it all.
    body = request.read(limit + 1)
    if len(body) > limit:
        raise BodyTooLarge(_("The request body is too large."))
    results = inbound_receive(provider=provider, headers=dict(request.headers.items()), body=body)
    return {"messages": [{"id": r.id, "keyword": r.keyword, "answer": r.answer} for r in results]}
