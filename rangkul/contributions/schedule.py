"""Due dates, payable months and member status: pure functions over a ``RuleBook``.

PP 44/2015 as amended by PP 82/2019: a BPU contribution is due on the 15th of
the contribution month itself; a due date on a weekend or public holiday moves
to the next working day. Unpaid months stay payable for the arrears window
(3 months); more than 3 consecutive unpaid months end the membership.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import holidays

from rangkul.contributions.rules import RuleBook, rulebook_for
from rangkul.core.periods import Period

RulesFor = Callable[[Period], RuleBook]


@lru_cache(maxsize=256)
def _holidays(calendar: str, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(calendar, years=[year]).keys())


def is_working_day(day: dt.date, *, calendar: str = "ID") -> bool:
    return day.weekday() < 5 and day not in _holidays(calendar, day.year)


def next_working_day(day: dt.date, *, calendar: str = "ID") -> dt.date:
    while not is_working_day(day, calendar=calendar):
        day += dt.timedelta(days=1)
    return day


@lru_cache(maxsize=4096)
def _due_day(day: dt.date, calendar: str) -> dt.date:
    """``next_working_day`` remembered: every member's simulation asks for the same months' due dates."""
    return next_working_day(day, calendar=calendar)


def due_date_for(period: Period, rules: RuleBook) -> dt.date:
    return _due_day(period.day(rules.due_day), rules.holiday_calendar)


def due_date(period: Period, *, rules: RuleBook | None = None) -> dt.date:
    """The day a contribution month must be paid by (the rule version for that month)."""
    if rules is None:
        rules = rulebook_for(period)
    return due_date_for(period, rules)


def arrears_window_start(*, today: dt.date, rules: RuleBook) -> Period:
    """The oldest month that can still be paid late on ``today``."""
    return Period.of(today) - rules.arrears_window_months


class Status:
    REGISTERED = "registered"
    ACTIVE = "active"
    IN_ARREARS = "in_arrears"
    ENDED = "ended"


@dataclass(frozen=True)
class StatusChange:
    status: str
    since: dt.date


@dataclass(frozen=True)
class StatusInfo:
    status: str
    since: dt.date
    arrears: tuple[Period, ...] = ()
    pay_arrears_by: dt.date | None = None
    paid_through: Period | None = None
    history: tuple[StatusChange, ...] = ()


PaidMonths = Mapping[Period, dt.date] | Iterable[Period]


def _paid_dates(paid: PaidMonths, today: dt.date) -> dict[Period, dt.date]:
    """Months → the day they were paid; a bare month counts as paid on time (by its first day)."""
    if isinstance(paid, Mapping):
        return dict(paid)
    return {p: min(p.first_day, today) for p in paid}


@dataclass
class _State:
    rules_for: RulesFor
    paid: set[Period] = field(default_factory=set)
    late: set[Period] = field(default_factory=set)
    resume_from: Period | None = None
    ended: bool = False

    def status(self, day: dt.date) -> str:
        if self.resume_from is None:
            return Status.REGISTERED
        if self.ended:
            return Status.ENDED
        unpaid = [p for p in self.late if p not in self.paid]
        if not unpaid:
            return Status.ACTIVE  # nothing late and unpaid: no run, no arrears
        current = Period.of(day)
        rules = self.rules_for(current)
        lapse = rules.lapse_after_unpaid_months
        # The longest run of consecutive months late and unpaid since resuming, up to now
        # (month numbers as integers: this runs for every event of every member simulated).
        first, last = self.resume_from.index, current.index
        run, previous = 0, None
        for month in sorted(p.index for p in unpaid if first <= p.index <= last):
            run = run + 1 if previous == month - 1 else 1
            previous = month
            if run > lapse:
                self.ended = True
                return Status.ENDED
        # In arrears while a late month unpaid is still payable (what ``arrears`` lists).
        oldest = max(self.resume_from, arrears_window_start(today=day, rules=rules))
        return Status.IN_ARREARS if any(p >= oldest for p in unpaid) else Status.ACTIVE

    def arrears(self, day: dt.date) -> list[Period]:
        if self.resume_from is None or self.ended:
            return []
        window_start = arrears_window_start(today=day, rules=self.rules_for(Period.of(day)))
        oldest = max(self.resume_from, window_start)
        return sorted(p for p in self.late - self.paid if p >= oldest)


def _simulate(
    *, registered_on: dt.date, paid: PaidMonths, today: dt.date, rules_for: RulesFor
) -> tuple[list[StatusChange], _State]:
    paid_on = {p: d for p, d in _paid_dates(paid, today).items() if d <= today}
    state = _State(rules_for=rules_for)
    history = [StatusChange(Status.REGISTERED, registered_on)]
    if not paid_on:
        return history, state
    # Events in time order: a payment, or a month passing its due date unpaid. Late
    # events sort before payments on the same day: paying on the day after the due date is late.
    events: list[tuple[dt.date, int, Period]] = [(d, 1, p) for p, d in paid_on.items()]
    period = max(Period.of(registered_on), min(paid_on))
    while period <= Period.of(today):
        late_from = due_date_for(period, rules_for(period)) + dt.timedelta(days=1)
        if late_from <= today and not (period in paid_on and paid_on[period] < late_from):
            events.append((late_from, 0, period))
        period += 1
    # An unpaid month stops being owed when it leaves the arrears window.
    for _late_day, kind, period in list(events):
        if kind == 0:
            leaves = (period + rules_for(period).arrears_window_months + 1).first_day
            if leaves <= today:
                events.append((leaves, 2, period))
    events.append((today, 3, Period.of(today)))
    for day, kind, period in sorted(events):
        if kind == 1:
            if state.resume_from is None or state.ended:
                # First payment, or resuming after the membership ended: earlier months are not owed.
                state.resume_from = min(period, Period.of(day))
                state.ended = False
                state.late = {p for p in state.late if p >= state.resume_from}
            state.paid.add(period)
        elif kind == 0 and state.resume_from is not None and period >= state.resume_from:
            state.late.add(period)
        status = state.status(day)
        if status != history[-1].status:
            history.append(StatusChange(status, day))
    return history, state


def status_history(
    *, registered_on: dt.date, paid: PaidMonths, today: dt.date, rules_for: RulesFor
) -> list[StatusChange]:
    """Every status the member has had up to ``today``, derived from the paid months.

    ``registered`` until the first payment; ``in_arrears`` while a month is past its
    due date unpaid; ``ended`` once more than ``lapse_after_unpaid_months``
    consecutive months are late and unpaid; a payment after that resumes the
    membership (``active``) from the month paid, earlier months no longer owed.
    """
    return _simulate(registered_on=registered_on, paid=paid, today=today, rules_for=rules_for)[0]


def member_status(*, registered_on: dt.date, paid: PaidMonths, today: dt.date, rules_for: RulesFor) -> StatusInfo:
    """The status on ``today`` with the months owed, the deadline to pay them and its history."""
    history, state = _simulate(registered_on=registered_on, paid=paid, today=today, rules_for=rules_for)
    return _status_info(history, state, today=today, rules_for=rules_for)


def member_status_and_review(
    *, registered_on: dt.date, paid: PaidMonths, today: dt.date, rules_for: RulesFor
) -> tuple[StatusInfo, dt.date | None]:
    """``member_status`` and ``next_status_review`` from one simulation (what a stored status needs)."""
    history, state = _simulate(registered_on=registered_on, paid=paid, today=today, rules_for=rules_for)
    info = _status_info(history, state, today=today, rules_for=rules_for)
    # The last event simulated is ``today`` itself: the history ends with today's status.
    review = _next_review(info.status, state, paid_set=set(_paid_dates(paid, today)), today=today, rules_for=rules_for)
    return info, review


def _status_info(history: list[StatusChange], state: _State, *, today: dt.date, rules_for: RulesFor) -> StatusInfo:
    paid_through = _paid_through(state.paid, today)
    last = history[-1]
    arrears = tuple(state.arrears(today)) if last.status == Status.IN_ARREARS else ()
    deadline = None
    if arrears:
        oldest = arrears[0]
        rules = rules_for(oldest)
        # An arrears month stays payable until the window closes on it ...
        deadline = (oldest + rules.arrears_window_months).last_day
        # ... and the membership ends when the run of unpaid months grows past the limit.
        run_end = oldest + rules.lapse_after_unpaid_months
        if not any(oldest + i in state.paid for i in range(1, rules.lapse_after_unpaid_months + 1)):
            deadline = min(deadline, due_date_for(run_end, rules_for(run_end)))
    return StatusInfo(last.status, last.since, arrears, deadline, paid_through, tuple(history))


def _paid_through(paid: set[Period], today: dt.date) -> Period | None:
    """The last paid month of the run covering today, else the last paid month before today."""
    current = Period.of(today)
    if current in paid:
        probe = current
        while probe + 1 in paid:
            probe += 1
        return probe
    earlier = [p for p in paid if p < current]
    return max(earlier) if earlier else None


def payable_arrears(*, registered_on: dt.date, paid: PaidMonths, today: dt.date, rules_for: RulesFor) -> list[Period]:
    """Unpaid months before the current one that may still be paid late, oldest first.

    None for a member who never paid (nothing was owed before the first payment)
    or whose membership ended (they resume from the current month).
    """
    paid_set = set(_paid_dates(paid, today))
    _, state = _simulate(registered_on=registered_on, paid=paid, today=today, rules_for=rules_for)
    if state.resume_from is None or state.status(today) == Status.ENDED:
        return []
    current = Period.of(today)
    start = max(state.resume_from, arrears_window_start(today=today, rules=rules_for(current)))
    return [start + i for i in range(current - start) if start + i not in paid_set]


def payable_periods(
    *, registered_on: dt.date, paid: PaidMonths, today: dt.date, rules_for: RulesFor, months: int
) -> list[Period]:
    """The next ``months`` unpaid months a bill or payment covers, in order.

    Payable arrears (oldest first) come before the current and later months; no
    month lies ``prepay_max_months`` or more after the current one.
    """
    paid_set = set(_paid_dates(paid, today))
    current = Period.of(today)
    chosen = payable_arrears(registered_on=registered_on, paid=paid, today=today, rules_for=rules_for)
    period = max(current, Period.of(registered_on))
    limit = current + rules_for(current).prepay_max_months
    while period < limit and len(chosen) < months:
        if period not in paid_set:
            chosen.append(period)
        period += 1
    return chosen[:months]


def next_status_review(
    *, registered_on: dt.date, paid: PaidMonths, today: dt.date, rules_for: RulesFor
) -> dt.date | None:
    """The next day on which time alone can change the status (a due date passing, an
    arrears month leaving the window); ``None`` while only a payment can change it."""
    paid_set = set(_paid_dates(paid, today))
    _, state = _simulate(registered_on=registered_on, paid=paid, today=today, rules_for=rules_for)
    return _next_review(state.status(today), state, paid_set=paid_set, today=today, rules_for=rules_for)


def _next_review(
    status: str, state: _State, *, paid_set: set[Period], today: dt.date, rules_for: RulesFor
) -> dt.date | None:
    if status in (Status.REGISTERED, Status.ENDED):
        return None
    candidates = []
    period = Period.of(today)
    for _step in range(rules_for(period).prepay_max_months + 2):
        late_from = due_date_for(period, rules_for(period)) + dt.timedelta(days=1)
        if period not in paid_set and late_from > today:
            candidates.append(late_from)
            break
        period += 1
    for arrear in state.arrears(today):
        candidates.append((arrear + rules_for(arrear).arrears_window_months + 1).first_day)
    return min(candidates) if candidates else None
