"""Writes for sponsorships: create, enrol members (committing the budget), issue the month's group bill.

Enrolment and billing lock the sponsorship's row first, so concurrent enrolments of
one sponsorship are serialised and the committed budget is read and raised by one
transaction at a time: a budget is never overspent (ADR 0030).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.contributions.errors import NothingPayable
from rangkul.contributions.group_bills import GroupItem, group_bill_cancel, group_bill_issue_for_months
from rangkul.contributions.models import BillStatus
from rangkul.contributions.selectors import rules_for_memo
from rangkul.contributions.services import ShareItem, month_shares_release, month_shares_take
from rangkul.core.errors import ApplicationError, Conflict, NotFound, ValidationFailed
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period
from rangkul.partners.models import ImportJob, ImportStatus, Organisation, OrganisationKind
from rangkul.partners.selectors import import_job_worker_ids, organisation_worker_ids
from rangkul.registry.identity import age_on
from rangkul.registry.models import MANDATORY_PROGRAMS, OPTIONAL_PROGRAMS, Worker, WorkerStatus
from rangkul.sponsorships.errors import SponsorshipErrorCode
from rangkul.sponsorships.models import (
    PayerKind,
    SponsoredMonth,
    Sponsorship,
    SponsorshipBill,
    SponsorshipMember,
    SponsorshipStatus,
)
from rangkul.sponsorships.pricing import sponsored_month_idr, sponsored_programs

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")
MAX_MONTHS = 60
ENROL_CHUNK = 5000

# What a group bill reads of a sponsored member: state, income, programs and sector.
BILLED_FIELDS = (
    "worker_id",
    "worker__status",
    "worker__declared_income_idr",
    "worker__jht",
    "worker__occupation__sector",
)


@dataclass(frozen=True)
class SponsorshipInput:
    code: str
    name: str
    payer_kind: str
    start_month: str
    months: int
    budget_idr: int
    programs: Sequence[str] = MANDATORY_PROGRAMS
    document_reference: str = ""
    cohort_region_code: str = ""
    cohort_occupations: Sequence[str] = ()
    cohort_min_age: int | None = None
    cohort_max_age: int | None = None
    cohort_welfare_list: bool = False


def _validated(data: SponsorshipInput) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    code = (data.code or "").strip().upper()
    if not CODE_RE.match(code):
        errors["code"] = [_("Use 2 to 40 letters, digits, '-' or '_'.")]
    name = (data.name or "").strip()
    if not name:
        errors["name"] = [_("This field is required.")]
    if data.payer_kind not in PayerKind.values:
        errors["payer_kind"] = [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(PayerKind.values)}]
    start: Period | None = None
    try:
        start = Period.parse((data.start_month or "").strip())
    except (ValueError, TypeError):
        errors["start_month"] = [_("Use the form YYYY-MM.")]
    if not 1 <= int(data.months or 0) <= MAX_MONTHS:
        errors["months"] = [_("Choose between 1 and %(max)s months.") % {"max": MAX_MONTHS}]
    if int(data.budget_idr or 0) <= 0:
        errors["budget_idr"] = [_("Must be more than zero.")]
    programs = [p.strip().upper() for p in data.programs or ()]
    unknown = [p for p in programs if p not in (*MANDATORY_PROGRAMS, *OPTIONAL_PROGRAMS)]
    if unknown or not set(MANDATORY_PROGRAMS) <= set(programs):
        errors["programs"] = [_("A sponsor pays JKK and JKM, and may add JHT.")]
    low, high = data.cohort_min_age, data.cohort_max_age
    if low is not None and high is not None and low > high:
        errors["cohort_max_age"] = [_("The maximum age must not be below the minimum age.")]
    region = (data.cohort_region_code or "").strip()
    if region and not re.match(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$", region):
        errors["cohort_region_code"] = [_("Use a region code such as 33 or 33.74.")]
    fields = {
        "code": code,
        "name": name,
        "payer_kind": data.payer_kind,
        "start_month": start,
        "months": int(data.months or 0),
        "budget_idr": int(data.budget_idr or 0),
        "programs": [p for p in (*MANDATORY_PROGRAMS, *OPTIONAL_PROGRAMS) if p in programs],
        "document_reference": (data.document_reference or "").strip()[:200],
        "cohort_region_code": region,
        "cohort_occupations": sorted({o.strip() for o in data.cohort_occupations if o.strip()}),
        "cohort_min_age": data.cohort_min_age,
        "cohort_max_age": data.cohort_max_age,
        "cohort_welfare_list": bool(data.cohort_welfare_list),
    }
    return fields, errors


# Which payers each kind of organisation may name: the payer kind changes the price (a state or
# regional budget gets no PP 50/2025 discount), so a sponsor cannot choose a cheaper one.
PAYER_KINDS_BY_ORGANISATION: dict[str, tuple[str, ...]] = {
    OrganisationKind.LOCAL_GOVERNMENT: (PayerKind.REGIONAL_BUDGET, PayerKind.STATE_BUDGET),
    OrganisationKind.VILLAGE_GOVERNMENT: (PayerKind.VILLAGE_BUDGET,),
    OrganisationKind.COMPANY: (PayerKind.CSR,),
    OrganisationKind.ZAKAT_DONOR: (PayerKind.ZAKAT,),
}
OTHER_PAYER_KINDS = (PayerKind.PARTNER,)


def payer_kinds_for(organisation: Organisation) -> tuple[str, ...]:
    return PAYER_KINDS_BY_ORGANISATION.get(organisation.kind, OTHER_PAYER_KINDS)


def share_source(sponsorship: Sponsorship) -> str:
    """How the contribution ledger names the sponsorship's share of its member-months."""
    return f"sponsorship:{sponsorship.code}"


