"""Opting out of non-essential messages: recorded from every path, read in bulk by senders."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from rangkul.messaging.models import OptOut, OptOutSource

# What a person may text back to stop campaign and reminder messages (case and spaces ignored).
STOP_WORDS = frozenset({"STOP", "BERHENTI", "UNREG", "UNSUBSCRIBE"})


@transaction.atomic
def optout_record(*, phone: str, source: str) -> OptOut:
    """Record that this number wants no campaign or reminder messages; idempotent."""
    if source not in OptOutSource.values:
        raise ValueError(f"unknown opt-out source {source!r}")
    optout, _created = OptOut.objects.get_or_create(
        phone=phone.strip(), defaults={"source": source, "created_at": timezone.now()}
    )
    return optout


@transaction.atomic
def optout_cancel(*, phone: str) -> int:
    """The person wants messages again (from the portal); returns the rows removed."""
    deleted, _detail = OptOut.objects.filter(phone=phone.strip()).delete()
    return deleted


def sms_inbound_handle(*, sender: str, body: str) -> bool:
    """An incoming text: ``STOP`` (or ``BERHENTI``) opts the number out. True when it did."""
    if " ".join(body.split()).upper() in STOP_WORDS:
        optout_record(phone=sender, source=OptOutSource.SMS_STOP)
        return True
    return False


def is_opted_out(phone: str) -> bool:
    return OptOut.objects.filter(phone=phone.strip()).exists()


def opted_out_phones(phones: Iterable[str]) -> set[str]:
    """Which of these numbers opted out, in one query."""
    wanted = sorted({p for p in phones if p})
    if not wanted:
        return set()
    return set(OptOut.objects.filter(phone__in=wanted).values_list("phone", flat=True))


def opted_out_numbers() -> QuerySet[OptOut, str]:
    """Every opted-out number, as a subquery for set-based selections."""
    return OptOut.objects.values_list("phone", flat=True)
