"""Open data: coverage by province or regency, public and without a key; aggregates only."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from rangkul.analytics.rates import open_coverage
from rangkul.core.api_errors import ErrorOut

open_router = Router(tags=["open data"])


class OpenCoverageOut(Schema):
    code: str
    name: str
    members_active: int | None
    workforce_informal: int | None
    coverage_rate: float | None
    as_of: str


@open_router.get(
    "/coverage",
    response={200: list[OpenCoverageOut], 422: ErrorOut},
    auth=None,
    summary="Coverage by area (open data)",
    description=(
        "Active members over informal workers (BPS Sakernas definition, the current workforce release) "
        "per province, or per regency (of `parent` when given), from the latest daily snapshot. "
        "`members_active` and `coverage_rate` are null where fewer than 10 members are active; "
        "`workforce_informal` is null where no count is published. No personal data."
    ),
)
def coverage_open(request: HttpRequest, level: str = "province", parent: str | None = None) -> list[dict[str, object]]:
    return open_coverage(level=level, parent=parent or "").open_rows()