def _actor_label(actor: Actor) -> tuple[Any, str]:
    if actor.user is not None:
        return actor.user, ""
    return None, actor.label[:150]


@transaction.atomic
def sponsorship_create(*, actor: Actor, organisation: Organisation, data: SponsorshipInput) -> Sponsorship:
    """A new sponsorship (draft) of ``organisation``; raises ``ValidationFailed`` with field errors."""
    fields, errors = _validated(data)
    allowed = payer_kinds_for(organisation)
    if "payer_kind" not in errors and fields["payer_kind"] not in allowed:
        errors["payer_kind"] = [
            _("This organisation pays as: %(kinds)s.") % {"kinds": ", ".join(str(k) for k in allowed)}
        ]
    if not errors and Sponsorship.objects.filter(code=fields["code"]).exists():
        errors["code"] = [_("A sponsorship with this code already exists.")]
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    user, label = _actor_label(actor)
    sponsorship = Sponsorship.objects.create(
        organisation=organisation, created_by=user, created_by_label=label, **fields
    )
    audit_record(
        actor=actor,
        action="sponsorships.created",
        subject=sponsorship,
        after={
            "code": sponsorship.code,
            "organisation": organisation.code,
            "payer_kind": sponsorship.payer_kind,
            "start_month": str(sponsorship.start_month),
            "months": sponsorship.months,
            "budget_idr": sponsorship.budget_idr,
            "programs": sponsorship.programs,
            "document_reference": sponsorship.document_reference,
        },
    )
    return sponsorship


# --- enrolment ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    membership_number: str
    code: str
    message: str


@dataclass
class EnrolmentResult:
    added: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    committed_idr: int = 0


def _cohort_refusal(sponsorship: Sponsorship, worker: Worker) -> str | None:
    """Why the member is outside the cohort, or ``None``."""
    if sponsorship.cohort_region_code and not (worker.village_id or "").startswith(sponsorship.cohort_region_code):
        return _("The member lives outside the sponsorship's region.")
    if sponsorship.cohort_occupations and worker.occupation.code not in sponsorship.cohort_occupations:
        return _("The member's occupation is not one the sponsorship covers.")
    age = age_on(worker.birth_date, sponsorship.start_month.first_day)
    if sponsorship.cohort_min_age is not None and age < sponsorship.cohort_min_age:
        return _("The member is younger than the sponsorship's minimum age.")
    if sponsorship.cohort_max_age is not None and age > sponsorship.cohort_max_age:
        return _("The member is older than the sponsorship's maximum age.")
    return None


