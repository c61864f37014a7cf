"""The daily reminder run: who gets which text on which day, once, in Indonesian, never with the NIK."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from rangkul.audit.actors import Actor
from rangkul.contributions.models import MemberStatus
from rangkul.contributions.rules import rulebook_cache_clear
from rangkul.contributions.selectors import month_total_idr, paid_pairs
from rangkul.contributions.services import member_status_refresh, payment_allocate
from rangkul.contributions.tests.factories import at, ensure_reference_data, member
from rangkul.core.periods import Period
from rangkul.messaging.backends import SmsDeliveryError, locmem
from rangkul.outreach import services as services_module
from rangkul.outreach import tasks as tasks_module
from rangkul.outreach.models import Reminder
from rangkul.outreach.reminders import reminder_policy
from rangkul.outreach.services import reminders_deliver_now, reminders_send
from rangkul.registry.models import Worker

REGISTERED = dt.date(2026, 1, 5)
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
SUMMARY_KEYS = {"members_scanned", "due_soon", "missed", "lapsed", "already_sent"}


@pytest.fixture(autouse=True)
def _clean(settings):
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    settings.REMINDER_KINDS = ["due_soon", "missed", "lapsed"]
    settings.REMINDER_DAYS_BEFORE_DUE = 3
    settings.REMINDER_LAPSED_WITHIN_DAYS = 60
    rulebook_cache_clear()
    locmem.clear()
    yield
    locmem.clear()
    rulebook_cache_clear()


def paid_member(*, through: Period | None, paid_on: dt.date = dt.date(2026, 1, 10), **overrides) -> Worker:
    """A member registered on 5 January 2026 who paid every month from January to ``through``."""
    worker = member(registered_on=REGISTERED, **overrides)
    if through is not None:
        months = range(through - Period(2026, 1) + 1)
        amount = sum(
            month_total_idr(
                declared_income_idr=1_000_000, jht=False, sector="non_transport", period=Period(2026, 1) + i
            )
            or 0
            for i in months
        )
        payment_allocate(
            actor=Actor.system("test"),
            worker=worker,
            amount_idr=amount,
            payment_reference=f"P-{worker.pk}",
            channel="sandbox",
            paid_at=at(paid_on),
        )
    return worker


def run(day: dt.date, *workers: Worker, refresh: bool = True, **kwargs) -> dict[str, int]:
    """The day's run, after the daily review brought the members' statuses up to that day."""
    if refresh:
        for worker in workers:
            member_status_refresh(worker=worker, today=day)
    return reminders_send(today=day, **kwargs)


def sent() -> list[locmem.SmsMessage]:
    """Reminder texts in the outbox (registration's welcome texts left out)."""
    return [m for m in locmem.outbox if m.purpose.startswith("reminder_")]


def reminded(worker: Worker) -> list[tuple[str, str]]:
    return sorted((r.kind, str(r.period)) for r in Reminder.objects.filter(worker=worker))


# --- who gets which reminder ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # May 2026: due on Friday the 15th. Three days before is the first day of "due soon".
        (dt.date(2026, 5, 11), []),
        (dt.date(2026, 5, 12), [("due_soon", "2026-05")]),
        (dt.date(2026, 5, 15), [("due_soon", "2026-05")]),
        # The day after the due date the month is missed: in arrears, still payable.
        (dt.date(2026, 5, 16), [("missed", "2026-05")]),
        (dt.date(2026, 6, 11), [("missed", "2026-05")]),
    ],
)
def test_due_soon_and_missed_around_the_due_date(regions, day, expected):
    worker = paid_member(through=Period(2026, 4))
    run(day, worker)
    assert reminded(worker) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # August 2026: the 15th is a Saturday and Monday the 17th is Independence Day, so the
        # contribution is due on Tuesday the 18th; "due soon" starts three days before that.
        (dt.date(2026, 8, 14), []),
        (dt.date(2026, 8, 15), [("due_soon", "2026-08")]),
        (dt.date(2026, 8, 17), [("due_soon", "2026-08")]),
        (dt.date(2026, 8, 18), [("due_soon", "2026-08")]),
        (dt.date(2026, 8, 19), [("missed", "2026-08")]),
    ],
)
def test_holiday_shifted_due_date(regions, day, expected):
    worker = paid_member(through=Period(2026, 7))
    run(day, worker)
    assert reminded(worker) == expected


