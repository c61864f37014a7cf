from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from rangkul.audit.actors import Actor
from rangkul.contributions.models import MemberStatus, MemberStatusChange
from rangkul.contributions.schedule import Status, next_status_review
from rangkul.contributions.selectors import rules_for_memo
from rangkul.contributions.services import member_status_refresh, payment_allocate
from rangkul.contributions.tasks import member_statuses_review_daily
from rangkul.contributions.tests.factories import at, member
from rangkul.core.periods import Period

pytestmark = pytest.mark.django_db


def test_next_review_is_the_day_after_the_next_due_date():
    rules_for = rules_for_memo()
    reg = dt.date(2026, 1, 5)
    # Paid January; February is due Monday 16 February 2026 → review on the 17th.
    assert next_status_review(
        registered_on=reg, paid=[Period(2026, 1)], today=dt.date(2026, 1, 20), rules_for=rules_for
    ) == dt.date(2026, 2, 17)
    # Never paid: only a payment changes the status.
    assert next_status_review(registered_on=reg, paid=[], today=dt.date(2026, 3, 1), rules_for=rules_for) is None


def test_payment_stores_status_and_history(regions):
    worker = member()
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=16_800,
        payment_reference="S1",
        channel="sandbox",
        paid_at=at(dt.date(2026, 1, 10)),
    )
    status = member_status_refresh(worker=worker, today=dt.date(2026, 1, 20))
    assert status.status == Status.ACTIVE
    assert status.paid_through == Period(2026, 1)
    assert status.next_review_on == dt.date(2026, 2, 17)
    assert list(MemberStatusChange.objects.filter(worker=worker).values_list("status", flat=True)) == [
        Status.REGISTERED,
        Status.ACTIVE,
    ]


def test_daily_review_moves_statuses_forward_and_is_idempotent(regions):
    worker = member()
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=16_800,
        payment_reference="S1",
        channel="sandbox",
        paid_at=at(dt.date(2026, 1, 10)),
    )
    member_status_refresh(worker=worker, today=dt.date(2026, 1, 20))
    out = StringIO()
    call_command("review_member_statuses", date="2026-02-17", stdout=out)
    assert json.loads(out.getvalue()) == {"reviewed": 1, "changed": 1}
    stored = MemberStatus.objects.get(worker=worker)
    assert stored.status == Status.IN_ARREARS
    assert stored.arrears_months == 1
    assert stored.pay_arrears_by == dt.date(2026, 5, 15)
    # Nothing to review again the same day.
    out = StringIO()
    call_command("review_member_statuses", date="2026-02-17", stdout=out)
    assert json.loads(out.getvalue()) == {"reviewed": 0, "changed": 0}
    # Much later: ended, and no further reviews are scheduled.
    call_command("review_member_statuses", date="2026-06-01", stdout=StringIO())
    call_command("review_member_statuses", date="2026-06-01", stdout=StringIO())
    stored.refresh_from_db()
    assert stored.status == Status.ENDED and stored.next_review_on is None
    assert list(MemberStatusChange.objects.filter(worker=worker).values_list("status", flat=True)) == [
        Status.REGISTERED,
        Status.ACTIVE,
        Status.IN_ARREARS,
        Status.ENDED,
    ]


def test_daily_task_runs_the_review(regions):
    result = member_statuses_review_daily.enqueue()
    assert result.return_value == {"reviewed": 0, "changed": 0}
