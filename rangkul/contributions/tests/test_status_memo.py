"""Differential: the shared status simulation (``StatusMemo``) against one simulation per member."""

from __future__ import annotations

import datetime as dt
import functools

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rangkul.contributions.rules import rulebook_for
from rangkul.contributions.services.status import _status_fields
from rangkul.contributions.status_memo import StatusMemo
from rangkul.core.periods import Period

START = dt.date(2025, 6, 1)
TODAY_RANGE = (dt.date(2026, 1, 1), dt.date(2026, 9, 30))


@functools.cache
def _rules(period: Period):
    return rulebook_for(period)


def rules_for(period: Period):
    return _rules(period)


def _day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


# A member: registered some day, then paid some months, each on some day (often the same few
# days, so that members share shapes, and around due dates, where the order matters).
member = st.tuples(
    st.integers(0, 400).map(_day),
    st.dictionaries(
        st.integers(0, 16).map(lambda i: Period(2025, 6) + i),
        st.one_of(st.integers(0, 480).map(_day), st.sampled_from([_day(d) for d in (14, 15, 16, 17, 45, 46, 47)])),
        max_size=10,
    ),
)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    today=st.dates(*TODAY_RANGE),
    members=st.lists(member, min_size=1, max_size=12),
)
def test_shared_simulation_gives_each_member_their_own_status(today, members):
    memo = StatusMemo(today=today, rules_for=rules_for)
    for registered_on, paid in members:
        expected = _status_fields(registered_on=registered_on, paid=paid, today=today, rules_for=rules_for)
        assert memo.fields(registered_on=registered_on, paid=paid) == expected
        # The same payment days again, registered another day of the same month: one shape, own days.
        again = registered_on.replace(day=1)
        assert memo.fields(registered_on=again, paid=paid) == _status_fields(
            registered_on=again, paid=paid, today=today, rules_for=rules_for
        )
    event(f"simulations shared: {memo.simulated < len(members)}")


@pytest.mark.django_db
def test_members_paying_on_different_days_of_the_same_gap_share_one_simulation():
    today = dt.date(2026, 3, 20)
    memo = StatusMemo(today=today, rules_for=rules_for)
    # Both paid January on a day between its first day and its due date, February likewise,
    # registered on different days of December: one shape.
    one = memo.fields(
        registered_on=dt.date(2025, 12, 3),
        paid={Period(2026, 1): dt.date(2026, 1, 5), Period(2026, 2): dt.date(2026, 2, 9)},
    )
    two = memo.fields(
        registered_on=dt.date(2025, 12, 20),
        paid={Period(2026, 1): dt.date(2026, 1, 7), Period(2026, 2): dt.date(2026, 2, 2)},
    )
    assert memo.simulated == 1
    assert one[1][0].since == dt.date(2025, 12, 3) and two[1][0].since == dt.date(2025, 12, 20)
    # Each member's change to active is dated on their own first payment.
    assert one[1][1].since == dt.date(2026, 1, 5) and two[1][1].since == dt.date(2026, 1, 7)
    # A payment after the due date is another shape.
    memo.fields(registered_on=dt.date(2025, 12, 3), paid={Period(2026, 1): dt.date(2026, 1, 25)})
    assert memo.simulated == 2


@pytest.mark.django_db
def test_the_same_months_read_in_another_order_share_one_simulation():
    today = dt.date(2026, 4, 20)
    memo = StatusMemo(today=today, rules_for=rules_for)
    months = {Period(2026, 1): dt.date(2026, 1, 5), Period(2026, 2): dt.date(2026, 2, 5)}
    backwards = dict(reversed(list(months.items())))
    registered_on = dt.date(2025, 12, 3)
    assert memo.fields(registered_on=registered_on, paid=months) == memo.fields(
        registered_on=registered_on, paid=backwards
    )
    assert memo.simulated == 1
