from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.claims.models import JhtDeclaredRate
from rangkul.claims.services import ClaimantIn, claim_file
from rangkul.contributions.services import payment_allocate
from rangkul.contributions.tests.factories import at, member
from rangkul.registry.models import Worker
from rangkul.registry.tests.factories import heir_input

SPOUSE = "Siti Aminah"


def insured(
    *, paid_on: dt.date = dt.date(2026, 1, 5), months: int = 12, heirs: bool = True, **overrides: Any
) -> Worker:
    """A member registered on ``paid_on`` who paid ``months`` months (JKK+JKM, or JHT too) that day."""
    if heirs:
        overrides.setdefault(
            "heirs",
            [
                heir_input(full_name=SPOUSE, relationship="spouse"),
                heir_input(full_name="Pak Darto", relationship="parent"),
            ],
        )
    worker = member(registered_on=paid_on, **overrides)
    monthly = 36_800 if worker.jht else 16_800
    # Discounted months (PP 50/2025) cost less: pay generously, the rest stays as credit.
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=monthly * months,
        payment_reference=f"P-{worker.pk}-{paid_on}",
        channel="sandbox",
        paid_at=at(paid_on),
    )
    return worker


def file(worker: Worker, **overrides: Any):
    claimant = overrides.pop(
        "claimant",
        ClaimantIn(
            full_name=SPOUSE,
            relationship="spouse",
            phone="+6281299990000",
            bank_code="BRI",
            bank_account_number="1234567890",
        ),
    )
    values: dict[str, Any] = {
        "program": "JKM",
        "event": "death",
        "event_date": dt.date(2026, 3, 10),
        "channel": "office",
    }
    values.update(overrides)
    return claim_file(actor=Actor.system("test"), worker=worker, claimant=claimant, **values)


def declared_jht_rates(*years: int, rate: str = "0.05") -> None:
    """The agency's declared JHT returns for ``years`` (as ``load_jht_rates`` stores them)."""
    for year in years:
        JhtDeclaredRate.objects.update_or_create(
            year=year,
            defaults={
                "rate": Decimal(rate),
                "citation": f"Declared JHT return {year} (test)",
                "loaded_at": timezone.now(),
            },
        )
