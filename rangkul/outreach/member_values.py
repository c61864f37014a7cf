"""What a campaign template's variables become for each member, a chunk of members at a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format

from rangkul.contributions.models import Bill, BillStatus, MemberStatus
from rangkul.contributions.selectors import month_total_idr
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period
from rangkul.outreach.optout_links import optout_url
from rangkul.outreach.templating import MemberValues
from rangkul.registry.models import Worker


def member_values(workers: Sequence[Worker], *, today: dt.date) -> dict[int, MemberValues]:
    """Name, this month's price, paid-through month, open payment code and link per member.

    Three queries per chunk whatever its size; prices are worked out once per income level,
    programme choice and sector. A value that does not exist (no open bill, never paid) is
    a dash, so a message never shows an empty gap or a made-up number.
    """
    ids = [w.pk for w in workers]
    period = Period.of(today)
    # PeriodField reads back as a Period (typed as a date by the model stubs).
    paid_through: dict[int, Period | None] = dict(
        MemberStatus.objects.filter(worker_id__in=ids).values_list("worker_id", "paid_through")  # type: ignore[arg-type]
    )
    codes: dict[int, str] = {}
    bills = (
        Bill.objects.filter(worker_id__in=ids, status=BillStatus.OPEN, expires_at__gt=timezone.now())
        .order_by("worker_id", "-created_at")
        .values_list("worker_id", "payment_code")
    )
    for worker_id, code in bills:
        codes.setdefault(worker_id, code)
    prices: dict[tuple[int, bool, str], str] = {}
    months: dict[Period, str] = {}
    link = settings.OUTREACH_LINK_URL
    values = {}
    with translation.override(settings.LANGUAGE_CODE):
        for worker in workers:
            sector = worker.occupation.sector if worker.occupation_id else ""
            key = (worker.declared_income_idr, worker.jht, sector)
            if key not in prices:
                amount = month_total_idr(
                    declared_income_idr=worker.declared_income_idr, jht=worker.jht, sector=sector, period=period
                )
                prices[key] = format_rupiah(amount) if amount is not None else "-"
            through = paid_through.get(worker.pk)
            if through is not None and through not in months:
                months[through] = date_format(through.first_day, "F Y")
            values[worker.pk] = MemberValues(
                name=worker.full_name,
                amount=prices[key],
                paid_through=months[through] if through is not None else "-",
                payment_code=codes.get(worker.pk, "-"),
                link=link,
                stop_link=optout_url(worker.pk),
            )
    return values
