"""Who gets which reminder on a given day: the policy, as pure functions over stored statuses.

The policy reads the due dates from the contributions rule book and working-day calendar
(``due_date``), and the arrears window from the rule version of the month; the settings
only choose which kinds are sent, how many days before the due date, and how recent a
lapse must be for a win-back text.

- ``due_soon``: the next month whose due date has not passed is unpaid, and its due date
  is at most ``days_before`` days away (a window, so a day the run did not happen is
  caught up the next day; the unique row keeps it to one text).
- ``missed``: the last month whose due date has passed is unpaid, the member is in
  arrears, and that month can still be paid (inside the arrears window, before
  ``pay_arrears_by``).
- ``lapsed``: the membership ended within the last ``lapsed_within_days`` days: one
  invitation to resume per ended episode (its month is the month it ended).

Members who never paid (status ``registered``) get none of these: nothing is owed before
the first payment (DOMAIN.md), and they are invited by the welcome text at registration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rangkul.contributions.selectors import MemberStatusRow, due_date, rulebook_for
from rangkul.core.periods import Period
from rangkul.outreach.models import ReminderKind

KINDS = tuple(kind.value for kind in ReminderKind)
LIVE = ("active", "in_arrears")


@dataclass(frozen=True)
class ReminderPolicy:
    today: dt.date
    kinds: frozenset[str]
    # due_soon: the next month whose due date is today or later, and that due date.
    upcoming: Period
    upcoming_due: dt.date
    due_soon_open: bool
    # missed: the latest month whose due date has passed, and whether it is still payable.
    missed: Period
    missed_payable: bool
    missed_deadline: dt.date
    # lapsed: memberships that ended on or after this day are invited back.
    lapsed_from: dt.date
    current: Period


def reminder_policy(
    *,
    today: dt.date,
    kinds: Iterable[str],
    days_before: int,
    lapsed_within_days: int,
    due: Callable[[Period], dt.date] = due_date,
    arrears_window_months: Callable[[Period], int] | None = None,
) -> ReminderPolicy:
    """The day's policy: which months each kind is about (a handful of rule-book reads per run)."""
    if arrears_window_months is None:

        def arrears_window_months(period: Period) -> int:
            return rulebook_for(period).arrears_window_months

    current = Period.of(today)
    # The due date lies in its own month (the 15th, moved to the next working day), so the
    # month is either this one or, once this month's due date has passed, the next one.
    upcoming = current if due(current) >= today else current + 1
    upcoming_due = due(upcoming)
    missed = current if due(current) < today else current - 1
    window = arrears_window_months(current)
    # Payable late until the window closes on it (DOMAIN.md: up to 3 months after).
    missed_deadline = (missed + arrears_window_months(missed)).last_day
    return ReminderPolicy(
        today=today,
        kinds=frozenset(kinds),
        upcoming=upcoming,
        upcoming_due=upcoming_due,
        due_soon_open=(upcoming_due - today).days <= days_before,
        missed=missed,
        missed_payable=missed >= current - window and today <= missed_deadline,
        missed_deadline=missed_deadline,
        lapsed_from=today - dt.timedelta(days=lapsed_within_days),
        current=current,
    )


@dataclass(frozen=True)
class Wanted:
    kind: str
    period: Period
    # A month already known paid from the stored status needs no look-up; the rest are checked.
    needs_paid_check: bool


def reminders_wanted(row: MemberStatusRow, policy: ReminderPolicy) -> list[Wanted]:
    """The reminders this member may get today, before checking the paid months."""
    if row.record_status != "active" or not row.phone:
        return []  # merged records, and members without a mobile number, get no texts
    wanted: list[Wanted] = []
    kinds = policy.kinds
    paid_through = row.paid_through
    if row.status in LIVE:
        # A stored ``paid_through`` at or after a month from today's month on means that month is
        # paid (it ends a run of paid months reaching the month the status was stored in, which
        # is today's month or an earlier one). Anything else is checked against the paid months.
        if "due_soon" in kinds and policy.due_soon_open and (paid_through is None or paid_through < policy.upcoming):
            wanted.append(Wanted("due_soon", policy.upcoming, True))
        if (
            "missed" in kinds
            and row.status == "in_arrears"
            and policy.missed_payable
            and (row.pay_arrears_by is None or row.pay_arrears_by >= policy.today)
        ):
            wanted.append(Wanted("missed", policy.missed, True))
    elif row.status == "ended" and "lapsed" in kinds and policy.lapsed_from <= row.since <= policy.today:
        wanted.append(Wanted("lapsed", Period.of(row.since), False))
    return wanted
