from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from rangkul.contributions.group_bills import group_bill_pay
from rangkul.contributions.services import payment_allocate
from rangkul.contributions.tests.factories import at, member
from rangkul.messaging.backends import locmem
from rangkul.sponsorships.handover import continuation_rate, handover_run
from rangkul.sponsorships.services import sponsorship_bill_issue, sponsorship_enrol
from rangkul.sponsorships.tests.factories import TODAY, sponsor, sponsorship

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    locmem.clear()
    yield
    locmem.clear()


def _texts():
    return [m for m in locmem.outbox if m.purpose == "sponsorship_handover"]


def _active(org, workers, **overrides):
    s = sponsorship(org, **overrides)
    sponsorship_enrol(actor="test", sponsorship=s, workers=workers, today=TODAY)
    sponsorship_bill_issue(actor="test", sponsorship=s, period=s.start_month)
    return s


def test_members_are_texted_30_and_7_days_before_the_last_day_once_each(regions, django_capture_on_commit_callbacks):
    org = sponsor()
    worker = member(organisation_code=org.code)
    _active(org, [worker])  # May–July 2026: the last day is 31 July
    with django_capture_on_commit_callbacks(execute=True):
        assert handover_run(today=dt.date(2026, 6, 30), thresholds=[7, 30]).sent == 0  # 31 days before
        assert handover_run(today=dt.date(2026, 7, 1), thresholds=[7, 30]).sent == 1
        assert handover_run(today=dt.date(2026, 7, 2), thresholds=[7, 30]).sent == 0  # same threshold: once
        assert handover_run(today=dt.date(2026, 7, 24), thresholds=[7, 30]).sent == 1
        assert handover_run(today=dt.date(2026, 8, 1), thresholds=[7, 30]).sent == 0  # after the end
    texts = _texts()
    assert len(texts) == 2 and texts[0].to == worker.phone
    # The member's own price from August 2026 (with the PP 50/2025 discount), and the membership number.
    assert "Rp8.400" in texts[0].body and worker.membership_number in texts[0].body
    assert worker.nik not in texts[0].body


def test_a_missed_day_is_caught_up_and_the_command_prints_a_summary(regions, settings):
    settings.SPONSORSHIP_HANDOVER_DAYS = [7, 30]
    org = sponsor()
    _active(org, [member(organisation_code=org.code), member(organisation_code=org.code)])
    out = io.StringIO()
    call_command("send_sponsorship_handovers", "--date", "2026-07-05", stdout=out)
    assert json.loads(out.getvalue()) == {"sponsorships": 1, "sent": 2}


def test_the_continuation_rate_counts_own_payments_within_three_months_after_the_end(regions):
    org = sponsor()
    stays, leaves, late = (member(organisation_code=org.code) for _ in range(3))
    s = _active(org, [stays, leaves, late], months=1)  # May 2026 only
    bill = s.bills.get().bill
    group_bill_pay(
        actor="test",
        bill=bill,
        amount_idr=bill.amount_idr,
        payment_reference="MAY",
        channel="sandbox",
        paid_at=at(dt.date(2026, 5, 3)),
    )
    assert continuation_rate(sponsorship=s, today=dt.date(2026, 5, 31)) is None
    # One member pays June on their own; another pays only in October, too late to count.
    payment_allocate(
        actor="test",
        worker=stays,
        amount_idr=8_400,
        payment_reference="JUNE",
        channel="sandbox",
        paid_at=at(dt.date(2026, 6, 10)),
    )
    payment_allocate(
        actor="test",
        worker=late,
        amount_idr=8_400,
        payment_reference="OCT",
        channel="sandbox",
        paid_at=at(dt.date(2026, 10, 10)),
    )
    result = continuation_rate(sponsorship=s, today=dt.date(2026, 9, 1))
    assert result is not None
    assert (result.members, result.continued, result.complete) == (3, 1, True)
    assert result.rate == pytest.approx(1 / 3)
