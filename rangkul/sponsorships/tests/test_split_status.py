"""A member's status and coverage follow the programs actually paid: JHT alone protects no one.

DOMAIN.md: protection applies only in paid months, and JKK and JKM are the mandatory programs.
A member of a split-payer sponsorship who paid their own JHT is active for a month only once the
sponsor has paid JKK and JKM for it; each program's coverage follows whoever paid it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from rangkul.audit.actors import Actor
from rangkul.contributions.models import MemberStatus
from rangkul.contributions.schedule import Status
from rangkul.contributions.selectors import coverage_on, protected_months, worker_status
from rangkul.contributions.services import bill_issue, member_status_refresh, payment_allocate
from rangkul.contributions.tests.factories import at, member
from rangkul.core.periods import Period
from rangkul.sponsorships.tests.factories import TODAY
from rangkul.sponsorships.tests.test_split_payers import _sponsor_pays, _sponsored_member

pytestmark = pytest.mark.django_db

MAY = Period(2026, 5)
DAY = dt.date(2026, 5, 20)


def _pays_own_jht(worker, months=1):
    bill = bill_issue(actor=Actor.system("test"), worker=worker, months=months, today=TODAY)
    assert {line.program for line in bill.lines.all()} == {"JHT"}
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=bill.amount_idr,
        payment_reference=f"OWN-{worker.pk}-{months}",
        channel="sandbox",
        paid_at=at(TODAY),
        bill=bill,
    )


def test_a_member_who_paid_only_jht_is_not_active_until_the_sponsor_pays(regions):
    s, worker = _sponsored_member()
    _pays_own_jht(worker)
    assert coverage_on(worker, DAY, "JHT")
    assert not coverage_on(worker, DAY, "JKK") and not coverage_on(worker, DAY, "JKM")
    assert not coverage_on(worker, DAY)  # not protected
    assert protected_months(worker_id=worker.pk) == {}
    assert worker_status(worker=worker, today=DAY).status != Status.ACTIVE
    assert MemberStatus.objects.get(worker=worker).status != Status.ACTIVE

    _sponsor_pays(s, MAY, "SP-1")
    assert coverage_on(worker, DAY, "JKK") and coverage_on(worker, DAY, "JKM") and coverage_on(worker, DAY)
    assert MAY in protected_months(worker_id=worker.pk)
    assert worker_status(worker=worker, today=DAY).status == Status.ACTIVE
    assert MemberStatus.objects.get(worker=worker).status == Status.ACTIVE
    # A full refresh stores what the payments stored.
    assert member_status_refresh(worker=worker, today=DAY).status == Status.ACTIVE


def test_the_sponsor_paying_first_makes_the_member_active_before_their_own_jht(regions):
    s, worker = _sponsored_member()
    _sponsor_pays(s, MAY, "SP-1")
    assert coverage_on(worker, DAY, "JKK") and not coverage_on(worker, DAY, "JHT")
    assert MemberStatus.objects.get(worker=worker).status == Status.ACTIVE
    assert worker_status(worker=worker, today=DAY).status == Status.ACTIVE


def test_jht_paid_ahead_does_not_extend_the_paid_through_month(regions):
    s, worker = _sponsored_member()
    _pays_own_jht(worker, months=3)  # JHT for May, June and July
    _sponsor_pays(s, MAY, "SP-1")  # the sponsor has paid May only
    status = MemberStatus.objects.get(worker=worker)
    assert status.status == Status.ACTIVE and Period.of(status.paid_through) == MAY
    assert worker_status(worker=worker, today=DAY).paid_through == MAY
    assert not coverage_on(worker, dt.date(2026, 6, 20))
    assert coverage_on(worker, dt.date(2026, 6, 20), "JHT")


def test_a_member_paying_every_program_is_active_as_before(regions):
    worker = member(registered_on=dt.date(2026, 5, 1), jht=True)
    bill = bill_issue(actor=Actor.system("test"), worker=worker, months=1, today=TODAY)
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=bill.amount_idr,
        payment_reference="ALL-1",
        channel="sandbox",
        paid_at=at(TODAY),
        bill=bill,
    )
    assert all(coverage_on(worker, DAY, p) for p in ("JKK", "JKM", "JHT")) and coverage_on(worker, DAY)
    assert MemberStatus.objects.get(worker=worker).status == Status.ACTIVE
    assert protected_months(worker_id=worker.pk) == {MAY: TODAY}
