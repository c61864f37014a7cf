"""The hand-over: before a sponsorship's last day each member is told it ends and what continuing costs.

The thresholds are days before the sponsorship's last day (``SPONSORSHIP_HANDOVER_DAYS``,
default 30 and 7). A run on day D texts, for each active sponsorship, the members not yet
texted for the smallest threshold that D has reached, so a day the run did not happen is
caught up by the next run and nobody gets the same text twice (unique per member and
threshold). The continuation rate — the share of members who paid at least one month of
their own within 3 months after the end — is the sponsor's headline figure.

Each text carries the member's standing payment code (ADR 0047): the same code every month,
taking any amount, so a run writes no bill. A run works a chunk of members at a time, each
chunk's texts and notices in one transaction: a failure keeps the chunks done before it (their
texts go out), and the next run texts only those not yet texted.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from rangkul.contributions.models import ContributionMonth
from rangkul.contributions.payment_codes import member_payment_code, payment_code_format
from rangkul.contributions.quotes import price_month
from rangkul.contributions.rules import rules_memo_for_run
from rangkul.contributions.schedule import RulesFor
from rangkul.contributions.selectors import rules_for_memo
from rangkul.core.bulk import insert_rows
from rangkul.core.errors import ApplicationError, Conflict
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period, period_range
from rangkul.core.processes import PartsRunner, parallel_writers
from rangkul.messaging.models import MessageChannel
from rangkul.messaging.queue import messages_queue_many
from rangkul.registry.models import WorkerStatus, programs_for
from rangkul.sponsorships.errors import SponsorshipErrorCode
from rangkul.sponsorships.models import (
    HandoverNotice,
    SponsoredMonth,
    Sponsorship,
    SponsorshipMember,
    SponsorshipStatus,
)

CONTINUATION_MONTHS = 3
logger = logging.getLogger("rangkul")
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


def handover_run(
    *, today: dt.date, thresholds: list[int] | None = None, parts_runner: PartsRunner | None = None
) -> HandoverSummary:
    """Text the members due a hand-over text on ``today``; each chunk of members is its own transaction.

    With a ``parts_runner`` (the entry point's choice, ``core.processes``) and a database that
    takes several writing sessions at once, the members are split by their key among
    ``SPONSORSHIP_HANDOVER_PARTS`` parts run at once.
    """
    thresholds = sorted(thresholds if thresholds is not None else settings.SPONSORSHIP_HANDOVER_DAYS)
    due = []
    for sponsorship in Sponsorship.objects.filter(status=SponsorshipStatus.ACTIVE).select_related("organisation"):
        threshold = handover_threshold(last_day=sponsorship.end_month.last_day, today=today, thresholds=thresholds)
        if threshold is not None:
            due.append((sponsorship, threshold))
    work = partial(_handover_part, today=today, due=due)
    return _in_parts(due, kind=HandoverNotice.Kind.HANDOVER, work=work, parts_runner=parts_runner, name="handover")


def _in_parts(
    due: list[tuple[Sponsorship, int]],
    *,
    kind: str,
    work: Callable[..., None],
    parts_runner: PartsRunner | None,
    name: str,
) -> HandoverSummary:
    """Run ``work(number, parts=…)`` for each part (one part without a runner); how many were texted."""
    before = _texted_count(due, kind)
    parts = max(1, settings.SPONSORSHIP_HANDOVER_PARTS) if parts_runner and parallel_writers() else 1
    if parts == 1 or parts_runner is None:
        work(0, parts=1)
    else:
        failed = parts_runner(partial(work, parts=parts), parts, name=name)
        if failed:
            raise Conflict(
                _("The run stopped in %(parts)s; run it again to text the members not yet texted.")
                % {"parts": ", ".join(failed)},
                code=SponsorshipErrorCode.RUN_STOPPED,
            )
    return HandoverSummary(len(due), _texted_count(due, kind) - before)


def _texted_count(due: list[tuple[Sponsorship, int]], kind: str) -> int:
    return sum(
        HandoverNotice.objects.filter(sponsorship=sponsorship, kind=kind, days_before=days).count()
        for sponsorship, days in due
    )


def _handover_part(number: int, *, parts: int, today: dt.date, due: list[tuple[Sponsorship, int]]) -> None:
    """Part ``number`` of ``parts`` of a hand-over run: the due sponsorships' members whose key falls in it."""
    # Each member's price looks the same months' rule versions up: read them once for the run.
    with rules_memo_for_run():
        run = _Run.start(today, part=(number, parts))
        prices: dict[tuple[object, ...], str] = {}
        for sponsorship, threshold in due:
            # Correlated (NOT EXISTS, one index probe per member), never the whole sponsorship's notices per chunk.
            texted = Exists(
                HandoverNotice.objects.filter(
                    sponsorship=sponsorship,
                    kind=HandoverNotice.Kind.HANDOVER,
                    days_before=threshold,
                    worker_id=OuterRef("worker_id"),
                )
            )
            following = sponsorship.end_month + 1
            with translation.override(settings.LANGUAGE_CODE):
                values = {
                    "sponsor": sponsorship.organisation.name,
                    "month": date_format(sponsorship.end_month.first_day, "F Y"),
                    "next": date_format(following.first_day, "F Y"),
                }
                body = _(
                    "Rangkul: your social security contributions are paid by %(sponsor)s until %(month)s. "
                    "From %(next)s continue on your own: %(amount)s a month, membership no. %(number)s, "
                    "at a bank, minimarket or e-wallet."
                )
                text_for = partial(_member_text, body=body, values=values, period=following, run=run, prices=prices)
                _text_members(
                    run,
                    sponsorship=sponsorship,
                    members=SponsorshipMember.objects.filter(sponsorship=sponsorship).exclude(texted),
                    notice=(HandoverNotice.Kind.HANDOVER, threshold),
                    purpose="sponsorship_handover",
                    text_for=text_for,
                )


class _Member(NamedTuple):
    """What a text needs of a member, read as a plain row."""

    id: int
    membership_number: str
    phone: str
    declared_income_idr: int
    jht: bool
    sector: str


def _member_text(
    member: _Member,
    code: str,
    *,
    body: str,
    values: dict[str, str],
    period: Period,
    run: _Run,
    prices: dict[tuple[object, ...], str],
) -> str:
    """``body`` (translated once per sponsorship) for one member, with their own price for ``period``
    and their standing payment code."""
    amount = _own_price(member, period, run.rules_for, prices)
    return (body % {**values, "number": member.membership_number, "amount": amount}) + (
        run.code_sentence % {"code": payment_code_format(code)}
    )


@dataclass(frozen=True)
class _Run:
    """What a run's members share: the day and the rule versions; and which part of the members this
    process texts (``(number, parts)``, by member key)."""

    today: dt.date
    rules_for: RulesFor
    part: tuple[int, int]
    code_sentence: str  # translated once for the run

    @classmethod
    def start(cls, today: dt.date, *, part: tuple[int, int]) -> _Run:
        with translation.override(settings.LANGUAGE_CODE):
            sentence = " " + _("Your own payment code, the same every month: %(code)s.")
        return cls(today, rules_for_memo(), part, sentence)

    def own(self, members: Any) -> Any:
        """The members of this part: each member falls in one part by their key, whenever it runs."""
        number, parts = self.part
        if parts == 1:
            return members
        return members.annotate(part=F("worker_id") % parts).filter(part=number)


def _text_members(
    run: _Run,
    *,
    sponsorship: Sponsorship,
    members: Any,
    notice: tuple[str, int],
    purpose: str,
    text_for: Callable[[_Member, str], str],
) -> None:
    """Text the run's part of ``members`` a chunk at a time, each chunk's texts and notices in one
    transaction; each text carries the member's standing payment code.

    A chunk is a range of member keys; its members are read with ``members``' own conditions at
    that moment, so a member texted by another run since this one began is left out.
    """
    kind, days = notice
    members = run.own(members)
    ids = list(members.order_by("worker_id").values_list("worker_id", flat=True))
    number, parts = run.part
    for start in range(0, len(ids), CHUNK):
        if start:  # a long run's progress in the log: counts and the sponsorship's code, no personal data
            progress = (purpose, sponsorship.code, number + 1, parts, start, len(ids))
            logger.info("%s %s part %s/%s: %s of %s members", *progress)
        keys = ids[start : start + CHUNK]
        with transaction.atomic():
            texts: list[tuple[str, str]] = []
            notices: list[tuple[Any, ...]] = []
            for member in _chunk_members(members, first=keys[0], last=keys[-1]):
                code = member_payment_code(member.membership_number)
                texts.append((member.phone, text_for(member, code)))
                notices.append((sponsorship.pk, member.id, kind, days, run.today, code))
            messages_queue_many(channel=MessageChannel.SMS, items=texts, purpose=purpose)
            insert_rows(HandoverNotice, _NOTICE_COLUMNS, notices)


_NOTICE_COLUMNS = ("sponsorship_id", "worker_id", "kind", "days_before", "sent_on", "payment_code")


def _chunk_members(members: Any, *, first: int, last: int) -> list[_Member]:
    """The active members of ``members`` with keys from ``first`` to ``last``, as plain rows."""
    rows = (
        members.filter(worker_id__gte=first, worker_id__lte=last, worker__status=WorkerStatus.ACTIVE)
        .order_by("worker_id")
        .values_list(
            "worker_id",
            "worker__membership_number",
            "worker__phone",
            "worker__declared_income_idr",
            "worker__jht",
            "worker__occupation__sector",
        )
    )
    return [_Member(*row) for row in rows]


def _own_price(member: _Member, period: Period, rules_for: RulesFor, memo: dict[tuple[object, ...], str]) -> str:
    """The member's own price for ``period`` (with any discount they have).

    Priced once per distinct (income, sector, JHT, month) in a run: a cohort shares a few levels.
    """
    key = (member.declared_income_idr, member.sector, member.jht, period)
    text = memo.get(key)
    if text is None:
        text = memo[key] = _price_text(member, period, rules_for)
    return text


def _price_text(member: _Member, period: Period, rules_for: RulesFor) -> str:
    try:
        quote = price_month(
            rules=rules_for(period),
            declared_income_idr=member.declared_income_idr,
            programs=programs_for(jht=member.jht),
            sector=member.sector,
            period=period,
        )
    except ApplicationError:
        return _("your contribution")  # no rules priced the month: the cashier tells the amount
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


def winback_run(
    *, today: dt.date, days_after: int | None = None, parts_runner: PartsRunner | None = None
) -> HandoverSummary:
    """Text the members of a finished sponsorship who have not paid on their own: once, ``days_after`` its end.

    From that day until the continuation window closes (3 months after the end) a run texts
    the members not yet texted, so a missed day is caught up; a member who has paid a month
    of their own since the end is left alone. Each text carries a payment code for the
    member's next month at their own price. Each chunk of members is its own transaction;
    ``parts_runner`` as for ``handover_run``.
    """
    days_after = days_after if days_after is not None else settings.SPONSORSHIP_WINBACK_DAYS
    due = []
    for sponsorship in Sponsorship.objects.exclude(status=SponsorshipStatus.DRAFT).select_related("organisation"):
        last_day = sponsorship.end_month.last_day
        window_end = (sponsorship.end_month + CONTINUATION_MONTHS).last_day
        if last_day + dt.timedelta(days=days_after) <= today <= window_end:
            due.append((sponsorship, days_after))
    work = partial(_winback_part, today=today, due=due)
    return _in_parts(due, kind=HandoverNotice.Kind.WIN_BACK, work=work, parts_runner=parts_runner, name="win-back")


def _winback_part(number: int, *, parts: int, today: dt.date, due: list[tuple[Sponsorship, int]]) -> None:
    with rules_memo_for_run():
        run = _Run.start(today, part=(number, parts))
        prices: dict[tuple[object, ...], str] = {}
        for sponsorship, days_after in due:
            texted = Exists(
                HandoverNotice.objects.filter(
                    sponsorship=sponsorship, kind=HandoverNotice.Kind.WIN_BACK, worker_id=OuterRef("worker_id")
                )
            )
            with translation.override(settings.LANGUAGE_CODE):
                values = {
                    "sponsor": sponsorship.organisation.name,
                    "month": date_format(sponsorship.end_month.first_day, "F Y"),
                }
                body = _(
                    "Rangkul: the contributions %(sponsor)s paid for you ended in %(month)s and you are no longer "
                    "protected against work accidents and death. Continue on your own: %(amount)s a month, "
                    "membership no. %(number)s."
                )
                text_for = partial(
                    _member_text, body=body, values=values, period=Period.of(today), run=run, prices=prices
                )
                _text_members(
                    run,
                    sponsorship=sponsorship,
                    members=SponsorshipMember.objects.filter(sponsorship=sponsorship)
                    .exclude(_own_month(sponsorship))
                    .exclude(texted),
                    notice=(HandoverNotice.Kind.WIN_BACK, days_after),
                    purpose="sponsorship_win_back",
                    text_for=text_for,
                )
