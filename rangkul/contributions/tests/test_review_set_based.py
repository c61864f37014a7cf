"""The set-based daily review stores exactly what refreshing each member one by one stores."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rangkul.audit.actors import Actor
from rangkul.contributions.models import MemberStatus, MemberStatusChange, RuleSet
from rangkul.contributions.rules import RULES_DIR, rules_load
from rangkul.contributions.schedule import Status
from rangkul.contributions.services import member_status_refresh, member_statuses_review, payment_allocate
from rangkul.contributions.services import status as services
from rangkul.contributions.tests.factories import at, member
from rangkul.registry.models import Worker

pytestmark = pytest.mark.django_db

MONTH_IDR = 16_800  # one month for the factory's member (non-transport, default income)
START = dt.date(2026, 1, 1)
COLUMNS = ("status", "since", "paid_through", "arrears_months", "pay_arrears_by", "next_review_on")


def _stored(worker_ids: list[int]) -> tuple[dict[int, tuple[Any, ...]], set[tuple[int, str, dt.date]]]:
    statuses = {
        row[0]: row[1:]
        for row in MemberStatus.objects.filter(worker_id__in=worker_ids).values_list("worker_id", *COLUMNS)
    }
    history = set(
        MemberStatusChange.objects.filter(worker_id__in=worker_ids).values_list("worker_id", "status", "since")
    )
    return statuses, history


def _review_counting_simulations(monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> tuple[dict[str, int], int]:
    """Run the review; also count the members it simulated one by one (the exact path)."""
    calls = []
    original = services._status_fields

    def counting(**fields_kwargs: Any) -> Any:
        calls.append(1)
        return original(**fields_kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(services, "_status_fields", counting)
        summary = member_statuses_review(**kwargs)
    return summary, len(calls)


def _review_and_refresh_agree(
    monkeypatch: pytest.MonkeyPatch, workers: list[Worker], day: dt.date, *, force_due: bool, batch_size: int
) -> tuple[int, int]:
    """Review ``day``; assert it stored what a refresh of each due member stores.

    Returns how many members were due and how many of them the review simulated one by one.
    """
    ids = [w.pk for w in workers]
    if force_due:
        # Everyone due, as on the busiest day of the month and in the benchmark.
        MemberStatus.objects.filter(worker_id__in=ids).update(next_review_on=day)
    due = list(
        MemberStatus.objects.filter(worker_id__in=ids, next_review_on__lte=day).values_list("worker_id", flat=True)
    )
    with transaction.atomic():
        for worker in workers:
            if worker.pk in due:
                member_status_refresh(worker=worker, today=day)
        expected = _stored(due)
        transaction.set_rollback(True)
    summary, simulated = _review_counting_simulations(monkeypatch, today=day, batch_size=batch_size)
    assert _stored(due) == expected
    assert summary["reviewed"] >= len(due)
    return len(due), simulated


payment = st.tuples(
    st.integers(0, 75),  # days after the previous payment (or registration)
    st.integers(1, 4),  # months paid
    st.sampled_from([0, 0, 0, 5_000, -3_000]),  # a little more (credit kept) or less (credit used later)
    st.integers(7, 20),  # hour of the day
)
history = st.tuples(st.integers(0, 45), st.lists(payment, min_size=1, max_size=6))


def _check_review_against_refresh(
    monkeypatch: pytest.MonkeyPatch,
    histories: list[Any],
    review_offsets: list[int],
    *,
    force_due: bool,
    payments_first: bool,
    batch_size: int,
) -> tuple[int, int]:
    """Members with these histories; at each review day the review stores what refreshing
    each due member stores. Everything is rolled back. Returns (members due, simulated)."""
    with transaction.atomic():
        workers: list[Worker] = []
        events: list[tuple[dt.date, int, Any]] = []
        for index, (registered_after, payments) in enumerate(histories):
            registered = START + dt.timedelta(days=registered_after)
            worker = member(registered_on=registered)
            workers.append(worker)
            day = registered
            for number, (gap, months, extra, hour) in enumerate(payments):
                day += dt.timedelta(days=gap)
                amount = max(MONTH_IDR * months + extra, 1)
                events.append((day, 0, (worker, amount, f"P{index}-{number}", hour)))
        days = sorted(START + dt.timedelta(days=offset) for offset in review_offsets)
        if payments_first:
            # Payments recorded before the reviews run, some dated after a review day.
            for day, _kind, (worker, amount, reference, hour) in sorted(events, key=lambda e: (e[0], e[2][2])):
                _pay(worker, amount, reference, at(day, hour=hour))
            events = []
        events += [(day, 1, None) for day in days]
        due = simulated = 0
        for day, kind, item in sorted(events, key=lambda e: (e[0], e[1], e[2][2] if e[2] else "")):
            if kind == 0:
                worker, amount, reference, hour = item
                _pay(worker, amount, reference, at(day, hour=hour))
            else:
                counts = _review_and_refresh_agree(
                    monkeypatch, workers, day, force_due=force_due, batch_size=batch_size
                )
                due, simulated = due + counts[0], simulated + counts[1]
        transaction.set_rollback(True)
    return due, simulated


def _pay(worker: Worker, amount: int, reference: str, paid_at: dt.datetime) -> None:
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=amount,
        payment_reference=reference,
        channel="sandbox",
        paid_at=paid_at,
    )


reviews = {
    "histories": st.lists(history, min_size=1, max_size=4),
    "review_offsets": st.lists(st.integers(1, 420), min_size=1, max_size=4, unique=True),
    "force_due": st.booleans(),
    "payments_first": st.booleans(),
    "batch_size": st.sampled_from([1, 2, 1000]),
}
hypothesis_settings = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@hypothesis_settings
@given(**reviews)
def test_set_based_review_equals_refreshing_each_member(regions, monkeypatch, **review):
    due, simulated = _check_review_against_refresh(monkeypatch, **review)
    event(f"members due: {'none' if not due else 'some'}; set-based: {'none' if simulated >= due else 'some'}")


def _extra_rule_version(tmp_path: Path, **changes: Any) -> None:
    """Load a second rule version from July 2026, the current file with ``changes``."""
    text = (RULES_DIR / "bpu-2024-01.toml").read_text()
    text = text.replace('version = "BPU-2024-01"', 'version = "TEST-2026-07"')
    text = text.replace("effective_from = 2024-01-01", "effective_from = 2026-07-01")
    for name, value in changes.items():
        text, count = re.subn(rf"^{name} = .*$", f"{name} = {value}", text, flags=re.MULTILINE)
        assert count == 1
    path = tmp_path / "test-2026-07.toml"
    path.write_text(text)
    rules_load(paths=[path])


@hypothesis_settings
@given(**reviews)
def test_a_later_due_day_from_july_is_followed(regions, monkeypatch, tmp_path_factory, **review):
    # Due dates come from each month's rule version: the shared outcomes are worked out with them.
    if not RuleSet.objects.filter(version="TEST-2026-07").exists():
        _extra_rule_version(tmp_path_factory.mktemp("rules"), due_day=25)
    due, simulated = _check_review_against_refresh(monkeypatch, **review)
    event(f"members due: {'none' if not due else 'some'}; set-based: {'none' if simulated >= due else 'some'}")


def test_a_lapse_limit_that_changes_between_versions_means_everyone_is_simulated(regions, monkeypatch, tmp_path):
    _extra_rule_version(tmp_path, lapse_after_unpaid_months=2)
    histories = [(0, [(5, 1, 0, 10), (40, 2, 0, 10)]), (3, [(2, 3, 0, 9)]), (10, [(1, 1, 0, 12), (100, 1, 0, 12)])]
    due, simulated = _check_review_against_refresh(
        monkeypatch, histories, [150, 200, 260], force_due=True, payments_first=False, batch_size=2
    )
    assert due > 0
    assert simulated == due


def _regular_payers(count: int, months: int) -> list[Worker]:
    workers = []
    for index in range(count):
        worker = member(registered_on=dt.date(2026, 1, 2))
        for month in range(months):
            payment_allocate(
                actor=Actor.system("test"),
                worker=worker,
                amount_idr=MONTH_IDR * (1 + index % 2),
                payment_reference=f"R{index}-{month}",
                channel="sandbox",
                paid_at=at(dt.date(2026, 1 + month * (1 + index % 2), 3 + index)),
            )
        workers.append(worker)
    return workers


@pytest.mark.parametrize(
    ("day", "status"),
    [
        (dt.date(2026, 4, 2), Status.ACTIVE),  # nothing but the next review day moves
        (dt.date(2026, 4, 16), Status.IN_ARREARS),  # April fell due unpaid for some
        (dt.date(2026, 9, 1), Status.ENDED),  # more than three months unpaid
    ],
)
def test_plain_members_are_moved_without_simulating_each(regions, monkeypatch, day, status):
    workers = _regular_payers(6, 2)  # paid Jan–Feb, or Jan–Apr (two months at a time)
    assert _review_and_refresh_agree(monkeypatch, workers, day, force_due=True, batch_size=4) == (6, 0)
    assert status in set(MemberStatus.objects.values_list("status", flat=True))


def test_a_member_who_paid_after_the_review_day_is_simulated(regions, monkeypatch):
    # A review run for a past day: months paid later must not count, as in a refresh for that day.
    worker = member(registered_on=dt.date(2026, 1, 2))
    for reference, day in [("JAN", dt.date(2026, 1, 5)), ("FEB", dt.date(2026, 3, 20))]:
        _pay(worker, MONTH_IDR, reference, at(day))
    assert _review_and_refresh_agree(monkeypatch, [worker], dt.date(2026, 3, 1), force_due=True, batch_size=10) == (
        1,
        1,
    )
    assert MemberStatus.objects.get(worker=worker).status == Status.IN_ARREARS


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    histories=st.lists(
        st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=5),  # the month, from January 2026
                st.sampled_from(["JKK", "JKM", "JHT"]),
                st.integers(min_value=0, max_value=60),  # days after the month's first day
                st.integers(min_value=0, max_value=23),  # UTC hour: late hours are the next local day
            ),
            max_size=10,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_the_protected_months_read_in_sql_are_those_of_every_programs_first_payment(regions, histories):
    """``_paid_months_of`` (the months with every mandatory program paid, kept and dated by the
    database) against ``protected_months_of`` (every program's first payment, then ``protected_of``)."""
    from django.utils import timezone

    from rangkul.contributions.models import ContributionMonth, JournalEntry
    from rangkul.contributions.selectors import protected_months_of
    from rangkul.core.periods import Period

    with transaction.atomic():
        entry = JournalEntry.objects.create(occurred_at=timezone.now(), kind="test", reference=f"t{id(histories)}")
        ids = []
        for history in histories:
            worker = member(registered_on=START)
            ids.append(worker.pk)
            seen = set()
            for month, program, days, hour in history:
                period = Period(2026, 1) + month
                if (period, program) in seen:
                    continue
                seen.add((period, program))
                paid_at = dt.datetime.combine(period.first_day + dt.timedelta(days=days), dt.time(hour), dt.UTC)
                ContributionMonth.objects.create(
                    worker=worker,
                    period=period,
                    program=program,
                    amount_idr=1,
                    paid_at=paid_at,
                    covered_from=period.first_day,
                    entry=entry,
                )
        assert services._paid_months_of(ids) == protected_months_of(ids)
        transaction.set_rollback(True)