@pytest.mark.django_db
def test_paid_month_gets_no_reminder(regions):
    paid = paid_member(through=Period(2026, 5))
    prepaid = paid_member(through=Period(2026, 9))
    unpaid = paid_member(through=Period(2026, 4))
    summary = run(dt.date(2026, 5, 13), paid, prepaid, unpaid)
    assert reminded(paid) == reminded(prepaid) == []
    assert reminded(unpaid) == [("due_soon", "2026-05")]
    assert summary == {"members_scanned": 3, "due_soon": 1, "missed": 0, "lapsed": 0, "already_sent": 0}


@pytest.mark.django_db
def test_an_opted_out_number_gets_no_reminder(regions):
    from rangkul.messaging.optout import sms_inbound_handle

    stays = paid_member(through=Period(2026, 4))
    leaves = paid_member(through=Period(2026, 4))
    assert sms_inbound_handle(sender=leaves.phone, body="BERHENTI")
    run(dt.date(2026, 5, 13), stays, leaves)
    assert reminded(stays) == [("due_soon", "2026-05")]
    assert reminded(leaves) == []


@pytest.mark.django_db
def test_a_month_paid_since_the_status_was_stored_gets_no_reminder(regions):
    # The stored status still says "paid through April"; the May payment is in the paid months.
    worker = paid_member(through=Period(2026, 4))
    member_status_refresh(worker=worker, today=dt.date(2026, 5, 1))
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=8_400,
        payment_reference="MAY",
        channel="sandbox",
        paid_at=at(dt.date(2026, 5, 2)),
    )
    MemberStatus.objects.filter(worker=worker).update(paid_through=Period(2026, 4))
    assert run(dt.date(2026, 5, 13), refresh=False)["due_soon"] == 0


@pytest.mark.django_db
def test_members_who_never_paid_get_no_reminder(regions):
    worker = paid_member(through=None)
    member_status_refresh(worker=worker, today=dt.date(2026, 5, 13))
    assert run(dt.date(2026, 5, 13), refresh=False)["members_scanned"] == 1
    assert reminded(worker) == []


@pytest.mark.django_db
def test_missed_until_the_arrears_deadline_then_lapsed(regions):
    # Paid January and February only. March (due 16 March), April and May go unpaid: the fourth
    # unpaid month (June, due 15 June) ends the membership, so arrears must be paid by 15 June.
    worker = paid_member(through=Period(2026, 2))
    run(dt.date(2026, 6, 15), worker)
    assert reminded(worker) == [("due_soon", "2026-06"), ("missed", "2026-05")]
    status = worker.contribution_status
    status.refresh_from_db()
    assert (status.status, status.pay_arrears_by) == ("in_arrears", dt.date(2026, 6, 15))


@pytest.mark.django_db
def test_no_missed_reminder_once_the_arrears_deadline_has_passed(regions):
    worker = paid_member(through=Period(2026, 2))
    member_status_refresh(worker=worker, today=dt.date(2026, 6, 15))
    # The stored status is a day old (the review has not run yet): its deadline has passed.
    run(dt.date(2026, 6, 16), refresh=False)
    assert reminded(worker) == []


@pytest.mark.django_db
def test_lapsed_once_after_the_membership_ended(regions, settings):
    worker = paid_member(through=Period(2026, 2))
    run(dt.date(2026, 6, 16), worker)
    assert reminded(worker) == [("lapsed", "2026-06")]
    # One win-back per ended episode, however many days the run sees the member ended.
    assert run(dt.date(2026, 7, 20), worker)["lapsed"] == 0
    assert reminded(worker) == [("lapsed", "2026-06")]


@pytest.mark.django_db
def test_old_lapses_are_not_texted(regions, settings):
    settings.REMINDER_LAPSED_WITHIN_DAYS = 30
    worker = paid_member(through=Period(2026, 2))
    assert run(dt.date(2026, 7, 16), worker)["lapsed"] == 1  # ended 16 June: 30 days ago
    other = paid_member(through=Period(2026, 2))
    assert run(dt.date(2026, 7, 17), other)["lapsed"] == 0  # 31 days ago
    assert reminded(other) == []


@pytest.mark.django_db
def test_disabled_kinds_and_days_before_come_from_settings(regions, settings):
    settings.REMINDER_KINDS = ["missed"]
    worker = paid_member(through=Period(2026, 4))
    assert run(dt.date(2026, 5, 13), worker)["due_soon"] == 0
    settings.REMINDER_KINDS = ["due_soon"]
    settings.REMINDER_DAYS_BEFORE_DUE = 5
    assert run(dt.date(2026, 5, 10), worker)["due_soon"] == 1


