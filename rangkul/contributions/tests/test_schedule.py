from __future__ import annotations

import datetime as dt
import functools
import itertools

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rangkul.contributions.schedule import (
    Status,
    due_date,
    member_status,
    payable_arrears,
    payable_periods,
    status_history,
)
from rangkul.contributions.selectors import rulebook_for
from rangkul.core.periods import Period

pytestmark = pytest.mark.django_db

ID_HOLIDAYS = holidays.country_holidays("ID", years=range(2024, 2031))
months = st.builds(Period, st.integers(2024, 2030), st.integers(1, 12))


@pytest.fixture
def rules(db):
    return rulebook_for(Period(2026, 1))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(period=months)
def test_due_date_is_a_working_day_on_or_after_the_15th(rules, period):
    day = due_date(period, rules=rules)
    assert day.weekday() < 5
    assert day not in ID_HOLIDAYS
    assert day >= period.day(15)
    assert Period.of(day) in (period, period + 1)
    # Nothing earlier qualified: every day from the 15th up to it is a weekend or holiday.
    probe = period.day(15)
    while probe < day:
        assert probe.weekday() >= 5 or probe in ID_HOLIDAYS
        probe += dt.timedelta(days=1)


def test_due_date_examples():
    # 15 March 2026 is a Sunday → Monday 16 March.
    assert due_date(Period(2026, 3)) == dt.date(2026, 3, 16)
    # 15 August 2026 is a Saturday → Monday 17 August is Independence Day → Tuesday 18.
    assert due_date(Period(2026, 8)) == dt.date(2026, 8, 18)
    # 15 May 2026 is a Friday.
    assert due_date(Period(2026, 5)) == dt.date(2026, 5, 15)


@functools.cache
def _cached(period):
    return rulebook_for(period)


def rules_for(period):
    return _cached(period)


REG = dt.date(2026, 1, 5)


def test_never_paid_is_registered():
    info = member_status(registered_on=REG, paid=[], today=dt.date(2026, 9, 1), rules_for=rules_for)
    assert info.status == Status.REGISTERED
    assert payable_periods(registered_on=REG, paid=[], today=dt.date(2026, 9, 1), rules_for=rules_for, months=3) == [
        Period(2026, 9),
        Period(2026, 10),
        Period(2026, 11),
    ]


def test_paid_up_is_active_until_the_last_paid_month():
    paid = [Period(2026, m) for m in range(1, 7)]
    info = member_status(registered_on=REG, paid=paid, today=dt.date(2026, 3, 20), rules_for=rules_for)
    assert info.status == Status.ACTIVE
    assert info.paid_through == Period(2026, 6)


def test_a_missed_due_date_puts_the_member_in_arrears_with_a_deadline():
    paid = [Period(2026, 1), Period(2026, 2)]
    # 16 March 2026 is March's due date: not late yet.
    assert member_status(registered_on=REG, paid=paid, today=dt.date(2026, 3, 16), rules_for=rules_for).status == (
        Status.ACTIVE
    )
    info = member_status(registered_on=REG, paid=paid, today=dt.date(2026, 3, 17), rules_for=rules_for)
    assert info.status == Status.IN_ARREARS
    assert info.arrears == (Period(2026, 3),)
    # March + 3 = June; June's due date is Monday 15 June 2026.
    assert info.pay_arrears_by == dt.date(2026, 6, 15)
    assert info.paid_through == Period(2026, 2)


def test_more_than_three_unpaid_months_end_the_membership():
    paid = [Period(2026, 1)]
    # Feb, Mar, Apr, May unpaid; May's due date (15 May 2026, Friday) passes.
    assert member_status(registered_on=REG, paid=paid, today=dt.date(2026, 5, 15), rules_for=rules_for).status == (
        Status.IN_ARREARS
    )
    info = member_status(registered_on=REG, paid=paid, today=dt.date(2026, 5, 16), rules_for=rules_for)
    assert info.status == Status.ENDED
    assert info.since == dt.date(2026, 5, 16)
    assert [c.status for c in info.history] == [Status.REGISTERED, Status.ACTIVE, Status.IN_ARREARS, Status.ENDED]
    # An ended member resumes from the current month; old arrears are not billed.
    today = dt.date(2026, 6, 2)
    assert payable_arrears(registered_on=REG, paid=paid, today=today, rules_for=rules_for) == []
    assert payable_periods(registered_on=REG, paid=paid, today=today, rules_for=rules_for, months=2) == [
        Period(2026, 6),
        Period(2026, 7),
    ]


def test_resuming_after_the_end_makes_the_member_active_again():
    paid = {Period(2026, 1): dt.date(2026, 1, 5), Period(2026, 7): dt.date(2026, 7, 1)}
    info = member_status(registered_on=REG, paid=paid, today=dt.date(2026, 7, 2), rules_for=rules_for)
    assert info.status == Status.ACTIVE
    assert [c.status for c in info.history][-2:] == [Status.ENDED, Status.ACTIVE]


def test_bills_start_with_arrears_inside_the_window_oldest_first():
    paid = [Period(2026, m) for m in range(1, 6)]  # paid through May
    today = dt.date(2026, 7, 20)  # June and July late
    assert payable_periods(registered_on=REG, paid=paid, today=today, rules_for=rules_for, months=4) == [
        Period(2026, 6),
        Period(2026, 7),
        Period(2026, 8),
        Period(2026, 9),
    ]


def test_prepaying_stops_twelve_months_ahead():
    today = dt.date(2026, 3, 1)
    periods = payable_periods(registered_on=REG, paid=[Period(2026, 2)], today=today, rules_for=rules_for, months=12)
    assert periods[0] == Period(2026, 3)
    assert periods[-1] == Period(2027, 2)
    assert len(periods) == 12


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    paid_offsets=st.sets(st.integers(0, 23), max_size=24),
    days_after=st.integers(0, 730),
)
def test_status_follows_the_arrears_rules(db, paid_offsets, days_after):
    start = Period(2025, 1)
    registered_on = start.first_day
    today = registered_on + dt.timedelta(days=days_after)
    paid = {start + o for o in paid_offsets if start + o <= Period.of(today)}
    info = member_status(registered_on=registered_on, paid=paid, today=today, rules_for=rules_for)
    history = status_history(registered_on=registered_on, paid=paid, today=today, rules_for=rules_for)
    assert history[-1].status == info.status
    assert all(a.since <= b.since for a, b in itertools.pairwise(history))
    if not paid:
        assert info.status == Status.REGISTERED
        return
    current = Period.of(today)
    # Count the unpaid months past their due date since the last paid month.
    last_paid = max(paid)
    late = [
        p for p in (last_paid + i for i in range(1, current - last_paid + 1)) if today > due_date(p, rules=rules_for(p))
    ]
    if len(late) > 3:
        assert info.status == Status.ENDED
    elif info.status == Status.ENDED:
        # Ended earlier and not resumed since: no payment after the lapse.
        ended_on = history[-1].since
        assert all(p.first_day < ended_on for p in paid)
    if info.status == Status.IN_ARREARS:
        assert info.arrears and all(p not in paid for p in info.arrears)
        assert all(current - p <= 3 for p in info.arrears)
        assert info.pay_arrears_by is not None and info.pay_arrears_by >= today
    if info.status == Status.ACTIVE:
        assert info.arrears == ()
