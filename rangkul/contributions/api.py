from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field, StrictInt

from rangkul.accounts.api_auth import KEY_OR_SESSION
from rangkul.audit.actors import Actor
from rangkul.contributions.quotes import contribution_quote
from rangkul.contributions.selectors import coverage_programs_on, worker_status
from rangkul.contributions.services import bill_issue
from rangkul.core.api_errors import ErrorOut
from rangkul.core.api_types import MONTH_SCHEMA
from rangkul.core.errors import ValidationFailed
from rangkul.core.periods import Period
from rangkul.registry.models import Worker
from rangkul.registry.selectors import worker_get_for_api_key, worker_get_for_user

router = Router(tags=["contributions"])

SponsorKind = Literal["state_budget", "regional_budget", "csr", "zakat", "partner"]


class QuoteParams(Schema):
    declared_income_idr: int = Field(..., ge=0, le=10**12)
    jht: bool = False
    sector: Literal["transport", "non_transport"]
    month: str = Field(..., max_length=7, description="Contribution month, YYYY-MM", json_schema_extra=MONTH_SCHEMA)
    sponsor_kind: SponsorKind | None = None


class QuoteLineOut(Schema):
    program: str
    amount_idr: int
    discount_idr: int


class QuoteOut(Schema):
    total_idr: int
    lines: list[QuoteLineOut]


@router.get(
    "/quote",
    response={200: QuoteOut, 422: ErrorOut},
    auth=None,
    summary="Quote one month's contribution",
    description="JKK and JKM are always included; `jht=true` adds old-age savings. Amounts are after any "
    "discount (PP 50/2025); `discount_idr` is the reduction on each line.",
)
def quote(request: HttpRequest, params: Query[QuoteParams]) -> dict[str, Any]:
    try:
        month = Period.parse(params.month)
    except ValueError as exc:
        raise ValidationFailed(
            _("The month must be written YYYY-MM."), fields={"month": [_("Write the month as YYYY-MM.")]}
        ) from exc
    result = contribution_quote(
        declared_income_idr=params.declared_income_idr,
        jht=params.jht,
        sector=params.sector,
        month=month,
        sponsor_kind=params.sponsor_kind,
    )
    return {
        "total_idr": result.total_idr,
        "lines": [
            {"program": line.program, "amount_idr": line.amount_idr, "discount_idr": line.discount_idr}
            for line in result.lines
        ],
    }


# --- member bills and coverage ---------------------------------------------------------------


def _worker_for(request: HttpRequest, membership_number: str) -> Worker:
    """Fetch and authorise: a partner key sees its own members, staff their region."""
    api_key = getattr(request, "api_key", None)
    if api_key is not None:
        return worker_get_for_api_key(api_key=api_key, membership_number=membership_number)
    return worker_get_for_user(user=request.user, membership_number=membership_number)


class WorkerBillIn(Schema):
    # Named apart from the sponsorships' group bill input: the document keys schemas by class name.
    months: StrictInt = Field(..., ge=1, le=12)


class BillLineOut(Schema):
    period: str
    program: str
    amount_idr: int
    discount_idr: int


class BillOut(Schema):
    payment_code: str
    amount_idr: int
    credit_applied_idr: int
    expires_at: dt.datetime
    lines: list[BillLineOut]


@router.post(
    "/workers/{membership_number}/bills",
    response={201: BillOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    auth=KEY_OR_SESSION,
    summary="Issue a bill with a payment code",
    description="From the first payable unpaid month (arrears inside the 3-month window first), one line per "
    "month and program. `amount_idr` is what to pay: the lines' total less the member's unused credit "
    "(`credit_applied_idr`). A new bill cancels the member's previous open payment code.",
)
def bill_create(request: HttpRequest, membership_number: str, data: WorkerBillIn) -> Status[dict[str, Any]]:
    worker = _worker_for(request, membership_number)
    # A partner's key acts for its organisation; the audit row names it.
    api_key = getattr(request, "api_key", None)
    actor = Actor.for_user(request.user)
    if api_key is not None and not request.user.is_authenticated:
        actor = Actor.for_api_key(api_key.prefix)
    bill = bill_issue(actor=actor, worker=worker, months=data.months)
    return Status(
        201,
        {
            "payment_code": bill.payment_code,
            "amount_idr": bill.amount_idr,
            "credit_applied_idr": bill.credit_applied_idr,
            "expires_at": bill.expires_at,
            "lines": [
                {
                    "period": str(line.period),
                    "program": line.program,
                    "amount_idr": line.amount_idr,
                    "discount_idr": line.discount_idr,
                }
                for line in bill.lines.all()
            ],
        },
    )


class CoverageOut(Schema):
    covered: bool
    status: str
    programs: list[str]
    paid_through: str | None


@router.get(
    "/workers/{membership_number}/coverage",
    response={200: CoverageOut, 404: ErrorOut, 422: ErrorOut},
    auth=KEY_OR_SESSION,
    summary="Was the member covered on a day?",
)
def coverage(request: HttpRequest, membership_number: str, on: dt.date | None = None) -> dict[str, Any]:
    worker = _worker_for(request, membership_number)
    day = on or timezone.localdate()
    programs = coverage_programs_on(worker_id=worker.pk, day=day)
    info = worker_status(worker=worker, today=max(day, timezone.localdate()))
    return {
        "covered": bool(programs),
        "status": info.status,
        "programs": programs,
        "paid_through": str(info.paid_through) if info.paid_through else None,
    }