def _enrollable_periods(sponsorship: Sponsorship, today: dt.date) -> list[Period]:
    # Months already past when a member is enrolled are not committed: a sponsor pays from now on.
    current = Period.of(today)
    return [p for p in sponsorship.periods if p >= current]


@transaction.atomic
def sponsorship_enrol(
    *,
    actor: Actor,
    sponsorship: Sponsorship,
    workers: Sequence[Worker],
    unknown: Sequence[str] = (),
    welfare_attested: bool = False,
    today: dt.date | None = None,
) -> EnrolmentResult:
    """Enrol members in the order given, committing the budget for their sponsored months.

    Each member is checked in turn: already enrolled, not the sponsor's member, outside
    the cohort, every month already sponsored elsewhere, or more than the budget still
    uncommitted — each is refused with a code and the next member is tried (so a
    cheaper member later in the list may still fit). A member with only some months
    sponsored elsewhere is enrolled for the others, and the taken months are reported.
    """
    today = today or timezone.localdate()
    locked = Sponsorship.objects.select_for_update().select_related("organisation").get(pk=sponsorship.pk)
    if locked.status == SponsorshipStatus.ENDED:
        raise Conflict(
            _("This sponsorship has ended; no members can be added."), code=SponsorshipErrorCode.SPONSORSHIP_ENDED
        )
    if locked.cohort_welfare_list and not welfare_attested:
        raise ValidationFailed(
            _("This sponsorship is for members on the welfare list: confirm that they are on it."),
            fields={"welfare_attested": [_("Confirm the members are on the welfare list.")]},
        )
    periods = _enrollable_periods(locked, today)
    result = EnrolmentResult()
    result.refused += [Refusal(number, "not_found", _("No member with this membership number.")) for number in unknown]
    if not periods:
        raise Conflict(_("The sponsorship's last month has passed."), code=SponsorshipErrorCode.SPONSORSHIP_OVER)
    ordered = list(dict.fromkeys(workers))
    ids = [w.pk for w in ordered]
    # Lock the members in key order (as payments do) so a member-month cannot be taken twice at once.
    list(Worker.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    own = organisation_worker_ids(organisation=locked.organisation, worker_ids=ids)
    enrolled = set(
        SponsorshipMember.objects.filter(sponsorship=locked, worker_id__in=ids).values_list("worker_id", flat=True)
    )
    taken: dict[int, dict[Period, str]] = {}
    for worker_id, period, code in SponsoredMonth.objects.filter(worker_id__in=ids, period__in=periods).values_list(
        "worker_id", "period", "sponsorship__code"
    ):
        taken.setdefault(worker_id, {})[Period.of(period) if not isinstance(period, Period) else period] = code
    rules_for = rules_for_memo()
    remaining = locked.budget_idr - locked.committed_idr
    position = SponsorshipMember.objects.filter(sponsorship=locked).count()
    now = timezone.now()
    new_members: list[SponsorshipMember] = []
    new_months: list[SponsoredMonth] = []
    programs_by_worker: dict[int, tuple[str, ...]] = {}
    for worker in ordered:
        number = worker.membership_number
        if worker.pk in enrolled:
            result.refused.append(Refusal(number, "already_enrolled", _("The member is already in this sponsorship.")))
            continue
        if worker.status != WorkerStatus.ACTIVE:
            result.refused.append(Refusal(number, "not_active", _("This membership record is not active.")))
            continue
        if worker.pk not in own:
            result.refused.append(
                Refusal(
                    number,
                    "not_your_member",
                    _("The member was not registered by, and is not a member of, the sponsor."),
                )
            )
            continue
        reason = _cohort_refusal(locked, worker)
        if reason is not None:
            result.refused.append(Refusal(number, "outside_cohort", reason))
            continue
        registered = Period.of(timezone.localdate(worker.registered_at))
        busy = taken.get(worker.pk, {})
        free = [p for p in periods if p not in busy and p >= registered]
        if busy:
            months = ", ".join(sorted({str(p) for p in busy}))
            others = ", ".join(sorted(set(busy.values())))
            result.refused.append(
                Refusal(
                    number,
                    "month_already_sponsored",
                    _("Already paid by sponsorship %(other)s for %(months)s.") % {"other": others, "months": months},
                )
            )
        if not free:
            continue
        programs = sponsored_programs(sponsor_programs=locked.programs, worker=worker)
        try:
            prices = {
                p: sponsored_month_idr(
                    worker=worker, period=p, programs=programs, payer_kind=locked.payer_kind, rules_for=rules_for
                )
                for p in free
            }
        except ApplicationError as error:
            result.refused.append(Refusal(number, error.code, str(error.message)))
            continue
        cost = sum(prices.values())
        if cost > remaining:
            result.refused.append(
                Refusal(
                    number,
                    "budget_exceeded",
                    _("The member costs %(cost)s; only %(remaining)s of the budget is left.")
                    % {"cost": format_rupiah(cost), "remaining": format_rupiah(remaining)},
                )
            )
            continue
        remaining -= cost
        programs_by_worker[worker.pk] = programs
        result.committed_idr += cost
        position += 1
        new_members.append(
            SponsorshipMember(sponsorship=locked, worker=worker, committed_idr=cost, enrolled_at=now, position=position)
        )
        new_months += [
            SponsoredMonth(sponsorship=locked, worker=worker, period=p, amount_idr=prices[p])  # type: ignore[misc]
            for p in free
        ]
        result.added.append(number)
    if new_members:
        SponsorshipMember.objects.bulk_create(new_members)
        SponsoredMonth.objects.bulk_create(new_months)
        # Split payers: the members' own bills leave the sponsor's programs out of these months.
        month_shares_take(
            actor=actor,
            source=share_source(locked),
            payer_kind=locked.payer_kind,
            items=[
                ShareItem(
                    m.worker_id,
                    m.period,  # type: ignore[arg-type]  # a Period until saved
                    programs_by_worker[m.worker_id],
                )
                for m in new_months
            ],
        )
        Sponsorship.objects.filter(pk=locked.pk).update(committed_idr=locked.committed_idr + result.committed_idr)
    audit_record(
        actor=actor,
        action="sponsorships.members_enrolled",
        subject=locked,
        after={
            "added": result.added,
            "refused": [{"membership_number": r.membership_number, "code": r.code} for r in result.refused],
            "committed_idr": result.committed_idr,
            "welfare_attested": welfare_attested,
        },
    )
    sponsorship.committed_idr = locked.committed_idr + result.committed_idr
    return result


def sponsorship_enrol_import(
    *,
    actor: Actor,
    sponsorship: Sponsorship,
    job: ImportJob,
    welfare_attested: bool = False,
    today: dt.date | None = None,
) -> EnrolmentResult:
    """Enrol the members of one of the sponsor's finished imports, in the file's row order."""
    if job.organisation_id != sponsorship.organisation_id:
        raise NotFound(_("No import with this number."), code=SponsorshipErrorCode.IMPORT_NOT_FOUND)
    if job.status != ImportStatus.COMPLETED:
        raise Conflict(_("The import has not finished yet."), code=SponsorshipErrorCode.IMPORT_NOT_FINISHED)
    ids = import_job_worker_ids(job=job)
    total = EnrolmentResult()
    # In chunks (SQLite bounds the parameters of one statement), in the file's order, in one transaction.
    with transaction.atomic():
        for start in range(0, len(ids), ENROL_CHUNK):
            chunk = ids[start : start + ENROL_CHUNK]
            found = Worker.objects.select_related("occupation").in_bulk(chunk)
            part = sponsorship_enrol(
                actor=actor,
                sponsorship=sponsorship,
                workers=[found[pk] for pk in chunk if pk in found],
                welfare_attested=welfare_attested,
                today=today,
            )
            total.added += part.added
            total.refused += part.refused
            total.committed_idr += part.committed_idr
    return total


# --- group bills -------------------------------------------------------------------------------


@transaction.atomic
def sponsorship_bill_issue(*, actor: Actor, sponsorship: Sponsorship, period: Period) -> SponsorshipBill:
    """The month's group bill for every enrolled member not yet paid for that month.

    An earlier open bill for the month is withdrawn (its code no longer accepted).
    The first bill moves a draft sponsorship to active.
    """
    locked = Sponsorship.objects.select_for_update().get(pk=sponsorship.pk)
    if locked.status == SponsorshipStatus.ENDED:
        raise Conflict(
            _("This sponsorship has ended; no bills can be issued."), code=SponsorshipErrorCode.SPONSORSHIP_ENDED
        )
    if period not in locked.periods:
        raise ValidationFailed(
            _("The month is outside the sponsorship (%(start)s to %(end)s).")
            % {"start": locked.start_month, "end": locked.end_month},
            fields={"month": [_("Choose a month of the sponsorship.")]},
        )
    month = period.first_day  # PeriodField lookups take the month's first day
    # Only what billing reads of each member: a cohort's 100,000 full member rows cost more than the bill.
    rows = list(
        SponsoredMonth.objects.filter(sponsorship=locked, period=month)
        .select_related("worker__occupation")
        .only(*BILLED_FIELDS)
    )
    # The bill lists members in enrolment order: a part payment pays them in that order (ADR 0030).
    positions = dict(SponsorshipMember.objects.filter(sponsorship=locked).values_list("worker_id", "position"))
    rows.sort(key=lambda row: (positions.get(row.worker_id, 0), row.worker_id))
    if not rows:
        raise Conflict(_("No member is sponsored for this month."), code=SponsorshipErrorCode.NO_MEMBERS)
    previous = list(
        SponsorshipBill.objects.filter(sponsorship=locked, period=month, bill__status=BillStatus.OPEN).select_related(
            "bill"
        )
    )
    for earlier in previous:
        group_bill_cancel(actor=actor, bill=earlier.bill)
    items = [
        GroupItem(
            worker=row.worker,
            period=period,
            programs=sponsored_programs(sponsor_programs=locked.programs, worker=row.worker),
        )
        for row in rows
    ]
    try:
        bill = group_bill_issue_for_months(actor=actor, items=items, sponsor_kind=locked.payer_kind)
    except NothingPayable as error:
        raise Conflict(
            _("Every member is already paid for this month."), code=SponsorshipErrorCode.ALREADY_PAID
        ) from error
    billed = (
        SponsorshipBill.objects.filter(sponsorship=locked)
        .exclude(bill__status=BillStatus.CANCELLED)
        .aggregate(total=Sum("amount_idr"))["total"]
        or 0
    )
    if billed + bill.amount_idr > locked.budget_idr:
        raise Conflict(
            _("This bill (%(amount)s) would take the sponsorship over its budget.")
            % {"amount": format_rupiah(bill.amount_idr)},
            code=SponsorshipErrorCode.BUDGET_EXCEEDED,
        )
    members = bill.lines.values("worker_id").distinct().count()
    record = SponsorshipBill.objects.create(
        sponsorship=locked, bill=bill, period=month, members=members, amount_idr=bill.amount_idr
    )
    if locked.status == SponsorshipStatus.DRAFT:
        Sponsorship.objects.filter(pk=locked.pk).update(status=SponsorshipStatus.ACTIVE)
        sponsorship.status = SponsorshipStatus.ACTIVE
    audit_record(
        actor=actor,
        action="sponsorships.bill_issued",
        subject=locked,
        after={
            "month": str(period),
            "payment_code": bill.payment_code,
            "amount_idr": bill.amount_idr,
            "members": members,
        },
    )
    return record


@transaction.atomic
def sponsorship_end(*, actor: Actor, sponsorship: Sponsorship) -> Sponsorship:
    locked = Sponsorship.objects.select_for_update().get(pk=sponsorship.pk)
    if locked.status == SponsorshipStatus.ENDED:
        raise Conflict(_("This sponsorship has already ended."), code=SponsorshipErrorCode.SPONSORSHIP_ENDED)
    before = locked.status
    locked.status = SponsorshipStatus.ENDED
    locked.save(update_fields=["status"])
    # Months the sponsor will now never pay go back to the members' own bills, whole.
    released = month_shares_release(actor=actor, source=share_source(locked))
    audit_record(
        actor=actor,
        action="sponsorships.ended",
        subject=locked,
        before={"status": before},
        after={"status": locked.status, "member_months_released": released},
    )
    return locked


__all__ = [
    "EnrolmentResult",
    "Refusal",
    "SponsorshipInput",
    "sponsorship_bill_issue",
    "sponsorship_create",
    "sponsorship_end",
    "sponsorship_enrol",
    "sponsorship_enrol_import",
]
