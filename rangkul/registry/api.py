"""Registry endpoints: the occupation catalogue and worker registration for partners and staff.

Partners authenticate with an API key; what they register is recorded under
the key's organisation code, and they can read back only those workers. Staff
may use their session (with ``accounts.register_worker`` to register) and see
their branch's region. Workers registered through the API start with an
unverified mobile number: a partner's word is not a one-time code, so the
worker verifies the number at first portal login.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, StrictBool, StrictInt

from rangkul.accounts.api_auth import KEY_OR_SESSION
from rangkul.audit.actors import Actor
from rangkul.core.api_errors import ErrorOut
from rangkul.core.api_types import IsoDate
from rangkul.core.crypto import mask_phone
from rangkul.core.errors import NotFound, PermissionDenied
from rangkul.registry.membership import membership_number_is_valid
from rangkul.registry.models import Channel, Heir, Relationship, Worker
from rangkul.registry.selectors import (
    heir_list,
    occupation_list,
    worker_get_for_api_key,
    worker_get_for_user,
)
from rangkul.registry.services import HeirInput, RegistrationInput, worker_register

occupations_router = Router(tags=["registry"])
router = Router(tags=["registry"])


class OccupationOut(Schema):
    code: str = Field(examples=["ojek_online"])
    name: str = Field(examples=["Ojek online"])
    sector: str = Field(description="`transport` or `non_transport` (the PP 50/2025 discount depends on it).")


class HeirIn(Schema):
    model_config = ConfigDict(extra="forbid")

    full_name: str = Field(max_length=150, examples=["Siti Aminah"])
    relationship: str = Field(
        max_length=20,
        description="spouse, child, parent, grandchild, grandparent, sibling, parent_in_law, named_in_will",
        examples=["spouse"],
        json_schema_extra={"enum": list(Relationship.values)},
    )
    birth_date: IsoDate | None = Field(None, examples=["1992-03-09"])
    nik: str = Field("", max_length=32, description="Optional; stored sealed like the worker's NIK.")
    phone: str = Field("", max_length=32)


class WorkerIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "nik": "3374011705900001",
                    "full_name": "Budi Santoso",
                    "birth_date": "1990-05-17",
                    "sex": "M",
                    "phone": "081234567890",
                    "village_code": "33.74.01.1001",
                    "occupation": "ojek_online",
                    "declared_income_idr": 1000000,
                    "jht": True,
                    "payment_period_months": 3,
                    "heirs": [{"full_name": "Siti Aminah", "relationship": "spouse"}],
                }
            ]
        },
    )

    nik: str = Field(max_length=32, description="16-digit NIK; women's day of birth is +40.")
    full_name: str = Field(max_length=150)
    birth_date: IsoDate = Field(description="YYYY-MM-DD; must match the NIK.")
    sex: str = Field(
        max_length=1, description="`M` or `F`; must match the NIK.", json_schema_extra={"enum": ["M", "F"]}
    )
    phone: str = Field(max_length=32, description="Indonesian mobile number.")
    village_code: str = Field(max_length=13, description="Kemendagri village code `PP.RR.SS.NNNN`.")
    occupation: str = Field(max_length=40, description="A code from `GET /api/v1/occupations`.")
    declared_income_idr: StrictInt = Field(
        description="Monthly declared income in rupiah, at least 1000000.", json_schema_extra={"minimum": 0}
    )
    jht: StrictBool = Field(description="Include old-age savings (JHT); JKK and JKM are always included.")
    second_occupation: str = Field("", max_length=40)
    payment_period_months: StrictInt = Field(
        1, description="Preferred payment period, 1–12 months.", json_schema_extra={"minimum": 1, "maximum": 12}
    )
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=255)
    postal_code: str = Field("", max_length=10)
    heirs: list[HeirIn] = Field(default_factory=list, max_length=20)
    referral_code: str | None = Field(
        None,
        description=(
            "The referral code on the flyer or link that brought the worker (3–20 letters, digits or dashes), "
            "counted for its community, agent or branch. A code that cannot be one is not recorded and never "
            "stops the registration."
        ),
        examples=["K7QX2MA"],
    )


class HeirOut(Schema):
    full_name: str
    relationship: str
    birth_date: dt.date | None
    nik: str = Field(description="Masked.")


class WorkerOut(Schema):
    membership_number: str = Field(examples=["12345678903"])
    nik: str = Field(description="Masked: regency prefix only.", examples=["3374 •••• •••• ••••"])
    full_name: str
    birth_date: dt.date
    sex: str
    phone: str = Field(description="Masked.")
    phone_verified: bool
    village_code: str
    occupation: str
    sector: str
    second_occupation: str
    declared_income_idr: int
    programs: list[str] = Field(examples=[["JKK", "JKM", "JHT"]])
    payment_period_months: int
    branch: str
    channel: str
    status: str = Field(description="`active`, or `merged` when this record was found to duplicate an older one.")
    merged_into: str = Field(description="Membership number of the record this one was merged into, or empty.")
    registered_at: dt.datetime
    identity_warnings: list[str]
    referral_code: str = Field("", description="The referral code recorded at registration, or empty.")
    heirs: list[HeirOut]


def worker_out(worker: Worker, *, heirs: list[Heir] | None = None) -> dict[str, Any]:
    """The API's view of a member; ``heirs`` when the caller already holds them (else one query)."""
    return {
        "membership_number": worker.membership_number,
        "nik": worker.nik_masked,
        "full_name": worker.full_name,
        "birth_date": worker.birth_date,
        "sex": worker.sex,
        "phone": mask_phone(worker.phone),
        "phone_verified": worker.phone_verified,
        "village_code": worker.village_id,
        "occupation": worker.occupation.code,
        "sector": worker.occupation.sector,
        "second_occupation": worker.second_occupation.code if worker.second_occupation else "",
        "declared_income_idr": worker.declared_income_idr,
        "programs": worker.programs,
        "payment_period_months": worker.payment_period_months,
        "branch": worker.branch.code if worker.branch else "",
        "channel": worker.channel,
        "status": worker.status,
        "merged_into": worker.merged_into.membership_number if worker.merged_into else "",
        "registered_at": worker.registered_at,
        "identity_warnings": list(worker.identity_warnings or []),
        "referral_code": worker.referral_code,
        "heirs": [
            {
                "full_name": heir.full_name,
                "relationship": heir.relationship,
                "birth_date": heir.birth_date,
                "nik": heir.nik_masked,
            }
            for heir in (heir_list(worker=worker) if heirs is None else heirs)
        ],
    }


