"""Sponsorship endpoints for a sponsor organisation's API key (or a sponsor officer's session).

A sponsor sees and changes only its own sponsorships: another organisation's code is
answered 404, exactly as a code that does not exist.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, StrictBool, StrictInt

from rangkul.accounts.api_auth import KEY_OR_SESSION
from rangkul.audit.actors import Actor
from rangkul.core.api_errors import ErrorOut
from rangkul.core.api_types import MONTH_PATTERN
from rangkul.core.errors import PermissionDenied, ValidationFailed
from rangkul.core.periods import Period
from rangkul.partners.models import Organisation
from rangkul.partners.selectors import organisation_for_api_key
from rangkul.registry.models import MANDATORY_PROGRAMS
from rangkul.sponsorships.handover import continuation_rate
from rangkul.sponsorships.models import Sponsorship
from rangkul.sponsorships.selectors import sponsor_for_user, sponsorship_figures, sponsorship_get, workers_by_number
from rangkul.sponsorships.services import (
    MAX_MONTHS,
    SponsorshipInput,
    sponsorship_bill_issue,
    sponsorship_create,
    sponsorship_enrol,
)

router = Router(tags=["sponsorships"])

# The document describes each input as strictly as the API checks it (enums, the month pattern,
# JSON integers and booleans rather than text), so a request it forbids is refused with a 422.
PayerKindIn = Literal["regional_budget", "village_budget", "state_budget", "csr", "zakat", "partner"]
ProgramIn = Literal["JKK", "JKM", "JHT"]
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$"
REGION_PATTERN = r"^([0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?)?$"
# The largest budget a sponsorship may hold (Rp1 quadrillion): far above any real one, inside a 64-bit column.
MAX_BUDGET_IDR = 10**15


class CohortIn(Schema):
    model_config = ConfigDict(extra="forbid")

    region_code: str = Field(
        "", max_length=13, pattern=REGION_PATTERN, description="Kemendagri code prefix, e.g. `33.74`."
    )
    occupations: list[str] = Field(default_factory=list, max_length=200, description="Occupation catalogue codes.")
    min_age: StrictInt | None = Field(None, ge=0, le=120)
    max_age: StrictInt | None = Field(None, ge=0, le=120)
    welfare_list: StrictBool = Field(False, description="Only members on the welfare list (the sponsor confirms it).")


class SponsorshipIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "APBD-SMG-2026",
                    "name": "Perlindungan pekerja rentan Kota Semarang",
                    "payer_kind": "regional_budget",
                    "start_month": "2026-05",
                    "months": 12,
                    "budget_idr": 3024000000,
                    "programs": ["JKK", "JKM"],
                    "document_reference": "Perwali 12/2026",
                }
            ]
        },
    )

    code: str = Field(max_length=40, pattern=CODE_PATTERN, description="2 to 40 letters, digits, `-` or `_`.")
    name: str = Field(min_length=1, max_length=200)
    payer_kind: PayerKindIn = Field(
        description="Who pays: it changes the price (a state or regional budget gets no PP 50/2025 discount)."
    )
    start_month: str = Field(description="YYYY-MM", max_length=7, pattern=MONTH_PATTERN, examples=["2026-05"])
    months: StrictInt = Field(ge=1, le=MAX_MONTHS)
    budget_idr: StrictInt = Field(ge=1, le=MAX_BUDGET_IDR)
    programs: list[ProgramIn] = Field(
        default_factory=lambda: list(MANDATORY_PROGRAMS),  # type: ignore[arg-type]
        max_length=3,
        description="JKK and JKM, and JHT if the sponsor adds it.",
    )
    document_reference: str = Field("", max_length=200)
    cohort: CohortIn | None = None


class SponsorshipOut(Schema):
    code: str
    name: str
    organisation: str
    payer_kind: str
    programs: list[str]
    start_month: str
    end_month: str
    months: int
    status: str
    document_reference: str
    members: int
    budget_idr: int
    committed_idr: int
    billed_idr: int
    paid_idr: int
    remaining_idr: int
    continuation_rate: float | None = Field(
        None, description="After the end: share of members who paid a month of their own within 3 months."
    )


class MembersIn(Schema):
    model_config = ConfigDict(extra="forbid")

    membership_numbers: list[str] = Field(max_length=10_000)
    welfare_list_confirmed: StrictBool = False


class RefusalOut(Schema):
    membership_number: str
    code: str
    message: str


class MembersOut(Schema):
    added: list[str]
    refused: list[RefusalOut]
    committed_idr: int
    remaining_idr: int


class BillIn(Schema):
    model_config = ConfigDict(extra="forbid")

    month: str = Field(description="YYYY-MM", max_length=7, pattern=MONTH_PATTERN, examples=["2026-05"])


class BillOut(Schema):
    payment_code: str
    amount_idr: int
    members: int
    month: str
    expires_at: str


def _caller(request: HttpRequest) -> tuple[Actor, Organisation]:
    key = getattr(request, "api_key", None)
    if key is not None:
        organisation = organisation_for_api_key(key)
        actor = Actor.for_user(key.user) if key.user_id else Actor.for_api_key(key.prefix)
    else:
        organisation = sponsor_for_user(request.user)
        actor = Actor.for_user(request.user)
    if organisation is None:
        raise PermissionDenied(_("Only a sponsor organisation's key or its officers may manage sponsorships."))
    return actor, organisation


def _out(sponsorship: Sponsorship) -> dict[str, Any]:
    figures = sponsorship_figures(sponsorship=sponsorship)
    continuation = continuation_rate(sponsorship=sponsorship, today=timezone.localdate())
    return {
        "code": sponsorship.code,
        "name": sponsorship.name,
        "organisation": sponsorship.organisation.code,
        "payer_kind": sponsorship.payer_kind,
        "programs": sponsorship.programs,
        "start_month": str(sponsorship.start_month),
        "end_month": str(sponsorship.end_month),
        "months": sponsorship.months,
        "status": sponsorship.status,
        "document_reference": sponsorship.document_reference,
        "members": figures.members,
        "budget_idr": figures.budget_idr,
        "committed_idr": figures.committed_idr,
        "billed_idr": figures.billed_idr,
        "paid_idr": figures.paid_idr,
        "remaining_idr": figures.remaining_idr,
        "continuation_rate": continuation.rate if continuation else None,
    }


_ERRORS: dict[int | str, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


@router.post(
    "",
    response={201: SponsorshipOut, **_ERRORS},
    auth=KEY_OR_SESSION,
    summary="Create a sponsorship (draft until its first bill)",
)
def create_sponsorship(request: HttpRequest, data: SponsorshipIn) -> Status[dict[str, Any]]:
    actor, organisation = _caller(request)
    cohort = data.cohort or CohortIn(region_code="", occupations=[], min_age=None, max_age=None, welfare_list=False)
    sponsorship = sponsorship_create(
        actor=actor,
        organisation=organisation,
        data=SponsorshipInput(
            code=data.code,
            name=data.name,
            payer_kind=data.payer_kind,
            start_month=data.start_month,
            months=data.months,
            budget_idr=data.budget_idr,
            programs=data.programs,
            document_reference=data.document_reference,
            cohort_region_code=cohort.region_code,
            cohort_occupations=cohort.occupations,
            cohort_min_age=cohort.min_age,
            cohort_max_age=cohort.max_age,
            cohort_welfare_list=cohort.welfare_list,
        ),
    )
    return Status(201, _out(sponsorship))


@router.get("/{code}", response={200: SponsorshipOut, **_ERRORS}, auth=KEY_OR_SESSION, summary="A sponsorship's budget")
def get_sponsorship(request: HttpRequest, code: str) -> dict[str, Any]:
    _actor, organisation = _caller(request)
    return _out(sponsorship_get(organisation=organisation, code=code))


@router.post(
    "/{code}/members",
    response={200: MembersOut, **_ERRORS},
    auth=KEY_OR_SESSION,
    summary="Enrol members (in the order given) and commit the budget for their months",
    description=(
        "Each member is added or refused with a code: `not_found`, `not_your_member`, `outside_cohort`, "
        "`already_enrolled`, `not_active`, `budget_exceeded`, `month_already_sponsored` (a member with only some "
        "months sponsored elsewhere is added for the others and also listed here for the taken months)."
    ),
)
def enrol_members(request: HttpRequest, code: str, data: MembersIn) -> dict[str, Any]:
    actor, organisation = _caller(request)
    sponsorship = sponsorship_get(organisation=organisation, code=code)
    workers, unknown = workers_by_number(data.membership_numbers)
    result = sponsorship_enrol(
        actor=actor,
        sponsorship=sponsorship,
        workers=workers,
        unknown=unknown,
        welfare_attested=data.welfare_list_confirmed,
    )
    return {
        "added": result.added,
        "refused": [r.__dict__ for r in result.refused],
        "committed_idr": sponsorship.committed_idr,
        "remaining_idr": sponsorship.budget_idr - sponsorship.committed_idr,
    }


@router.post(
    "/{code}/bills",
    response={201: BillOut, **_ERRORS},
    auth=KEY_OR_SESSION,
    summary="Issue the month's group bill (one payment code for the month's members)",
)
def issue_bill(request: HttpRequest, code: str, data: BillIn) -> Status[dict[str, Any]]:
    actor, organisation = _caller(request)
    sponsorship = sponsorship_get(organisation=organisation, code=code)
    try:
        period = Period.parse(data.month.strip())
    except (ValueError, TypeError) as error:
        raise ValidationFailed(
            _("Some fields are not valid."), fields={"month": [_("Use the form YYYY-MM.")]}
        ) from error
    record = sponsorship_bill_issue(actor=actor, sponsorship=sponsorship, period=period)
    return Status(
        201,
        {
            "payment_code": record.bill.payment_code,
            "amount_idr": record.amount_idr,
            "members": record.members,
            "month": str(period),
            "expires_at": record.bill.expires_at.isoformat(),
        },
    )
