"""The snapshot's set-based retention SQL gives what the per-member ORM queries gave, on any population."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from rangkul.analytics.sql import cohort_paying, funnel_groups, paid_months
from rangkul.contributions.models import ContributionMonth, JournalEntry
from rangkul.contributions.retention import cohort_paying_by_month, lapse_funnel_groups
from rangkul.contributions.tests.factories import member
from rangkul.core.periods import Period
from rangkul.registry.models import Occupation, Worker, WorkerStatus

POOL = 6
FIRST = Period(2025, 1)

# One member: record status, channel, registering partner, occupation, when registered (UTC, so that
# some fall on the last evening of a month in UTC and the first morning of the next in Jakarta), and
# the paid months as (months after January 2025, programs paid for it).
members = st.lists(
    st.tuples(
        st.sampled_from([WorkerStatus.ACTIVE, WorkerStatus.ACTIVE, WorkerStatus.MERGED]),
        st.sampled_from(["portal", "office", "api", "agent"]),
        st.sampled_from(["", "", "KOP-1", "OMS-2"]),
        st.sampled_from(["pedagang", "ojek_online"]),
        st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2026, 6, 30)),  # noqa: DTZ001
        st.dictionaries(
            st.integers(min_value=0, max_value=17),
            st.sampled_from([("JKK", "JKM"), ("JKK", "JKM", "JHT"), ("JHT",), ("JKK",)]),
            max_size=16,
        ),
    ),
    min_size=1,
    max_size=POOL,
)


@pytest.fixture
def pool(regions):
    Occupation.objects.get_or_create(code="ojek_online", defaults={"name": "Ojek online", "sector": "transport"})
    return [member() for _ in range(POOL)]


@given(population=members)
def test_the_grouped_pass_counts_what_the_per_member_queries_counted(pool, population):
    with transaction.atomic():
        entry = JournalEntry.objects.create(occurred_at=timezone.now(), kind="payment", reference="D")
        occupations = dict(Occupation.objects.values_list("code", "pk"))
        for worker, (status, channel, partner, occupation, registered, paid) in zip(pool, population, strict=False):
            Worker.objects.filter(pk=worker.pk).update(
                status=status,
                channel=channel,
                registered_by_organisation=partner,
                occupation_id=occupations[occupation],
                registered_at=registered.replace(tzinfo=dt.UTC),
            )
            ContributionMonth.objects.bulk_create(
                ContributionMonth(
                    worker=worker,
                    period=(FIRST + offset).first_day,
                    program=program,
                    amount_idr=10_000,
                    paid_at=timezone.now(),
                    covered_from=(FIRST + offset).first_day,
                    entry=entry,
                )
                for offset, programs in paid.items()
                for program in programs
            )
        for worker in pool[len(population) :]:
            Worker.objects.filter(pk=worker.pk).update(status=WorkerStatus.MERGED)

        with paid_months():
            assert sorted(funnel_groups()) == sorted(lapse_funnel_groups())
            assert sorted(cohort_paying()) == sorted(cohort_paying_by_month())
        transaction.set_rollback(True)
