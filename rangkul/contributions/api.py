from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from rangkul.api.errors import ErrorOut
from rangkul.contributions.quotes import contribution_quote
from rangkul.core.errors import ValidationFailed
from rangkul.core.periods import Period

router = Router(tags=["contributions"])

SponsorKind = Literal["state_budget", "regional_budget", "csr", "zakat", "partner"]


class QuoteParams(Schema):
    declared_income_idr: int = Field(..., ge=0, le=10**12)
    jht: bool = False
    sector: Literal["transport", "non_transport"]
    month: str = Field(..., max_length=7, description="Contribution month, YYYY-MM")
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
