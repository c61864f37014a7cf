"""Reads for retention: who keeps paying after enrolment. Counts only, for the analytics snapshot.

A member is "paying" in a month when a contribution for that month is paid (any program);
the cohort is the month of registration (Asia/Jakarta). Merged duplicate records are not members.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncMonth

from rangkul.contributions.models import ContributionMonth
from rangkul.core.periods import Period
from rangkul.registry.models import Worker, WorkerStatus


def _month(value: dt.datetime | dt.date) -> dt.date:
    return dt.date(value.year, value.month, 1)


def cohort_sizes() -> dict[dt.date, int]:
    """Members per month of registration."""
    rows = (
        Worker.objects.filter(status=WorkerStatus.ACTIVE)
        .annotate(cohort=TruncMonth("registered_at"))
        .values_list("cohort")
        .annotate(members=Count("pk"))
        .order_by()
    )
    return {_month(cohort): members for cohort, members in rows}


def cohort_paying_by_month() -> list[tuple[dt.date, Period, int]]:
    """(cohort month, contribution month, members of the cohort who paid for that month)."""
    rows = (
        ContributionMonth.objects.filter(worker__status=WorkerStatus.ACTIVE)
        .annotate(cohort=TruncMonth("worker__registered_at"))
        .values_list("cohort", "period")
        .annotate(members=Count("worker", distinct=True))
        .order_by()
    )
    return [(_month(cohort), period, members) for cohort, period, members in rows]


class FunnelGroup(NamedTuple):
    channel: str
    partner: str
    occupation: str
    registered: int
    paid_once: int
    paid_3: int
    paid_12: int


def lapse_funnel_groups() -> list[FunnelGroup]:
    """Members by registration channel, registering partner and occupation, with how many months each paid:
    at least one, at least three, at least twelve (distinct contribution months)."""
    paid_months = (
        ContributionMonth.objects.filter(worker=OuterRef("pk"))
        .order_by()
        .values("worker")
        .annotate(n=Count("period", distinct=True))
        .values("n")
    )
    rows = (
        Worker.objects.filter(status=WorkerStatus.ACTIVE)
        .annotate(paid=Coalesce(Subquery(paid_months, output_field=IntegerField()), 0))
        .values_list("channel", "registered_by_organisation", "occupation__code")
        .annotate(
            registered=Count("pk"),
            paid_once=Count("pk", filter=Q(paid__gte=1)),
            paid_3=Count("pk", filter=Q(paid__gte=3)),
            paid_12=Count("pk", filter=Q(paid__gte=12)),
        )
        .order_by()
    )
    return [FunnelGroup(*row) for row in rows]
