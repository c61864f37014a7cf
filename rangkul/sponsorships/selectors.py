"""Reads for sponsorships, with the sponsor's scope applied here and nowhere else.

A sponsor (an organisation's API key or its sponsor officers) sees only its own
sponsorships; anything else is reported as not found.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from rangkul.contributions.models import BillStatus
from rangkul.core.errors import NotFound
from rangkul.partners.models import Organisation
from rangkul.partners.selectors import organisation_for_user, organisation_workers
from rangkul.registry.models import Worker, WorkerStatus
from rangkul.sponsorships.errors import SponsorshipErrorCode
from rangkul.sponsorships.models import (
    BudgetTransfer,
    SponsoredMonth,
    Sponsorship,
    SponsorshipBill,
    SponsorshipMember,
)


def sponsor_for_user(user: Any) -> Organisation | None:
    """The organisation a sponsor officer works for (none without the permission)."""
    if not getattr(user, "is_authenticated", False) or not user.has_perm("accounts.manage_sponsorship"):
        return None
    return organisation_for_user(user)


def sponsorship_list(*, organisation: Organisation | None) -> QuerySet[Sponsorship]:
    if organisation is None:
        return Sponsorship.objects.none()
    return (
        Sponsorship.objects.filter(organisation=organisation)
        .annotate(member_count=Count("members"))
        .order_by("-created_at", "-id")
    )


def sponsorship_get(*, organisation: Organisation | None, code: str) -> Sponsorship:
    sponsorship = (
        Sponsorship.objects.select_related("organisation")
        .filter(code=(code or "").strip().upper(), organisation=organisation)
        .first()
        if organisation is not None
        else None
    )
    if sponsorship is None:
        raise NotFound(_("No sponsorship with this code."), code=SponsorshipErrorCode.SPONSORSHIP_NOT_FOUND)
    return sponsorship


@dataclass(frozen=True)
class BudgetFigures:
    members: int
    budget_idr: int
    committed_idr: int
    billed_idr: int
    paid_idr: int
    remaining_idr: int


def sponsorship_figures(*, sponsorship: Sponsorship) -> BudgetFigures:
    """Budget committed (enrolled member-months), billed (bills not withdrawn), paid, and still uncommitted."""
    bills = SponsorshipBill.objects.filter(sponsorship=sponsorship).aggregate(
        billed=Sum("amount_idr", filter=~Q(bill__status=BillStatus.CANCELLED)),
        paid=Sum("amount_idr", filter=Q(bill__status=BillStatus.PAID)),
    )
    return BudgetFigures(
        members=SponsorshipMember.objects.filter(sponsorship=sponsorship).count(),
        budget_idr=sponsorship.budget_idr,
        committed_idr=sponsorship.committed_idr,
        billed_idr=bills["billed"] or 0,
        paid_idr=bills["paid"] or 0,
        remaining_idr=sponsorship.budget_idr - sponsorship.committed_idr,
    )


def sponsorship_members(*, sponsorship: Sponsorship) -> QuerySet[SponsorshipMember]:
    return SponsorshipMember.objects.filter(sponsorship=sponsorship).select_related("worker").order_by("position")


def sponsorship_bills(*, sponsorship: Sponsorship) -> QuerySet[SponsorshipBill]:
    return SponsorshipBill.objects.filter(sponsorship=sponsorship).select_related("bill").order_by("-period", "-id")


def sponsored_months_of(*, sponsorship: Sponsorship) -> QuerySet[SponsoredMonth]:
    return SponsoredMonth.objects.filter(sponsorship=sponsorship)


def workers_by_number(numbers: list[str]) -> tuple[list[Worker], list[str]]:
    """The members with these numbers, in the order given, and the numbers not found."""
    wanted = [n.strip() for n in numbers if n and n.strip()]
    found = {
        w.membership_number: w for w in Worker.objects.select_related("occupation").filter(membership_number__in=wanted)
    }
    return [found[n] for n in dict.fromkeys(wanted) if n in found], [n for n in dict.fromkeys(wanted) if n not in found]


def candidates_for(*, sponsorship: Sponsorship, limit: int = 200) -> list[Worker]:
    """The sponsor's members who match the cohort rules and are not enrolled yet (oldest registration first)."""
    workers = (
        organisation_workers(organisation=sponsorship.organisation)
        .filter(status=WorkerStatus.ACTIVE)
        .exclude(pk__in=SponsorshipMember.objects.filter(sponsorship=sponsorship).values("worker_id"))
        .select_related("occupation")
        .order_by("registered_at", "pk")
    )
    if sponsorship.cohort_region_code:
        workers = workers.filter(village_id__startswith=sponsorship.cohort_region_code)
    if sponsorship.cohort_occupations:
        workers = workers.filter(occupation__code__in=sponsorship.cohort_occupations)
    start = sponsorship.start_month.first_day
    if sponsorship.cohort_min_age is not None:
        workers = workers.filter(birth_date__lte=_years_before(start, sponsorship.cohort_min_age))
    if sponsorship.cohort_max_age is not None:
        # Older than the maximum from the day after the (max + 1)th birthday.
        workers = workers.filter(birth_date__gt=_years_before(start, sponsorship.cohort_max_age + 1))
    return list(workers[:limit])


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _office_scope(queryset: QuerySet[Any], user: Any, sponsorship: str) -> QuerySet[Any]:
    """What a payments officer may see: a sponsor's records are its region's (the sponsor
    organisation's regency), seen by the staff of a branch serving that regency or with
    ``accounts.view_all_regions``. A sponsor with no region (a national company, a zakat body)
    is any payments staff's, as a group payment naming no member is. ``sponsorship`` is the
    lookup path from the queryset's model to its sponsorship."""
    if user is None or user.has_perm("accounts.view_all_regions"):
        return queryset
    region = f"{sponsorship}__organisation__region"
    no_region = Q(**{f"{region}__isnull": True})
    branch = getattr(user, "branch", None)
    if branch is None:
        return queryset.filter(no_region)
    return queryset.filter(no_region | Q(**{f"{region}_id": branch.regency_id}))


def sponsorship_bill_by_payment_code(*, payment_code: str, user: Any = None) -> SponsorshipBill:
    """The group bill a treasurer's transfer names (by the bill's payment code); with ``user``,
    only a bill of a sponsor in that officer's region (another region's is not found)."""
    queryset = SponsorshipBill.objects.select_related("sponsorship", "bill").filter(
        bill__payment_code=(payment_code or "").strip()
    )
    record = _office_scope(queryset, user, "sponsorship").first()
    if record is None:
        message = _("No sponsorship bill has this payment code.")
        raise NotFound(message, fields={"payment_code": [message]})
    return record


def budget_transfers(*, status: str | None = None, user: Any = None) -> QuerySet[BudgetTransfer]:
    """Budget transfers for payments staff, newest first (pending ones when ``status`` is proposed);
    with ``user``, only those of sponsors in that officer's region."""
    queryset = BudgetTransfer.objects.select_related(
        "sponsorship", "sponsorship_bill__bill", "proposed_by", "decided_by"
    )
    queryset = _office_scope(queryset, user, "sponsorship")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-proposed_at", "-id")


def budget_transfer_get(*, transfer_id: int, user: Any = None) -> BudgetTransfer:
    """One transfer; not found when its sponsor is outside ``user``'s region."""
    transfer = budget_transfers(user=user).filter(pk=transfer_id).first()
    if transfer is None:
        raise NotFound(_("No such budget transfer."))
    return transfer