@pytest.mark.django_db
def test_members_without_a_number_or_merged_get_nothing(regions):
    no_phone = paid_member(through=Period(2026, 4))
    merged = paid_member(through=Period(2026, 4))
    Worker.objects.filter(pk=no_phone.pk).update(phone="")
    Worker.objects.filter(pk=merged.pk).update(status="merged")
    summary = run(dt.date(2026, 5, 13), no_phone, merged)
    assert summary["members_scanned"] == 2 and summary["due_soon"] == 0
    assert Reminder.objects.count() == 0


@pytest.mark.django_db
def test_paid_pairs_for_close_and_scattered_members(regions):
    workers = [paid_member(through=Period(2026, 4) if i % 2 else None) for i in range(10)]
    ids = [w.pk for w in workers]
    april, may = Period(2026, 4), Period(2026, 5)
    # A page of neighbours (a range over the index) and two far apart (a list of ids).
    assert paid_pairs(worker_ids=ids[2:5], periods=[april, may]) == {(ids[3], april)}
    assert paid_pairs(worker_ids=[ids[0], ids[9]], periods=[april]) == {(ids[9], april)}
    assert paid_pairs(worker_ids=[], periods=[april]) == set()


def test_arrears_window_from_the_rule_book_bounds_missed():
    due = {Period(2026, 4): dt.date(2026, 4, 15), Period(2026, 5): dt.date(2026, 5, 15)}
    common = {"kinds": ["missed"], "days_before": 3, "lapsed_within_days": 60, "due": due.__getitem__}
    # A rule version with no arrears window: last month's missed payment can no longer be paid.
    closed = reminder_policy(today=dt.date(2026, 5, 2), arrears_window_months=lambda p: 0, **common)
    assert closed.missed == Period(2026, 4) and not closed.missed_payable
    open_ = reminder_policy(today=dt.date(2026, 5, 2), arrears_window_months=lambda p: 3, **common)
    assert open_.missed_payable and open_.missed_deadline == dt.date(2026, 7, 31)


# --- once, and only after the commit -------------------------------------------------------------


