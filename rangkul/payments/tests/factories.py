from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
import uuid
from typing import Any

from django.apps import apps
from django.conf import settings
from django.test import Client
from django.utils import timezone

from rangkul.contributions.models import Bill, RuleSet
from rangkul.contributions.rules import rulebook_cache_clear
from rangkul.contributions.services import bill_issue
from rangkul.contributions.tests.factories import member
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
    return worker, bill_issue(actor="test", worker=worker, months=months, today=today)


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


def midtrans_body(*, order_id: str, gross_amount: str, server_key: str, status: str = "settlement") -> dict[str, Any]:
    status_code = "200"
    signature = hashlib.sha512(f"{order_id}{status_code}{gross_amount}{server_key}".encode()).hexdigest()
    return {
        "transaction_id": str(uuid.uuid4()),
        "order_id": order_id,
        "status_code": status_code,
        "gross_amount": gross_amount,
        "transaction_status": status,
        "settlement_time": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
        "signature_key": signature,
    }
