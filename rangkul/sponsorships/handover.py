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
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from rangkul.contributions.models import ContributionMonth
from rangkul.contributions.quotes import price_month
from rangkul.contributions.schedule import RulesFor
from rangkul.contributions.selectors import rules_for_memo
from rangkul.core.errors import ApplicationError
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period, period_range
from rangkul.messaging.services import sms_queue
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
    thresholds = sorted(thresholds if thresholds is not None else settings.SPONSORSHIP_HANDOVER_DAYS)
    rules_for = rules_for_memo()
    touched = sent = 0
    for sponsorship in Sponsorship.objects.filter(status=SponsorshipStatus.ACTIVE).select_related("organisation"):
        threshold = handover_threshold(last_day=sponsorship.end_month.last_day, today=today, thresholds=thresholds)
        if threshold is None:
            continue
        members = (
            SponsorshipMember.objects.filter(sponsorship=sponsorship)
            .exclude(
                worker_id__in=HandoverNotice.objects.filter(sponsorship=sponsorship, days_before=threshold).values(
                    "worker_id"
                )
            )
            .select_related("worker__occupation")
        )
        notices = []
        following = sponsorship.end_month + 1
        with translation.override(settings.LANGUAGE_CODE):
            last_month = date_format(sponsorship.end_month.first_day, "F Y")
            next_month = date_format(following.first_day, "F Y")
            for member in members.iterator(chunk_size=2000):
                worker = member.worker
                values = {
                    "sponsor": sponsorship.organisation.name,
                    "month": last_month,
                    "next": next_month,
                    "number": worker.membership_number,
                    "amount": _own_price(worker, following, rules_for),
                }
                body = (
                    _(
                        "Rangkul: your social security contributions are paid by %(sponsor)s until %(month)s. "
                        "From %(next)s continue on your own: %(amount)s a month, membership no. %(number)s, "
                        "at a bank, minimarket or e-wallet."
                    )
                    % values
                )
                sms_queue(to=worker.phone, body=body, purpose="sponsorship_handover")
                notices.append(
                    HandoverNotice(sponsorship=sponsorship, worker=worker, days_before=threshold, sent_on=today)
                )
        HandoverNotice.objects.bulk_create(notices)
        touched += 1
        sent += len(notices)
    return HandoverSummary(touched, sent)


def _own_price(worker: Worker, period: Period, rules_for: RulesFor) -> str:
    """The member's own price for the month after the end (with any discount they have)."""
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