@pytest.mark.django_db
def test_a_rerun_reminds_nobody_twice(regions, django_capture_on_commit_callbacks):
    workers = [paid_member(through=Period(2026, 4)) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        first = run(dt.date(2026, 5, 12), *workers, batch_size=2)
    assert first == {"members_scanned": 3, "due_soon": 3, "missed": 0, "lapsed": 0, "already_sent": 0}
    assert len(sent()) == 3
    with django_capture_on_commit_callbacks(execute=True):
        again = run(dt.date(2026, 5, 12), *workers, batch_size=2)
        next_day = run(dt.date(2026, 5, 13), *workers)
    assert again == next_day == {"members_scanned": 3, "due_soon": 0, "missed": 0, "lapsed": 0, "already_sent": 3}
    assert len(sent()) == 3
    assert Reminder.objects.filter(sent_at__isnull=False).count() == 3


@pytest.mark.django_db
def test_one_delivery_task_per_batch_with_sealed_arguments(regions, monkeypatch, django_capture_on_commit_callbacks):
    workers = [paid_member(through=Period(2026, 4)) for _ in range(5)]
    queued: list[dict] = []

    class FakeTask:
        @staticmethod
        def get_backend():
            return None

        @staticmethod
        def enqueue(**kwargs):
            queued.append(kwargs)

    monkeypatch.setattr(tasks_module, "reminders_deliver", FakeTask)
    with django_capture_on_commit_callbacks(execute=True):
        run(dt.date(2026, 5, 12), *workers, batch_size=2)
    assert [q["count"] for q in queued] == [2, 2, 1]
    dumped = json.dumps(queued)
    for worker in workers:
        assert worker.phone not in dumped and worker.membership_number not in dumped
    assert sent() == []  # queued, not sent


@pytest.mark.django_db
def test_delivery_text_is_indonesian_with_number_and_amount_never_the_nik(regions, django_capture_on_commit_callbacks):
    worker = paid_member(through=Period(2026, 4))
    arrears = paid_member(through=Period(2026, 2))
    lapsed = paid_member(through=Period(2026, 2))
    member_status_refresh(worker=lapsed, today=dt.date(2026, 6, 16))
    with django_capture_on_commit_callbacks(execute=True):
        run(dt.date(2026, 5, 12), worker, arrears)
        reminders_send(today=dt.date(2026, 6, 16))
    texts = {(m.to, m.purpose): m.body for m in sent()}
    assert texts[worker.phone, "reminder_due_soon"] == (
        f"Rangkul: iuran Mei 2026 sebesar Rp8.400 jatuh tempo 15 Mei 2026. No. kepesertaan "
        f"{worker.membership_number}. Bayar dengan kode bayar di bank, minimarket atau dompet digital."
    )
    # Unpaid since March: on 12 May the last month past its due date is April, and the arrears
    # must be paid by 15 June, when a fourth unpaid month would end the membership.
    assert texts[arrears.phone, "reminder_missed"] == (
        f"Rangkul: iuran April 2026 sebesar Rp8.400 belum dibayar. Bayar paling lambat 15 Juni 2026 agar "
        f"kepesertaan tidak berakhir. No. kepesertaan {arrears.membership_number}."
    )
    assert texts[lapsed.phone, "reminder_lapsed"] == (
        f"Rangkul: kepesertaan Anda berakhir karena iuran tidak dibayar. Lanjutkan dengan no. kepesertaan "
        f"{lapsed.membership_number} mulai Rp8.400/bulan; perlindungan aktif lagi setelah membayar."
    )
    assert len(sent()) == 4  # the member in arrears is also told May is due soon
    for w in (worker, arrears, lapsed):
        assert all(w.nik not in m.body for m in sent())


@pytest.mark.django_db
def test_delivery_skips_what_was_sent_and_keeps_refusals_unsent(
    regions, monkeypatch, django_capture_on_commit_callbacks
):
    workers = [paid_member(through=Period(2026, 4)) for _ in range(3)]
    queued: list[str] = []

    class FakeTask:
        @staticmethod
        def get_backend():
            return None

        @staticmethod
        def enqueue(*, sealed, count):
            queued.append(sealed)

    monkeypatch.setattr(tasks_module, "reminders_deliver", FakeTask)
    with django_capture_on_commit_callbacks(execute=True):
        run(dt.date(2026, 5, 12), *workers)
    [sealed] = queued
    refused = workers[1].phone

    class Flaky:
        def send_sms(self, *, to, body, purpose):
            if to == refused:
                raise SmsDeliveryError("refused")
            locmem.SmsBackend().send_sms(to=to, body=body, purpose=purpose)

    monkeypatch.setattr(services_module, "sms_backend_get", lambda: Flaky())
    first = reminders_deliver_now(sealed=sealed)
    assert (first.sent, first.skipped, first.failed) == (2, 0, 1)
    assert set(Reminder.objects.filter(sent_at__isnull=True).values_list("worker_id", flat=True)) == {workers[1].pk}
    # The same task again (a retry): what was sent is not sent twice; the refused one is tried again.
    monkeypatch.setattr(services_module, "sms_backend_get", lambda: locmem.SmsBackend())
    second = reminders_deliver_now(sealed=sealed)
    assert (second.sent, second.skipped, second.failed) == (1, 2, 0)
    assert sorted(m.to for m in sent()) == sorted(w.phone for w in workers)


@pytest.mark.django_db(transaction=True)
def test_a_failed_batch_leaves_nothing_and_a_rerun_continues(regions, monkeypatch):
    ensure_reference_data()
    workers = [paid_member(through=Period(2026, 4)) for _ in range(3)]
    for worker in workers:
        member_status_refresh(worker=worker, today=dt.date(2026, 5, 12))
    real_seal = services_module.seal
    calls = {"n": 0}

    def seal_failing_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("crash while writing the second batch")
        return real_seal(*args, **kwargs)

    monkeypatch.setattr(services_module, "seal", seal_failing_second_batch)
    with pytest.raises(RuntimeError):
        reminders_send(today=dt.date(2026, 5, 12), batch_size=1)
    # The first batch committed and was texted; the second left no row and texted nobody.
    assert list(Reminder.objects.values_list("worker_id", flat=True)) == [workers[0].pk]
    assert [m.to for m in sent()] == [workers[0].phone]
    monkeypatch.setattr(services_module, "seal", real_seal)
    summary = reminders_send(today=dt.date(2026, 5, 12), batch_size=1)
    assert summary == {"members_scanned": 3, "due_soon": 2, "missed": 0, "lapsed": 0, "already_sent": 1}
    assert sorted(m.to for m in sent()) == sorted(w.phone for w in workers)


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_with_database_tasks_a_failed_batch_leaves_no_task(regions, monkeypatch):
    ensure_reference_data()
    workers = [paid_member(through=Period(2026, 4)) for _ in range(3)]
    for worker in workers:
        member_status_refresh(worker=worker, today=dt.date(2026, 5, 12))
    real_seal = services_module.seal
    calls = {"n": 0}

    def seal_failing_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("crash while writing the second batch")
        return real_seal(*args, **kwargs)

    monkeypatch.setattr(services_module, "seal", seal_failing_second_batch)
    with pytest.raises(RuntimeError):
        reminders_send(today=dt.date(2026, 5, 12), batch_size=1)
    # The task row was written in the batch's transaction: one committed batch, one task.
    tasks = DBTaskResult.objects.filter(task_path="rangkul.outreach.tasks.reminders_deliver")
    assert tasks.count() == 1 and Reminder.objects.count() == 1
    assert sent() == []  # queued for a worker, not sent


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_text_each_member_once(regions):
    ensure_reference_data()
    workers = [paid_member(through=Period(2026, 4)) for _ in range(12)]
    for worker in workers:
        member_status_refresh(worker=worker, today=dt.date(2026, 5, 12))
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def go():
        try:
            barrier.wait()
            results.append(reminders_send(today=dt.date(2026, 5, 12), batch_size=4))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r["due_soon"] for r in results) == 12
    assert sum(r["already_sent"] for r in results) == 12
    assert Reminder.objects.count() == 12
    assert sorted(m.to for m in sent()) == sorted(w.phone for w in workers)


