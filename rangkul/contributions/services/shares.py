"""Split payers: programs of a member-month a sponsor takes on, so the member's own bill leaves them out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef

from rangkul.audit.actors import Actor
from rangkul.contributions.models import ContributionMonth, MonthShare
from rangkul.core.periods import Period

SHARE_CHUNK = 5000


@dataclass(frozen=True)
class ShareItem:
    worker_id: int
    period: Period
    programs: tuple[str, ...]


@transaction.atomic
def month_shares_take(*, actor: Actor, source: str, payer_kind: str, items: Sequence[ShareItem]) -> int:
    """Record that ``source`` pays ``programs`` of each member-month; returns the rows written.

    One share per member-month (a unique constraint): the caller (the sponsorship's
    enrolment) has already refused a month another sponsor holds. The caller audits.
    """
    rows = [
        MonthShare(
            worker_id=item.worker_id,
            period=item.period,  # type: ignore[misc]  # PeriodField takes a Period
            programs=list(item.programs),
            payer_kind=payer_kind,
            source=source[:60],
        )
        for item in items
        if item.programs
    ]
    MonthShare.objects.bulk_create(rows, batch_size=SHARE_CHUNK)
    return len(rows)


@transaction.atomic
def month_shares_release(*, actor: Actor, source: str) -> int:
    """Give back to the members the months ``source`` took and has not paid (a sponsorship ended early).

    A month the sponsor paid any program of stays shared: the member owes only the rest.
    Returns the member-months released, which the members' own bills then carry whole.
    """
    sponsor_paid = ContributionMonth.objects.filter(worker_id=OuterRef("worker_id"), period=OuterRef("period")).exclude(
        payer_kind=""
    )
    released, _detail = MonthShare.objects.filter(source=source).exclude(Exists(sponsor_paid)).delete()
    return released


__all__ = ["ShareItem", "month_shares_release", "month_shares_take"]
