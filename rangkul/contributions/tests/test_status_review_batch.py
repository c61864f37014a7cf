"""The batched daily review stores exactly what refreshing each member one by one stores."""

from __future__ import annotations

import datetime as dt
import random
import threading
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from rangkul.audit.actors import Actor
from rangkul.contributions.models import MemberStatus, MemberStatusChange
from rangkul.contributions.schedule import Status
from rangkul.contributions.services import member_status_refresh, member_statuses_review, payment_allocate
from rangkul.contributions.tests.factories import at, ensure_reference_data, member
from rangkul.registry.models import Worker

pytestmark = pytest.mark.django_db

MONTH_IDR = 16_800  # one month for the factory's member (non-transport, default income)
REVIEW_DAYS = [dt.date(2026, 2, 17), dt.date(2026, 4, 1), dt.date(2026, 6, 16), dt.date(2026, 9, 30)]


def _random_members(rng: random.Random, count: int) -> list[Worker]:
    """Members with random histories: regular payers, prepayers, late payers, lapsers, returners."""
    workers = []
    for index in range(count):
        registered = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 40))
        worker = member(registered_on=registered)
        day = registered
        for payment in range(rng.randrange(0, 6)):
            day += dt.timedelta(days=rng.randrange(1, 120))
            if day > dt.date(2026, 9, 30):
                break
            payment_allocate(
                actor=Actor.system("test"),
                worker=worker,
                # Sometimes a little more or less than whole months: credit kept or used.
                amount_idr=MONTH_IDR * rng.randrange(1, 4) + rng.choice([0, 0, 0, 5_000]),
                payment_reference=f"R{index}-{payment}",
                channel="sandbox",
                paid_at=at(day, hour=rng.randrange(8, 20)),
            )
        workers.append(worker)
    return workers


def _stored() -> tuple[dict[int, dict[str, Any]], set[tuple[int, str, dt.date]]]:
    statuses: dict[int, dict[str, Any]] = {
        row["worker_id"]: dict(row)
        for row in MemberStatus.objects.values(
            "worker_id", "status", "since", "paid_through", "arrears_months", "pay_arrears_by", "next_review_on"
        )
    }
    history = set(MemberStatusChange.objects.values_list("worker_id", "status", "since"))
    return statuses, history


def _after_each_day(step: Any) -> list[Any]:
    """The stored statuses after ``step(day)`` on each review day; rolled back afterwards."""
    states = []
    with transaction.atomic():
        for day in REVIEW_DAYS:
            # Everyone due, as on the busiest day: the review must then agree with a full refresh.
            MemberStatus.objects.update(next_review_on=day)
            step(day)
            states.append(_stored())
        transaction.set_rollback(True)
    return states


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batch_review_equals_refreshing_each_member(regions, seed):
    workers = _random_members(random.Random(seed), 24)
    with_status = [w for w in workers if MemberStatus.objects.filter(worker=w).exists()]

    def refresh_each(day: dt.date) -> None:
        for worker in with_status:
            member_status_refresh(worker=worker, today=day)

    batched = _after_each_day(lambda day: member_statuses_review(today=day, batch_size=5))
    one_by_one = _after_each_day(refresh_each)
    assert batched == one_by_one
    # The histories are varied enough to mean something.
    final_statuses = {row["status"] for row in batched[-1][0].values()}
    assert len(final_statuses) >= 2
    assert len(batched[-1][1]) > len(with_status)


def test_review_counts_what_changed(regions):
    workers = _random_members(random.Random(5), 6)
    before = dict(MemberStatus.objects.values_list("worker_id", "status"))
    MemberStatus.objects.update(next_review_on=dt.date(2026, 11, 2))
    summary = member_statuses_review(today=dt.date(2026, 11, 2), batch_size=4)
    after = dict(MemberStatus.objects.values_list("worker_id", "status"))
    assert summary == {"reviewed": len(before), "changed": sum(after[pk] != before[pk] for pk in before)}
    assert len(workers) >= len(before)


def _paid_january(count: int) -> None:
    for index in range(count):
        payment_allocate(
            actor=Actor.system("test"),
            worker=member(),
            amount_idr=MONTH_IDR,
            payment_reference=f"Q{count}-{index}",
            channel="sandbox",
            paid_at=at(dt.date(2026, 1, 10)),
        )


def _review_statements(count: int) -> int:
    with transaction.atomic():
        _paid_january(count)
        with CaptureQueriesContext(connection) as queries:
            summary = member_statuses_review(today=dt.date(2026, 2, 17), batch_size=50)
        assert summary == {"reviewed": count, "changed": count}
        assert set(MemberStatus.objects.values_list("status", flat=True)) == {Status.IN_ARREARS}
        transaction.set_rollback(True)
    return len(queries.captured_queries)


def test_statements_per_batch_do_not_grow_with_the_batch(regions):
    # One batch of 3 members and one of 30: the same statements (set-based reads and writes).
    small, large = _review_statements(3), _review_statements(30)
    assert small == large
    assert large <= 14


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_review_and_payments_at_once_leave_the_status_a_refresh_would_store(regions):
    # The review locks each batch's members as payments do: it never stores a status
    # computed from months read before a concurrent payment committed.
    ensure_reference_data()
    review_day = dt.date(2026, 2, 17)
    workers = [member() for _ in range(12)]
    for index, worker in enumerate(workers):
        payment_allocate(
            actor=Actor.system("test"),
            worker=worker,
            amount_idr=MONTH_IDR,
            payment_reference=f"JAN-{index}",
            channel="sandbox",
            paid_at=at(dt.date(2026, 1, 10)),
        )
    MemberStatus.objects.update(next_review_on=review_day)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(work: Any) -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def pay_february() -> None:
        for index, worker in enumerate(workers[::2]):
            payment_allocate(
                actor=Actor.system("test"),
                worker=worker,
                amount_idr=MONTH_IDR,
                payment_reference=f"FEB-{index}",
                channel="sandbox",
                paid_at=at(review_day, hour=11),
            )

    threads = [
        threading.Thread(target=run, args=(lambda: member_statuses_review(today=review_day, batch_size=3),)),
        threading.Thread(target=run, args=(pay_february,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stored = _stored()
    for worker in workers:
        member_status_refresh(worker=worker, today=review_day)
    assert _stored() == stored
    statuses = stored[0]
    assert {statuses[w.pk]["status"] for w in workers[::2]} == {Status.ACTIVE}
    assert {statuses[w.pk]["status"] for w in workers[1::2]} == {Status.IN_ARREARS}
