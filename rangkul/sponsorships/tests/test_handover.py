from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from rangkul.audit.actors import Actor
from rangkul.contributions.group_bills import group_bill_pay
from rangkul.contributions.models import Bill
from rangkul.contributions.payment_codes import member_payment_code, payment_code_format
from rangkul.contributions.services import month_due, payment_allocate
from rangkul.contributions.tests.factories import at, member
from rangkul.messaging.backends import locmem
from rangkul.sponsorships.handover import continuation_rate, handover_run, winback_run
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
    sponsorship_enrol(actor=Actor.system("test"), sponsorship=s, workers=workers, today=TODAY)
    sponsorship_bill_issue(actor=Actor.system("test"), sponsorship=s, period=s.start_month)
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
    assert json.loads(out.getvalue()) == {"sponsorships": 1, "sent": 2, "win_back": 0}


def test_the_continuation_rate_counts_own_payments_within_three_months_after_the_end(regions):
    org = sponsor()
    stays, leaves, late = (member(organisation_code=org.code) for _ in range(3))
    s = _active(org, [stays, leaves, late], months=1)  # May 2026 only
    bill = s.bills.get().bill
    group_bill_pay(
        actor=Actor.system("test"),
        bill=bill,
        amount_idr=bill.amount_idr,
        payment_reference="MAY",
        channel="sandbox",
        paid_at=at(dt.date(2026, 5, 3)),
    )
    assert continuation_rate(sponsorship=s, today=dt.date(2026, 5, 31)) is None
    # One member pays June on their own; another pays only in October, too late to count.
    payment_allocate(
        actor=Actor.system("test"),
        worker=stays,
        amount_idr=8_400,
        payment_reference="JUNE",
        channel="sandbox",
        paid_at=at(dt.date(2026, 6, 10)),
    )
    payment_allocate(
        actor=Actor.system("test"),
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


def _pay_code(code: str, amount_idr: int, reference: str, day: dt.date):
    """Pay a code through the sandbox channel's signed callback, as a minimarket would."""
    from rangkul.payments.sandbox import sandbox_callback
    from rangkul.payments.services import callback_receive

    headers, body = sandbox_callback(payment_code=code, amount_idr=amount_idr, place="minimarket", paid_at=at(day))
    body = json.dumps({**json.loads(body), "external_id": reference}).encode()
    return callback_receive(channel_code="sandbox", headers=headers, body=body, remote_addr=None)


def test_the_hand_over_text_carries_the_members_standing_code_and_writes_no_bill(
    regions, django_capture_on_commit_callbacks
):
    from rangkul.contributions.models import ContributionMonth
    from rangkul.sponsorships.models import HandoverNotice

    org = sponsor()
    plain = member(organisation_code=org.code)
    saver = member(organisation_code=org.code, jht=True)
    _active(org, [plain, saver])  # May–July 2026, the sponsor pays JKK and JKM
    bills_before = Bill.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert handover_run(today=dt.date(2026, 7, 1), thresholds=[7, 30]).sent == 2
    assert Bill.objects.count() == bills_before  # no bill per member: the code is the member's own
    texts = {m.to: m.body for m in _texts()}
    code = member_payment_code(plain.membership_number)
    assert payment_code_format(code) in texts[plain.phone]
    assert HandoverNotice.objects.get(worker=plain).payment_code == code
    # August 2026 at the member's own price (PP 50/2025 discount): JKK + JKM = Rp8,400 a month.
    assert "Rp8.400 per bulan" in texts[plain.phone]
    saver_code = member_payment_code(saver.membership_number)
    assert payment_code_format(saver_code) in texts[saver.phone] and saver_code != code
    assert "Rp8.400 " not in texts[saver.phone]  # the saver's own price includes JHT

    # Paid at a minimarket in July, the month's price covers August: the sponsor still holds July.
    with django_capture_on_commit_callbacks(execute=True):
        answer = _pay_code(payment_code_format(code).replace(" ", ""), 8_400, "MM-AUG", dt.date(2026, 7, 20))
    assert answer.payment is not None and answer.payment.status == "allocated"
    assert answer.payment.worker_id == plain.pk and answer.payment.bill_id is None
    own = ContributionMonth.objects.filter(worker=plain, entry_id=answer.payment.journal_entry_id)
    assert sorted((str(m.period), m.program) for m in own) == [("2026-08", "JKK"), ("2026-08", "JKM")]
    # The saver still owes JHT for May to July (the sponsor does not pay it): a cashier asks for the oldest
    # month first, and money on the code pays it first.
    due = month_due(worker=saver, today=dt.date(2026, 7, 20))
    assert due > 0
    answer = _pay_code(saver_code, due, "MM-SAVER", dt.date(2026, 7, 20))
    first = ContributionMonth.objects.filter(worker=saver, entry_id=answer.payment.journal_entry_id)
    assert [(str(m.period), m.program) for m in first] == [("2026-05", "JHT")]


def test_a_win_back_text_goes_once_after_the_end_to_members_who_did_not_continue(
    regions, django_capture_on_commit_callbacks
):
    org = sponsor()
    stays, leaves = member(organisation_code=org.code), member(organisation_code=org.code)
    s = _active(org, [stays, leaves], months=1)  # May 2026 only: the last day is 31 May
    bill = s.bills.get().bill
    group_bill_pay(
        actor=Actor.system("test"),
        bill=bill,
        amount_idr=bill.amount_idr,
        payment_reference="MAY",
        channel="sandbox",
        paid_at=at(dt.date(2026, 5, 3)),
    )
    payment_allocate(
        actor=Actor.system("test"),
        worker=stays,
        amount_idr=8_400,
        payment_reference="JUN",
        channel="sandbox",
        paid_at=at(dt.date(2026, 6, 5)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert winback_run(today=dt.date(2026, 6, 13), days_after=14).sent == 0  # 13 days after
        assert winback_run(today=dt.date(2026, 6, 14), days_after=14).sent == 1
        assert winback_run(today=dt.date(2026, 6, 20), days_after=14).sent == 0  # once
    texts = [m for m in locmem.outbox if m.purpose == "sponsorship_win_back"]
    assert [t.to for t in texts] == [leaves.phone]
    assert leaves.membership_number in texts[0].body and "Rp8.400" in texts[0].body
    assert payment_code_format(member_payment_code(leaves.membership_number)) in texts[0].body
    assert not Bill.objects.filter(worker=leaves).exists()
    # A sponsorship whose continuation window has closed is not texted.
    other = member(organisation_code=org.code)
    late = _active(org, [other], code="LATE", months=1)
    assert winback_run(today=dt.date(2026, 9, 1), days_after=14).sent == 0
    assert late.pk


def test_a_failure_keeps_the_chunks_done_before_it_and_the_next_run_texts_the_rest(
    regions, monkeypatch, django_capture_on_commit_callbacks
):
    """Each chunk of members is its own transaction: a failure in one leaves the chunks before it
    whole (texts, notices) and nothing of its own; the next run texts only the rest."""
    from rangkul.sponsorships import handover
    from rangkul.sponsorships.models import HandoverNotice

    monkeypatch.setattr(handover, "CHUNK", 2)
    org = sponsor()
    workers = [member(organisation_code=org.code) for _ in range(5)]
    cohort = _active(org, workers)
    queue = handover.messages_queue_many
    calls: list[int] = []

    def queue_failing_second(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("queue unavailable")
        return queue(**kwargs)

    monkeypatch.setattr(handover, "messages_queue_many", queue_failing_second)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        handover_run(today=dt.date(2026, 7, 1), thresholds=[30])
    first = {w.pk for w in workers[:2]}
    assert set(HandoverNotice.objects.filter(sponsorship=cohort).values_list("worker_id", flat=True)) == first
    assert sorted(m.to for m in _texts()) == sorted(w.phone for w in workers[:2])

    monkeypatch.setattr(handover, "messages_queue_many", queue)
    with django_capture_on_commit_callbacks(execute=True):
        assert handover_run(today=dt.date(2026, 7, 1), thresholds=[30]).sent == 3
    assert HandoverNotice.objects.filter(sponsorship=cohort).count() == 5
    assert sorted(m.to for m in _texts()) == sorted(w.phone for w in workers)


def test_parts_split_the_members_by_key_and_text_each_once(regions, monkeypatch, settings):
    """Run in parts (one after the other here), every member falls in exactly one part, each part
    texts only its own members, and the summary counts every text once."""
    from rangkul.core.processes import in_turn
    from rangkul.sponsorships import handover
    from rangkul.sponsorships.models import HandoverNotice

    settings.SPONSORSHIP_HANDOVER_PARTS = 3
    monkeypatch.setattr(handover, "parallel_writers", lambda: True)
    org = sponsor()
    workers = [member(organisation_code=org.code) for _ in range(7)]
    cohort = _active(org, workers)
    texted_by_part: list[set[int]] = []
    part = handover._handover_part

    def recorded(number, **kwargs):
        before = set(HandoverNotice.objects.values_list("worker_id", flat=True))
        part(number, **kwargs)
        texted_by_part.append(set(HandoverNotice.objects.values_list("worker_id", flat=True)) - before)

    monkeypatch.setattr(handover, "_handover_part", recorded)
    summary = handover_run(today=dt.date(2026, 7, 1), thresholds=[30], parts_runner=in_turn)
    assert summary.sent == 7
    assert [sorted(texted) for texted in texted_by_part] == [
        sorted(w.pk for w in workers if w.pk % 3 == number) for number in range(3)
    ]
    assert HandoverNotice.objects.filter(sponsorship=cohort).count() == 7


def test_a_part_that_stops_is_reported_and_the_others_finish(regions, monkeypatch, settings):
    from rangkul.core.errors import Conflict
    from rangkul.core.processes import in_turn
    from rangkul.sponsorships import handover
    from rangkul.sponsorships.errors import SponsorshipErrorCode
    from rangkul.sponsorships.models import HandoverNotice

    settings.SPONSORSHIP_HANDOVER_PARTS = 2
    monkeypatch.setattr(handover, "parallel_writers", lambda: True)
    org = sponsor()
    workers = [member(organisation_code=org.code) for _ in range(4)]
    _active(org, workers)
    part = handover._handover_part

    def second_fails(number, **kwargs):
        if number == 1:
            raise RuntimeError("connection lost")
        part(number, **kwargs)

    monkeypatch.setattr(handover, "_handover_part", second_fails)
    with pytest.raises(Conflict) as stopped:
        handover_run(today=dt.date(2026, 7, 1), thresholds=[30], parts_runner=in_turn)
    assert stopped.value.code == SponsorshipErrorCode.RUN_STOPPED
    assert set(HandoverNotice.objects.values_list("worker_id", flat=True)) == {w.pk for w in workers if w.pk % 2 == 0}
    # The next run texts the members of the part that stopped, and nobody twice.
    monkeypatch.setattr(handover, "_handover_part", part)
    assert handover_run(today=dt.date(2026, 7, 1), thresholds=[30], parts_runner=in_turn).sent == sum(
        1 for w in workers if w.pk % 2 == 1
    )
    assert HandoverNotice.objects.count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_command_texts_a_cohort_in_forked_sessions_each_member_once(regions, settings):
    """PostgreSQL: the daily command's parts run at once in forked processes, each with its own connection."""
    from django.db import connection

    from rangkul.contributions.tests.factories import ensure_reference_data
    from rangkul.sponsorships.models import HandoverNotice

    if connection.vendor != "postgresql":
        pytest.skip("several writing sessions need PostgreSQL")
    ensure_reference_data()
    settings.SPONSORSHIP_HANDOVER_DAYS = [30]
    settings.SPONSORSHIP_HANDOVER_PARTS = 2
    org = sponsor()
    workers = [member(organisation_code=org.code) for _ in range(6)]
    cohort = _active(org, workers)
    out = io.StringIO()
    call_command("send_sponsorship_handovers", "--date", "2026-07-01", stdout=out)
    assert json.loads(out.getvalue()) == {"sponsorships": 1, "sent": 6, "win_back": 0}
    texted = dict(HandoverNotice.objects.filter(sponsorship=cohort).values_list("worker_id", "payment_code"))
    assert texted == {w.pk: member_payment_code(w.membership_number) for w in workers}


def test_a_long_run_logs_its_progress_without_personal_data(regions, monkeypatch, caplog):
    from rangkul.sponsorships import handover

    monkeypatch.setattr(handover, "CHUNK", 2)
    org = sponsor()
    workers = [member(organisation_code=org.code) for _ in range(5)]
    cohort = _active(org, workers)
    with caplog.at_level("INFO", logger="rangkul"):
        assert handover_run(today=dt.date(2026, 7, 1), thresholds=[30]).sent == 5
    progress = [r.getMessage() for r in caplog.records if "members" in r.getMessage()]
    assert progress == [
        f"sponsorship_handover {cohort.code} part 1/1: 2 of 5 members",
        f"sponsorship_handover {cohort.code} part 1/1: 4 of 5 members",
    ]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert not any(w.phone in logged or w.membership_number in logged or w.nik in logged for w in workers)
