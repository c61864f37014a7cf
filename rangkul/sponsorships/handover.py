"""The hand-over: before a sponsorship's last day each member is told it ends and what continuing costs.

The thresholds are days before the sponsorship's last day (``SPONSORSHIP_HANDOVER_DAYS``,
default 30 and 7). A run on day D texts, for each active sponsorship, the members not yet
texted for the smallest threshold that D has reached, so a day the run did not happen is
caught up by the next run and nobody gets the same text twice (unique per member and
threshold). The continuation rate — the share of members who paid at least one month of
their own within 3 months after the end — is the sponsor's headline figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.contributions.member_bills import IssuedBill, member_bills_issue_until
from rangkul.contributions.models import ContributionMonth
from rangkul.contributions.payment_codes import payment_code_format
from rangkul.contributions.quotes import Quote, price_month
from rangkul.contributions.rules import rules_memo_for_run
from rangkul.contributions.schedule import RulesFor
from rangkul.contributions.selectors import rules_for_memo
from rangkul.contributions.status_memo import StatusMemo
from rangkul.core.bulk import insert_many
from rangkul.core.errors import ApplicationError
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period, period_range
from rangkul.messaging.models import MessageChannel
from rangkul.messaging.queue import messages_queue_many
from rangkul.registry.models import Worker
from rangkul.sponsorships.models import (
    HandoverNotice,
    SponsoredMonth,
    Sponsorship,
    SponsorshipMember,
    SponsorshipStatus,
)
from rangkul.sponsorships.pricing import member_programs

CONTINUATION_MONTHS = 3
CHUNK = 2000


def handover_threshold(*, last_day: dt.date, today: dt.date, thresholds: list[int]) -> int | None:
    """The smallest threshold reached on ``today`` (days before ``last_day``), or ``None``."""
    days_left = (last_day - today).days
    if days_left < 0:
        return None
    reached = [d for d in thresholds if days_left <= d]
    return min(reached) if reached else None


@dataclass(frozen=True)
class HandoverSummary:
    sponsorships: int
    sent: int


@transaction.atomic
def handover_run(*, today: dt.date, thresholds: list[int] | None = None) -> HandoverSummary:
    # Each member's bill looks the same months' rule versions up: read them once for the run.
    with rules_memo_for_run():
        return _handover_run(today=today, thresholds=thresholds)


def _handover_run(*, today: dt.date, thresholds: list[int] | None) -> HandoverSummary:
    thresholds = sorted(thresholds if thresholds is not None else settings.SPONSORSHIP_HANDOVER_DAYS)
    rules_for = rules_for_memo()
    # Sponsored members mostly share the shape of their history: one simulation per shape.
    memo = StatusMemo(today=today, rules_for=rules_for)
    quotes: dict[tuple[Any, ...], Quote] = {}  # the members' bills' prices, shared by the run
    prices: dict[tuple[object, ...], str] = {}
    touched = sent = 0
    for sponsorship in Sponsorship.objects.filter(status=SponsorshipStatus.ACTIVE).select_related("organisation"):
        threshold = handover_threshold(last_day=sponsorship.end_month.last_day, today=today, thresholds=thresholds)
        if threshold is None:
            continue
        members = SponsorshipMember.objects.filter(sponsorship=sponsorship).exclude(
            worker_id__in=HandoverNotice.objects.filter(
                sponsorship=sponsorship, kind=HandoverNotice.Kind.HANDOVER, days_before=threshold
            ).values("worker_id")
        )
        notices = []
        texts: list[tuple[str, str]] = []
        following = sponsorship.end_month + 1
        # The code stays valid to the end of the first month the member pays alone.
        expires = timezone.make_aware(dt.datetime.combine(following.last_day, dt.time(23, 59)))
        with translation.override(settings.LANGUAGE_CODE):
            last_month = date_format(sponsorship.end_month.first_day, "F Y")
            next_month = date_format(following.first_day, "F Y")
            valid_until = date_format(following.last_day, "j F Y")
            for chunk in _member_chunks(members):
                # The members' own bills, a chunk at a time in set statements (``member_bills``).
                codes = member_bills_issue_until(
                    actor=Actor.system("handover"),
                    workers=chunk,
                    until=following,
                    today=today,
                    expires_at=expires,
                    rules_for=rules_for,
                    memo=memo,
                    prices=quotes,
                )
                for worker in chunk:
                    values = {
                        "sponsor": sponsorship.organisation.name,
                        "month": last_month,
                        "next": next_month,
                        "number": worker.membership_number,
                        "amount": _own_price(worker, following, rules_for, prices),
                    }
                    body = (
                        _(
                            "Rangkul: your social security contributions are paid by %(sponsor)s until %(month)s. "
                            "From %(next)s continue on your own: %(amount)s a month, membership no. %(number)s, "
                            "at a bank, minimarket or e-wallet."
                        )
                        % values
                    )
                    code = codes.get(worker.pk)
                    body += _code_sentence(code, valid_until)
                    texts.append((worker.phone, body))
                    notices.append(
                        HandoverNotice(
                            sponsorship=sponsorship,
                            worker=worker,
                            days_before=threshold,
                            sent_on=today,
                            payment_code=code.payment_code if code else "",
                        )
                    )
        messages_queue_many(channel=MessageChannel.SMS, items=texts, purpose="sponsorship_handover")
        insert_many(HandoverNotice, notices)
        touched += 1
        sent += len(notices)
    return HandoverSummary(touched, sent)


def _code_sentence(code: IssuedBill | None, valid_until: str) -> str:
    """The sentence giving the member's own payment code, or nothing when no bill could be issued."""
    if code is None:
        return ""
    return " " + _("Payment code %(code)s (%(total)s), valid until %(day)s.") % {
        "code": payment_code_format(code.payment_code),
        "total": format_rupiah(code.amount_idr),
        "day": valid_until,
    }


