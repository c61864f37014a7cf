from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
import uuid
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.test import Client
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.contributions.models import Bill, RuleSet
from rangkul.contributions.rules import rulebook_cache_clear
from rangkul.contributions.services import bill_issue
from rangkul.contributions.tests.factories import member
from rangkul.payments.gateways import SandboxStatusCheck
from rangkul.payments.models import Channel
from rangkul.registry.models import Occupation, Worker

CALLBACK_URL = "/api/v1/payments/callbacks/{channel}"

# Data migrations whose rows a transactional test's flush removes: run again, idempotently.
_SEED_MIGRATIONS = (
    "rangkul.registry.migrations.0002_seed_occupations",
    "rangkul.contributions.migrations.0002_load_rules_and_chart",
    "rangkul.payments.migrations.0002_load_channels",
)


def seed_reference_data() -> None:
    """Occupations, contribution rules and chart, payment channels: as after ``migrate``."""
    present = (Occupation.objects.exists(), RuleSet.objects.exists(), Channel.objects.exists())
    for module, loaded in zip(_SEED_MIGRATIONS, present, strict=True):
        if not loaded:
            importlib.import_module(module).load(apps, None)
    rulebook_cache_clear()


def billed_member(*, months: int = 1, **overrides: Any) -> tuple[Worker, Bill]:
    """A member registered today with an open bill (needs the ``regions`` fixture)."""
    today = timezone.localdate()
    worker = member(registered_on=today, **overrides)
    return worker, bill_issue(actor=Actor.system("test"), worker=worker, months=months, today=today)


def sandbox_body(
    bill: Bill | None = None,
    *,
    external_id: str | None = None,
    payment_code: str | None = None,
    amount_idr: int | None = None,
    status: str = "PAID",
    paid_at: dt.datetime | None = None,
) -> dict[str, Any]:
    return {
        "external_id": external_id or f"EXT-{uuid.uuid4().hex[:16]}",
        "payment_code": payment_code if payment_code is not None else (bill.payment_code if bill else ""),
        "amount_idr": amount_idr if amount_idr is not None else (bill.amount_idr if bill else 0),
        "status": status,
        "paid_at": (paid_at or timezone.now()).isoformat(),
    }


def post_callback(
    client: Client, body: Any, *, channel: str = "sandbox", token: str | None = None, raw: bytes | None = None
) -> Any:
    headers = {}
    if token is None:
        token = settings.SANDBOX_CALLBACK_TOKEN
    if token:
        headers["X-Callback-Token"] = token
    data = raw if raw is not None else json.dumps(body).encode()
    return client.post(
        CALLBACK_URL.format(channel=channel), data=data, content_type="application/json", headers=headers
    )


FIXTURES = Path(__file__).parent / "fixtures"


def gateway_fixture(name: str, **overrides: Any) -> dict[str, Any]:
    """A callback body as the gateway's public documentation shows it, with some fields replaced."""
    body: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    body.update(overrides)
    return body


def midtrans_sign(body: dict[str, Any], *, server_key: str) -> dict[str, Any]:
    """Sign as Midtrans does: SHA512(order_id + status_code + gross_amount + server key)."""
    payload = f"{body['order_id']}{body['status_code']}{body['gross_amount']}{server_key}"
    return {**body, "signature_key": hashlib.sha512(payload.encode()).hexdigest()}


def midtrans_gateway_knows(body: dict[str, Any]) -> None:
    """Tell the sandbox status check that Midtrans holds this transaction as the body says."""
    SandboxStatusCheck.remember("midtrans", str(body["order_id"]), body)


def midtrans_body(
    *, order_id: str, gross_amount: str, server_key: str, status: str = "settlement", known: bool = True
) -> dict[str, Any]:
    """A signed settlement notice (the documented bank-transfer sample) for this order and amount."""
    body = gateway_fixture(
        "midtrans_bank_transfer_settlement",
        transaction_id=str(uuid.uuid4()),
        order_id=order_id,
        gross_amount=gross_amount,
        transaction_status=status,
        transaction_time=timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
        settlement_time=timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
    )
    body = midtrans_sign(body, server_key=server_key)
    if known:
        midtrans_gateway_knows(body)
    return body
