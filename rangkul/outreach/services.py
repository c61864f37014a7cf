"""The reminder run and the welcome text; the sending itself is rangkul.messaging's.

Messages are sealed with the messaging layer's purpose ("sms") before they reach the task
table, so it holds neither phone numbers nor texts in clear, and no NIK is ever part of a
message.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from rangkul.contributions.selectors import MemberStatusRow, member_statuses_page, month_total_idr, paid_pairs
from rangkul.core.crypto import seal, unseal
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period
from rangkul.core.tasks import enqueue_on_commit
from rangkul.messaging.backends import SmsDeliveryError
from rangkul.messaging.models import MessageChannel
from rangkul.messaging.optout import opted_out_phones
from rangkul.messaging.queue import message_queue
from rangkul.messaging.services import SEAL_PURPOSE, sms_backend_get, sms_send_now
from rangkul.outreach.models import Reminder, ReminderChannel
from rangkul.outreach.optout_links import email_text, optout_url
from rangkul.outreach.reminders import KINDS, ReminderPolicy, Wanted, reminder_policy, reminders_wanted
from rangkul.outreach.sql import reminders_insert
from rangkul.registry.models import Worker

logger = logging.getLogger(__name__)


def outreach_welcome_send(*, worker: Any) -> None:
    """Welcome text after registration (the registry's worker_send_welcome task calls this).

    Already inside a task, so it sends directly. Carries the membership number,
    never the NIK. Written in the site language: a task has no visitor's language.
    """
    with translation.override(settings.LANGUAGE_CODE):
        body = _(
            "Welcome to Rangkul. Your membership number is %(number)s. "
            "Protection (JKK and JKM) starts once your first contribution is paid."
        ) % {"number": worker.membership_number}
    sms_send_now(to=worker.phone, body=body, purpose="welcome")


# --- The reminder run ---------------------------------------------------------------------------


def reminder_settings_policy(*, today: dt.date) -> ReminderPolicy:
    """The day's policy from the settings (RANGKUL_REMINDER_*) and the contribution rule book."""
    return reminder_policy(
        today=today,
        kinds=settings.REMINDER_KINDS,
        days_before=settings.REMINDER_DAYS_BEFORE_DUE,
        lapsed_within_days=settings.REMINDER_LAPSED_WITHIN_DAYS,
    )


def reminders_send(*, today: dt.date | None = None, batch_size: int | None = None) -> dict[str, int]:
    """The daily reminder run over every member with a stored status.

    Members are read in pages by member id (keyset pagination); each page is decided with
    a few statements and committed on its own: its reminder rows and, after the commit,
    one delivery task carrying the page's sealed messages. A failed page leaves nothing
    behind; running again continues, because a reminder already recorded is never
    inserted (nor texted) again: the counts say ``already_sent``.
    """
    today = today or timezone.localdate()
    size = batch_size or settings.REMINDER_BATCH_SIZE
    policy = reminder_settings_policy(today=today)
    texts = _Texts(policy)
    totals = {"members_scanned": 0, **dict.fromkeys(KINDS, 0), "already_sent": 0}
    after = 0
    while True:
        rows = member_statuses_page(after_worker_id=after, limit=size)
        if not rows:
            break
        counts = _reminders_batch(rows=rows, policy=policy, texts=texts)
        totals["members_scanned"] += len(rows)
        for key, value in counts.items():
            totals[key] += value
        after = rows[-1].worker_id
    logger.info("reminder run %s: %s", today.isoformat(), json.dumps(totals))
    return totals


@transaction.atomic
def _reminders_batch(*, rows: Sequence[MemberStatusRow], policy: ReminderPolicy, texts: _Texts) -> dict[str, int]:
    # A number that opted out (STOP, the link, the portal) gets no reminders either.
    opted = opted_out_phones(row.phone for row in rows)
    wanted = [(row, want) for row in rows if row.phone not in opted for want in reminders_wanted(row, policy)]
    to_check = {row.worker_id for row, want in wanted if want.needs_paid_check}
    paid = paid_pairs(worker_ids=sorted(to_check), periods={want.period for _row, want in wanted})
    due = [(row, want) for row, want in wanted if (row.worker_id, want.period) not in paid]
    counts = dict.fromkeys(KINDS, 0)
    counts["already_sent"] = 0
    if not due:
        return counts
    now = timezone.now()
    inserted = reminders_insert(
        [(row.worker_id, want.period, want.kind) for row, want in due], channel=ReminderChannel.SMS, now=now
    )
    counts["already_sent"] = len(due) - len(inserted)
    messages = []
    for row, want in due:
        reminder_id = inserted.get((row.worker_id, want.kind))
        if reminder_id is None:
            continue
        counts[want.kind] += 1
        messages.append([reminder_id, row.phone, texts.body(row, want), want.kind])
    if messages:
        _email_copies(messages, worker_of={pk: worker_id for (worker_id, _kind), pk in inserted.items()})
        from rangkul.outreach.tasks import reminders_deliver

        # One task per page, not per member; the task table holds the page sealed (numbers and
        # texts), never in clear. Queued with the page's transaction (in it when tasks live in
        # the database, else after the commit): a rolled-back page texts nobody, and a
        # committed page always has its task.
        sealed = seal(json.dumps(messages, ensure_ascii=False), purpose=SEAL_PURPOSE)
        enqueue_on_commit(reminders_deliver, sealed=sealed, count=len(messages))
    return counts


def _email_copies(messages: Sequence[list[Any]], *, worker_of: dict[int, int]) -> None:
    """An e-mail copy of each reminder for members who gave an address (``REMINDER_EMAIL_COPY``).

    Queued in the outbound queue with the page's transaction (sealed, retried with backoff, failures
    reported) and handed over after the commit; the text is the SMS's, then the opt-out link.
    """
    if not settings.REMINDER_EMAIL_COPY:
        return
    wanted = {worker_of[m[0]] for m in messages}
    emails = dict(Worker.objects.filter(pk__in=sorted(wanted)).exclude(email="").values_list("pk", "email"))
    if not emails:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Rangkul: about your contributions")
    queued = []
    for reminder_id, _phone, body, kind in messages:
        worker_id = worker_of[reminder_id]
        if worker_id in emails:
            stop_link = optout_url(worker_id)
            message = message_queue(
                channel=MessageChannel.EMAIL,
                to=emails[worker_id],
                body=email_text(body, stop_link=stop_link),
                subject=subject,
                unsubscribe_url=stop_link,
                purpose=f"reminder_{kind}",
            )
            queued.append(message.pk)
    from rangkul.messaging.tasks import messages_deliver_now

    enqueue_on_commit(messages_deliver_now, ids=queued)


class _Texts:
    """The run's messages in the site language; months, dates and prices worked out once per run."""

    def __init__(self, policy: ReminderPolicy) -> None:
        self.policy = policy
        self.prices: dict[tuple[int, bool, str, Period], str] = {}
        with translation.override(settings.LANGUAGE_CODE):
            self.months = {p: date_format(p.first_day, "F Y") for p in (policy.upcoming, policy.missed, policy.current)}
            self.upcoming_due = date_format(policy.upcoming_due, "j F Y")
            self.missed_deadline = date_format(policy.missed_deadline, "j F Y")
            self.templates = {
                "due_soon": _(
                    "Rangkul: contribution for %(month)s, %(amount)s, is due %(due)s. Membership no. %(number)s. "
                    "Pay with a payment code at a bank, minimarket or e-wallet."
                ),
                "missed": _(
                    "Rangkul: contribution for %(month)s, %(amount)s, is unpaid. Pay by %(deadline)s so your "
                    "membership does not end. Membership no. %(number)s."
                ),
                "lapsed": _(
                    "Rangkul: your membership ended because contributions were unpaid. Resume with membership "
                    "no. %(number)s from %(amount)s a month; protection starts again once you pay."
                ),
            }
            self.no_amount = _("the amount on your bill")
        self.deadlines: dict[dt.date, str] = {}

    def price(self, row: MemberStatusRow, period: Period) -> str:
        key = (row.declared_income_idr, row.jht, row.sector, period)
        price = self.prices.get(key)
        if price is None:
            # A handful of income levels, programmes and sectors: each priced once per run.
            amount = month_total_idr(
                declared_income_idr=row.declared_income_idr, jht=row.jht, sector=row.sector, period=period
            )
            price = self.prices[key] = format_rupiah(amount) if amount is not None else self.no_amount
        return price

    def deadline(self, row: MemberStatusRow) -> str:
        # The stored deadline is earlier than the window's end when the membership would end first.
        day = row.pay_arrears_by
        if day is None or day > self.policy.missed_deadline:
            return self.missed_deadline
        if day not in self.deadlines:
            with translation.override(settings.LANGUAGE_CODE):
                self.deadlines[day] = date_format(day, "j F Y")
        return self.deadlines[day]

    def body(self, row: MemberStatusRow, want: Wanted) -> str:
        """The text for one member: membership number, month and amount; never the NIK."""
        values = {"number": row.membership_number}
        if want.kind == "due_soon":
            values |= {"month": self.months[want.period], "amount": self.price(row, want.period)}
            values["due"] = self.upcoming_due
        elif want.kind == "missed":
            values |= {"month": self.months[want.period], "amount": self.price(row, want.period)}
            values["deadline"] = self.deadline(row)
        else:
            # To resume, the member pays from the current month (earlier months are no longer owed).
            values["amount"] = self.price(row, self.policy.current)
        return self.templates[want.kind] % values


@dataclass(frozen=True)
class DeliveryOutcome:
    sent: int
    skipped: int
    failed: int


def reminders_deliver_now(*, sealed: str, chunk_size: int = 200) -> DeliveryOutcome:
    """Send a page of sealed reminders through the SMS backend (the delivery task calls this).

    A reminder already marked sent is skipped, so a retried task does not text twice what
    it sent before; ``sent_at`` is written per chunk. A message the provider refuses stays
    unsent and is counted; nothing about it (number, text) is logged.
    """
    messages: list[list[Any]] = json.loads(unseal(sealed, purpose=SEAL_PURPOSE))
    backend = sms_backend_get()
    sent = skipped = failed = 0
    for start in range(0, len(messages), chunk_size):
        chunk = messages[start : start + chunk_size]
        done = set(
            Reminder.objects.filter(pk__in=[m[0] for m in chunk], sent_at__isnull=False).values_list("pk", flat=True)
        )
        delivered = []
        for reminder_id, to, body, kind in chunk:
            if reminder_id in done:
                skipped += 1
                continue
            try:
                backend.send_sms(to=to, body=body, purpose=f"reminder_{kind}")
            except SmsDeliveryError:
                failed += 1
                continue
            delivered.append(reminder_id)
        if delivered:
            Reminder.objects.filter(pk__in=delivered).update(sent_at=timezone.now())
        sent += len(delivered)
    logger.info("reminders delivered sent=%s skipped=%s failed=%s", sent, skipped, failed)
    return DeliveryOutcome(sent=sent, skipped=skipped, failed=failed)