# --- the command ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_prints_the_one_line_summary(regions, django_capture_on_commit_callbacks):
    worker = paid_member(through=Period(2026, 4))
    member_status_refresh(worker=worker, today=dt.date(2026, 5, 12))
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--date", "2026-05-12", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert set(summary) == SUMMARY_KEYS
    assert summary == {"members_scanned": 1, "due_soon": 1, "missed": 0, "lapsed": 0, "already_sent": 0}


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["2026-13-01", "12/05/2026", "kemarin", " "])
def test_command_refuses_a_bad_date_with_a_message(bad):
    with pytest.raises(CommandError) as error:
        call_command("send_reminders", "--date", bad)
    assert "YYYY-MM-DD" in str(error.value)


@pytest.mark.django_db
def test_command_refuses_a_day_without_rules(regions):
    with pytest.raises(CommandError) as error:
        call_command("send_reminders", "--date", "1990-01-10")
    assert "1990" in str(error.value)


@pytest.mark.django_db
def test_command_refuses_a_batch_size_below_one():
    with pytest.raises(CommandError) as error:
        call_command("send_reminders", "--date", "2026-05-12", "--batch-size", "0")
    assert "--batch-size" in str(error.value)


@pytest.mark.django_db
def test_reminders_are_also_emailed_to_members_with_an_address(
    regions, settings, mailoutbox, django_capture_on_commit_callbacks
):
    from rangkul.messaging.models import OutboundMessage
    from rangkul.messaging.optout import optout_record
    from rangkul.registry.tests.factories import make_nik

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.REMINDER_EMAIL_COPY = True
    nik = make_nik(serial=8123)
    mailed = paid_member(through=Period(2026, 4), email="budi@example.id", nik=nik)
    texted_only = paid_member(through=Period(2026, 4))
    opted = paid_member(through=Period(2026, 4), email="siti@example.id")
    optout_record(phone=opted.phone, source="link")
    with django_capture_on_commit_callbacks(execute=True):
        run(dt.date(2026, 5, 13), mailed, texted_only, opted)

    assert sorted(m.to for m in sent()) == sorted([mailed.phone, texted_only.phone])
    assert [m.to for m in mailoutbox] == [["budi@example.id"]]
    email = mailoutbox[0]
    sms = next(m for m in sent() if m.to == mailed.phone)
    assert email.body.startswith(sms.body + "\n\n-- \n")
    assert email.extra_headers["List-Unsubscribe"].strip("<>") in email.body
    assert email.subject and nik not in email.message().as_string()
    assert OutboundMessage.objects.get(channel="email").purpose == "reminder_due_soon"

    # A rerun reminds nobody twice, by either channel.
    with django_capture_on_commit_callbacks(execute=True):
        run(dt.date(2026, 5, 14), mailed, texted_only, opted)
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_email_copies_of_reminders_can_be_switched_off(
    regions, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.REMINDER_EMAIL_COPY = False
    worker = paid_member(through=Period(2026, 4), email="budi@example.id")
    with django_capture_on_commit_callbacks(execute=True):
        run(dt.date(2026, 5, 13), worker)
    assert [m.to for m in sent()] == [worker.phone] and mailoutbox == []
