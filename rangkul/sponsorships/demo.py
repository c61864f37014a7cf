"""Demo sponsor: a city government whose officer (``demo_sponsor_officer``) has a draft sponsorship to
enrol members into and bill (``seed_demo``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.core.errors import ApplicationError
from rangkul.core.periods import Period
from rangkul.partners.models import Organisation, OrganisationKind
from rangkul.partners.organisations import organisation_create, organisation_user_add
from rangkul.sponsorships.models import Sponsorship
from rangkul.sponsorships.services import SponsorshipInput, sponsorship_create

CODE = "pemkot-semarang-demo"
NAME = "Pemerintah Kota Semarang (demo)"
REGENCY = "33.74"
SPONSORSHIP_CODE = "SMG-RENTAN-DEMO"
ACTOR = Actor.system("seed_demo")


def seed_demo_sponsor(*, officer: Any, branch: Any) -> dict[str, int]:
    """The demo city government, ``officer`` acting for it, and one draft sponsorship (again: nothing new)."""
    with transaction.atomic():
        organisation = Organisation.objects.filter(code=CODE).first() or organisation_create(
            actor=ACTOR,
            code=CODE,
            name=NAME,
            kind=OrganisationKind.LOCAL_GOVERNMENT,
            region_code=REGENCY,
            contact_name="Bagian Kesejahteraan Rakyat",
            contact_phone="+62243513366",
            branch=branch,
        )
        organisation_user_add(actor=ACTOR, organisation=organisation, user=officer)
        if Sponsorship.objects.filter(code=SPONSORSHIP_CODE).exists():
            return {"sponsorships": 0}
        start = Period.of(timezone.localdate()) + 1
        try:
            sponsorship_create(
                actor=Actor.for_user(officer),
                organisation=organisation,
                data=SponsorshipInput(
                    code=SPONSORSHIP_CODE,
                    name="Pekerja rentan Kota Semarang (demo)",
                    payer_kind="regional_budget",
                    start_month=str(start),
                    months=12,
                    budget_idr=50_000_000,
                    document_reference="Contoh: Keputusan Wali Kota (demo)",
                    cohort_region_code=REGENCY,
                ),
            )
        except ApplicationError:
            return {"sponsorships": 0}
    return {"sponsorships": 1}
