"""Claims over the API: file for a member, read a claim, and the public benefit calculator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, Field, StrictInt, field_validator

from rangkul.accounts.api_auth import KEY_OR_SESSION
from rangkul.audit.actors import Actor
from rangkul.claims.benefits import TOTAL_DISABILITY, Child, Event, Program, benefit_lines, jht_projection
from rangkul.claims.eligibility import CLAIMANT_RELATIONSHIPS
from rangkul.claims.jht_rates import jht_rates
from rangkul.claims.models import Claim, ClaimChannel
from rangkul.claims.rules import claim_rules_for, claim_tables_all
from rangkul.claims.selectors import claim_get_for_api_key, claim_get_for_user
from rangkul.claims.services import ClaimantIn, claim_file
from rangkul.core.api_errors import ErrorOut
from rangkul.core.api_types import IsoDate
from rangkul.registry.models import Worker
from rangkul.registry.selectors import worker_get_for_api_key, worker_get_for_user

router = Router(tags=["claims"])

ProgramIn = Literal["JKK", "JKM", "JHT"]
EventIn = Literal["death", "accident", "disability", "withdrawal", "scholarship"]


# The document describes each input as strictly as the API checks it (an enum, a pattern, a
# JSON integer rather than a numeric string), so a request it forbids is refused with a 422.
# "total", or a row of a partial-disability table in any claim rule file (the rule of the event
# date then decides whether that row exists for the claim).
DISABILITIES = sorted({TOTAL_DISABILITY, *(row for tables in claim_tables_all() for row in tables.partial_disability)})
# Characters people write in these numbers; the services normalise and check them further.
PHONE_PATTERN = r"^[0-9+() .-]*$"
NPWP_PATTERN = r"^[0-9 .-]*$"
BANK_CODE_PATTERN = r"^[A-Za-z0-9_]*$"
ACCOUNT_PATTERN = r"^[0-9 .-]*$"


def _enum(values: Sequence[str]) -> dict[str, Any]:
    return {"enum": list(values)}


def _one_of(value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError("one of: " + ", ".join(allowed))
    return value


class ClaimantSchema(Schema):
    model_config = ConfigDict(extra="forbid")

    full_name: str = Field(..., min_length=1, max_length=150)
    relationship: str = Field(
        ...,
        description="`self` (the member), an heir in the order of heirs, or `funeral_arranger`",
        json_schema_extra=_enum(CLAIMANT_RELATIONSHIPS),
    )
    phone: str = Field("", max_length=20, pattern=PHONE_PATTERN, description="Indonesian mobile number")
    npwp: str = Field("", max_length=20, pattern=NPWP_PATTERN, description="Tax number; needed above the threshold")
    bank_code: str = Field("", max_length=20, pattern=BANK_CODE_PATTERN)
    bank_account_number: str = Field("", max_length=30, pattern=ACCOUNT_PATTERN)

    @field_validator("relationship")
    @classmethod
    def _relationship_known(cls, value: str) -> str:
        return _one_of(value, CLAIMANT_RELATIONSHIPS)


class ChildSchema(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=150)
    birth_date: IsoDate
    level: Literal["tk_sd", "smp", "sma", "university"]
    year_in_level: StrictInt = Field(1, ge=1, le=8)


class ClaimIn(Schema):
    model_config = ConfigDict(extra="forbid")

    program: ProgramIn
    event: EventIn
    event_date: IsoDate = Field(..., description="YYYY-MM-DD")
    event_place: str = Field("", max_length=200)
    event_description: str = Field("", max_length=2000)
    months_unable: StrictInt = Field(1, ge=1, le=120)
    disability: str = Field("total", max_length=40, json_schema_extra=_enum(DISABILITIES))
    children: list[ChildSchema] = Field(default_factory=list, max_length=5)
    claimant: ClaimantSchema

    @field_validator("disability")
    @classmethod
    def _disability_known(cls, value: str) -> str:
        return _one_of(value, DISABILITIES)


class LineOut(Schema):
    benefit: str
    amount_idr: int
    instalment: int = 1
    citation: str = ""
    estimate: bool = Field(False, description="Computed with a rate the agency has not declared: never paid as is")


class ReasonOut(Schema):
    code: str
    message: str
    facts: dict[str, Any] = {}


class HistoryOut(Schema):
    status: str
    at: dt.datetime
    note: str


class ClaimOut(Schema):
    claim_number: str
    status: str
    eligible: bool
    reasons: list[ReasonOut]
    benefit_idr: int
    lines: list[LineOut]


class ClaimDetailOut(ClaimOut):
    program: str
    event: str
    event_date: dt.date
    history: list[HistoryOut]


def _out(claim: Claim) -> dict[str, Any]:
    return {
        "claim_number": claim.number,
        "status": claim.status,
        "eligible": claim.eligible,
        "reasons": claim.reasons,
        "benefit_idr": claim.benefit_idr,
        "lines": claim.lines,
    }


def _worker_for(request: HttpRequest, membership_number: str) -> Worker:
    api_key = getattr(request, "api_key", None)
    if api_key is not None:
        return worker_get_for_api_key(api_key=api_key, membership_number=membership_number)
    return worker_get_for_user(user=request.user, membership_number=membership_number)


@router.post(
    "/workers/{membership_number}/claims",
    response={201: ClaimOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    auth=KEY_OR_SESSION,
    summary="File a claim for a member",
    description="Assessed at once from the member's record: an ineligible claim is stored too and answered with "
    "`eligible: false` and its `reasons` (each with a code, a plain message and the facts that decide it).",
)
def claim_create(request: HttpRequest, membership_number: str, data: ClaimIn) -> Status[dict[str, Any]]:
    worker = _worker_for(request, membership_number)
    api_key = getattr(request, "api_key", None)
    actor = Actor.for_user(request.user)
    if api_key is not None and not request.user.is_authenticated:
        actor = Actor.for_api_key(api_key.prefix)
    label = f"partner {api_key.organisation_code}" if api_key is not None else ""
    claim = claim_file(
        actor=actor,
        worker=worker,
        program=data.program,
        event=data.event,
        event_date=data.event_date,
        claimant=ClaimantIn(**data.claimant.dict()),
        channel=ClaimChannel.API if api_key is not None else ClaimChannel.OFFICE,
        event_place=data.event_place,
        event_description=data.event_description,
        months_unable=data.months_unable,
        disability=data.disability,
        children=[Child(c.name, c.birth_date, c.level, c.year_in_level) for c in data.children],
        filed_by_label=label,
    )
    return Status(201, _out(claim))


@router.get(
    "/claims/{claim_number}",
    response={200: ClaimDetailOut, 404: ErrorOut},
    auth=KEY_OR_SESSION,
    summary="A claim with its status history",
)
def claim_detail(request: HttpRequest, claim_number: str) -> dict[str, Any]:
    api_key = getattr(request, "api_key", None)
    if api_key is not None:
        claim = claim_get_for_api_key(api_key=api_key, number=claim_number)
    else:
        claim = claim_get_for_user(user=request.user, number=claim_number)
    return {
        **_out(claim),
        "program": claim.program,
        "event": claim.event,
        "event_date": claim.event_date,
        "history": [{"status": h.status, "at": h.at, "note": h.note} for h in claim.history.all()],
    }


ON_FIRST_YEAR, ON_LAST_YEAR = 1900, 9900


class BenefitParams(Schema):
    program: ProgramIn
    event: EventIn
    declared_income_idr: int = Field(..., ge=0, le=10**12)
    months_unable: int = Field(1, ge=1, le=120)
    disability: str = Field("total", max_length=40, json_schema_extra=_enum(DISABILITIES))
    years: int = Field(10, ge=1, le=50, description="JHT only: years of contributions to project")
    on: dt.date | None = Field(
        None, description="Date of the event (rules in force then), from 1900 to 9900; today by default"
    )

    @field_validator("on")
    @classmethod
    def _on_in_range(cls, value: dt.date | None) -> dt.date | None:
        # Contribution months start in 1900, and a JHT projection adds up to 50 years to the date.
        if value is not None and not ON_FIRST_YEAR <= value.year <= ON_LAST_YEAR:
            raise ValueError("a date from 1900 to 9900")
        return value

    @field_validator("disability")
    @classmethod
    def _disability_known(cls, value: str) -> str:
        return _one_of(value, DISABILITIES)


class BenefitsOut(Schema):
    program: str
    event: str
    total_idr: int
    rules_version: str
    estimate: bool = Field(False, description="Some line is an estimate (JHT years without a declared return)")
    lines: list[LineOut]


@router.get(
    "/benefits",
    response={200: BenefitsOut, 422: ErrorOut},
    auth=None,
    summary="The benefit a member would get",
    description="From the rule tables in force on `on`. For JHT, the balance after `years` years of contributions "
    "at the declared income, with the declared returns; years the agency has not declared use the estimate rate "
    "and are marked `estimate`. A scholarship depends on the children: see the claim.",
)
def benefits(request: HttpRequest, params: Query[BenefitParams]) -> dict[str, Any]:
    day = params.on or timezone.localdate()
    rules = claim_rules_for(day)
    program, event = Program(params.program), Event(params.event)
    contributions = None
    until = day
    if program is Program.JHT:
        contributions = jht_projection(
            rules, declared_income_idr=params.declared_income_idr, years=params.years, first_year=day.year
        )
        until = dt.date(day.year + params.years - 1, 12, 31)
    lines = benefit_lines(
        rules,
        program=program,
        event=event,
        declared_income_idr=params.declared_income_idr,
        event_date=until,
        months_unable=params.months_unable,
        disability=params.disability,
        jht_contributions=contributions,
        jht_rates=jht_rates(rules.tables) if program is Program.JHT else None,
        allow_estimate=True,  # a projection: years not declared yet are shown as estimates
    )
    return {
        "program": program.value,
        "event": event.value,
        "total_idr": sum(line.amount_idr for line in lines),
        "rules_version": rules.version,
        "estimate": any(line.estimate for line in lines),
        "lines": [line.as_dict() for line in lines],
    }