def _member_chunks(members: Any) -> Iterator[list[Worker]]:
    """The members' rows (with their occupation), ``CHUNK`` at a time, in the members' order."""
    ids = list(members.values_list("worker_id", flat=True))
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        workers = Worker.objects.select_related("occupation").in_bulk(part)
        yield [workers[pk] for pk in part]


def _own_price(worker: Worker, period: Period, rules_for: RulesFor, memo: dict[tuple[object, ...], str]) -> str:
    """The member's own price for the month after the end (with any discount they have).

    Priced once per distinct (income, sector, programs, month) in a run: a cohort shares a few levels.
    """
    key = (worker.declared_income_idr, worker.occupation.sector, tuple(member_programs(worker)), period)
    if key not in memo:
        memo[key] = _price_text(worker, period, rules_for)
    return memo[key]


def _price_text(worker: Worker, period: Period, rules_for: RulesFor) -> str:
    try:
        quote = price_month(
            rules=rules_for(period),
            declared_income_idr=worker.declared_income_idr,
            programs=member_programs(worker),
            sector=worker.occupation.sector,
            period=period,
        )
    except ApplicationError:
        return _("the amount on your bill")
    return format_rupiah(quote.total_idr)


@dataclass(frozen=True)
class Continuation:
    members: int
    continued: int
    complete: bool  # the 3 months after the end have passed

    @property
    def rate(self) -> float | None:
        return self.continued / self.members if self.members else None


def continuation_rate(*, sponsorship: Sponsorship, today: dt.date) -> Continuation | None:
    """Members who paid at least one month of their own within 3 months after the end (``None`` before the end)."""
    end = sponsorship.end_month
    if today <= end.last_day:
        return None
    after = [p.first_day for p in period_range(end + 1, CONTINUATION_MONTHS)]
    own_month = ContributionMonth.objects.filter(worker_id=OuterRef("worker_id"), period__in=after).exclude(
        Exists(SponsoredMonth.objects.filter(worker_id=OuterRef("worker_id"), period=OuterRef("period")))
    )
    members = SponsorshipMember.objects.filter(sponsorship=sponsorship)
    return Continuation(
        members=members.count(),
        continued=members.filter(Exists(own_month)).count(),
        complete=today > (end + CONTINUATION_MONTHS).last_day,
    )