@occupations_router.get(
    "",
    response=list[OccupationOut],
    auth=None,
    summary="List occupations",
    description="The catalogue of informal occupations with their sector.",
)
def list_occupations(request: HttpRequest) -> list[dict[str, str]]:
    return [{"code": o.code, "name": o.name, "sector": o.sector} for o in occupation_list()]


def _api_key(request: HttpRequest) -> Any:
    return getattr(request, "api_key", None)


@router.post(
    "",
    response={201: WorkerOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut, 400: ErrorOut},
    auth=KEY_OR_SESSION,
    summary="Register a worker",
    description=(
        "Registers one worker with JKK and JKM (and JHT when `jht` is true). "
        "422 lists problems per field; 409 `nik_registered` when the NIK already belongs to a member "
        "(nothing about that member is revealed). The mobile number starts unverified."
    ),
)
def register_worker(request: HttpRequest, data: WorkerIn) -> Status[dict[str, Any]]:
    key = _api_key(request)
    user = request.user
    if key is not None:
        actor = Actor.for_user(key.user) if key.user_id else Actor.for_api_key(key.prefix)
        organisation = key.organisation_code
        branch = None
    else:
        if not user.has_perm("accounts.register_worker"):
            raise PermissionDenied(_("You are not allowed to register workers."))
        actor, organisation, branch = Actor.for_user(user), "", getattr(user, "branch", None)
    registration = RegistrationInput(
        nik=data.nik,
        full_name=data.full_name,
        birth_date=data.birth_date,
        sex=data.sex,
        phone=data.phone,
        village_code=data.village_code,
        occupation_code=data.occupation,
        second_occupation_code=data.second_occupation,
        declared_income_idr=data.declared_income_idr,
        jht=data.jht,
        payment_period_months=data.payment_period_months,
        email=data.email,
        address=data.address,
        postal_code=data.postal_code,
        heirs=[
            HeirInput(
                full_name=h.full_name, relationship=h.relationship, birth_date=h.birth_date, nik=h.nik, phone=h.phone
            )
            for h in data.heirs
        ],
    )
    worker = worker_register(
        actor=actor,
        data=registration,
        channel=Channel.API,
        phone_verified=False,
        branch=branch,
        organisation_code=organisation,
        # Cleaned as the portal's ?ref= is (referral_code_clean): a mistyped code is dropped, never refused.
        referral_code=(data.referral_code or "")[:100],
    )
    # A registration without heirs has none to read back.
    return Status(201, worker_out(worker, heirs=None if registration.heirs else []))


@router.get(
    "/{membership_number}",
    response={200: WorkerOut, 401: ErrorOut, 404: ErrorOut},
    auth=KEY_OR_SESSION,
    summary="Get a worker",
    description="A partner key sees the workers its organisation registered; staff see their region. NIK masked.",
)
def get_worker(request: HttpRequest, membership_number: str) -> dict[str, Any]:
    if not membership_number_is_valid(membership_number):
        raise NotFound(_("No worker with this membership number."))
    key = _api_key(request)
    if key is not None:
        worker = worker_get_for_api_key(api_key=key, membership_number=membership_number)
    else:
        worker = worker_get_for_user(user=request.user, membership_number=membership_number)
    return worker_out(worker)
