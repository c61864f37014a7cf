"""Many members' stored status from one simulation per distinct *shape* of history.

``_status_fields`` simulates a member's whole history. A cohort's members rarely share
their exact payment days, but the simulation looks at a payment day only through

- its month (``Period.of``: the rules in force, the arrears window, where a membership resumes),
- its order among the days on which something else happens (a month's first day, the day after
  a due date, ``today``) and among the member's other payment days,
- the day itself, when a status change happens on it (``since`` in the history).

So each payment day on or before ``today`` is replaced by a representative keeping the
first two: a day that is itself one of those event days stays, any other day becomes the
event day before it plus its rank among the member's distinct payment days in that gap
(never reaching the next event day, so never leaving its month). Members with the same
representatives share one simulation; the changes dated on a representative are moved back
to the member's own payment day, and the registration day (which only opens the history,
in ``REGISTERED``) to the member's own. The differential tests compare this with a
simulation per member.
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Any

from rangkul.contributions.schedule import (
    RulesFor,
    Status,
    StatusChange,
    due_date_for,
)
from rangkul.contributions.services.status import _status_fields
from rangkul.core.periods import Period

_DAY = dt.timedelta(days=1)
_ON_EVENT = -2  # a payment day that is itself an event day (stands for itself)
_UNSHARED = object()  # a member with nothing paid by today: simulated alone (nothing to share)


def _key(paid: dict[Period, dt.date]) -> tuple[Any, ...]:
    """A history as a plain key: months as numbers, in order (sorting and hashing numbers, not ``Period``s)."""
    return tuple(sorted((p.year, p.month, day) for p, day in paid.items()))


class StatusMemo:
    """``_status_fields`` for many members on one ``today`` under one ``rules_for``."""

    def __init__(self, *, today: dt.date, rules_for: RulesFor) -> None:
        self.today = today
        self.rules_for = rules_for
        self._outcomes: dict[Any, tuple[dict[str, Any], tuple[StatusChange, ...]]] = {}
        self._events: list[dt.date] = []
        self._from: Period | None = None
        self._gap_of: dict[dt.date, int] = {}  # a payment day's gap among ``_events``, or ``_ON_EVENT``
        self.simulated = 0

    def _event_days(self, first: Period) -> list[dt.date]:
        """Every month's first day and the day after its due date, from ``first`` to after ``today``, and ``today``."""
        if self._from is None or first < self._from:
            last = Period.of(self.today) + 1
            days = {self.today}
            month = first
            while month <= last:
                days.add(month.first_day)
                days.add(due_date_for(month, self.rules_for(month)) + _DAY)
                month += 1
            self._events, self._from = sorted(days), first
            self._gap_of = {}
        return self._events

    def _shape(self, first: Period, counted: dict[Period, dt.date]) -> dict[dt.date, dt.date]:
        """Each counted payment day's representative (days that are event days stand for themselves)."""
        events = self._event_days(first)
        # Each gap between event days: its distinct payment days, in order.
        gaps: dict[int, list[dt.date]] = {}
        gap_of = self._gap_of  # members share most of their payment days: each is placed once
        for day in set(counted.values()):
            at = gap_of.get(day)
            if at is None:
                at = bisect.bisect_right(events, day) - 1
                at = gap_of[day] = _ON_EVENT if events[at] == day else at
            if at != _ON_EVENT:
                gaps.setdefault(at, []).append(day)
        stand_in: dict[dt.date, dt.date] = {}
        for at, days in gaps.items():
            for rank, day in enumerate(sorted(days), start=1):
                stand_in[day] = events[at] + dt.timedelta(days=rank)
        return stand_in

    def fields(
        self, *, registered_on: dt.date, paid: dict[Period, dt.date]
    ) -> tuple[dict[str, Any], tuple[StatusChange, ...]]:
        """What ``_status_fields`` gives for this member on the memo's ``today``."""
        known = self._shared(Period.of(registered_on), paid)
        if known is _UNSHARED:
            return _status_fields(registered_on=registered_on, paid=paid, today=self.today, rules_for=self.rules_for)
        fields, changes = known
        moved = (StatusChange(Status.REGISTERED, registered_on), *changes)
        return {**fields, "since": moved[-1].since}, moved

    def _shared(self, registered_month: Period, paid: dict[Period, dt.date]) -> Any:
        """The fields and the changes after registration of every member with this registration month and these
        payment days, from the simulation shared by their shape; ``_UNSHARED`` when nothing was paid by today."""
        today = self.today
        counted = {p: day for p, day in paid.items() if day <= today}
        if not counted:
            return _UNSHARED
        first_paid = min(counted)
        # Paid from the registration month on: the simulation starts at the first paid month.
        opened = first_paid if first_paid >= registered_month else registered_month
        first = min(opened, first_paid, Period.of(min(counted.values())))
        stand_in = self._shape(first, counted)
        shaped = {p: stand_in.get(day, day) for p, day in paid.items()}
        key = (opened, _key(shaped))
        outcome = self._outcomes.get(key)
        if outcome is None:
            self.simulated += 1
            outcome = _status_fields(registered_on=opened.first_day, paid=shaped, today=today, rules_for=self.rules_for)
            self._outcomes[key] = outcome
        fields, history = outcome
        own = {shape: day for day, shape in stand_in.items()}
        return fields, tuple(StatusChange(change.status, own.get(change.since, change.since)) for change in history[1:])