# --- win-back ------------------------------------------------------------------------------------


def _own_month(sponsorship: Sponsorship) -> Exists:
    """The member paid a month of their own after the sponsorship's end (within the continuation window)."""
    after = [p.first_day for p in period_range(sponsorship.end_month + 1, CONTINUATION_MONTHS)]
    return Exists(
        ContributionMonth.objects.filter(worker_id=OuterRef("worker_id"), period__in=after).exclude(
            Exists(SponsoredMonth.objects.filter(worker_id=OuterRef("worker_id"), period=OuterRef("period")))
        )
    )


@transaction.atomic
def winback_run(*, today: dt.date, days_after: int | None = None) -> HandoverSummary:
    """Text the members of a finished sponsorship who have not paid on their own: once, ``days_after`` its end.

    From that day until the continuation window closes (3 months after the end) a run texts
    the members not yet texted, so a missed day is caught up; a member who has paid a month
    of their own since the end is left alone. Each text carries a payment code for the
    member's next month at their own price.
    """
    with rules_memo_for_run():
        return _winback_run(today=today, days_after=days_after)


def _winback_run(*, today: dt.date, days_after: int | None) -> HandoverSummary:
    days_after = days_after if days_after is not None else settings.SPONSORSHIP_WINBACK_DAYS
    rules_for = rules_for_memo()
    memo = StatusMemo(today=today, rules_for=rules_for)
    quotes: dict[tuple[Any, ...], Quote] = {}
    touched = sent = 0
    expires = timezone.make_aware(dt.datetime.combine(Period.of(today).last_day, dt.time(23, 59)))
    for sponsorship in Sponsorship.objects.exclude(status=SponsorshipStatus.DRAFT).select_related("organisation"):
        last_day = sponsorship.end_month.last_day
        window_end = (sponsorship.end_month + CONTINUATION_MONTHS).last_day
        if not last_day + dt.timedelta(days=days_after) <= today <= window_end:
            continue
        members = (
            SponsorshipMember.objects.filter(sponsorship=sponsorship)
            .exclude(_own_month(sponsorship))
            .exclude(
                worker_id__in=HandoverNotice.objects.filter(
                    sponsorship=sponsorship, kind=HandoverNotice.Kind.WIN_BACK
                ).values("worker_id")
            )
        )
        notices = []
        texts: list[tuple[str, str]] = []
        with translation.override(settings.LANGUAGE_CODE):
            ended = date_format(sponsorship.end_month.first_day, "F Y")
            valid_until = date_format(Period.of(today).last_day, "j F Y")
            for chunk in _member_chunks(members):
                codes = member_bills_issue_until(
                    actor=Actor.system("handover"),
                    workers=chunk,
                    until=Period.of(today),
                    today=today,
                    expires_at=expires,
                    rules_for=rules_for,
                    memo=memo,
                    prices=quotes,
                )
                for worker in chunk:
                    code = codes.get(worker.pk)
                    body = _(
                        "Rangkul: the contributions %(sponsor)s paid for you ended in %(month)s and you are no longer "
                        "protected against work accidents and death. Continue on your own, membership no. %(number)s."
                    ) % {"sponsor": sponsorship.organisation.name, "month": ended, "number": worker.membership_number}
                    body += _code_sentence(code, valid_until)
                    texts.append((worker.phone, body))
                    notices.append(
                        HandoverNotice(
                            sponsorship=sponsorship,
                            worker=worker,
                            kind=HandoverNotice.Kind.WIN_BACK,
                            days_before=days_after,
                            sent_on=today,
                            payment_code=code.payment_code if code else "",
                        )
                    )
        messages_queue_many(channel=MessageChannel.SMS, items=texts, purpose="sponsorship_win_back")
        insert_many(HandoverNotice, notices)
        touched += 1
        sent += len(notices)
    return HandoverSummary(touched, sent)
