from __future__ import annotations

import datetime as dt
from typing import Any, cast

from rangkul.audit.actors import Actor
from rangkul.partners.models import Organisation, OrganisationKind
from rangkul.partners.tests.factories import OrganisationFactory
from rangkul.sponsorships.models import Sponsorship
from rangkul.sponsorships.services import SponsorshipInput, sponsorship_create

TODAY = dt.date(2026, 5, 2)


def sponsor(code: str = "pemkot-smg", kind: str = OrganisationKind.LOCAL_GOVERNMENT) -> Organisation:
    return cast(Organisation, OrganisationFactory(code=code, name=f"Sponsor {code}", kind=kind))


def sponsorship(organisation: Organisation, **overrides: Any) -> Sponsorship:
    values: dict[str, Any] = {
        "code": "APBD-SMG-2026",
        "name": "Perlindungan pekerja rentan Kota Semarang",
        "payer_kind": "regional_budget",
        "start_month": "2026-05",
        "months": 3,
        "budget_idr": 1_000_000,
        "programs": ["JKK", "JKM"],
        "document_reference": "Perwali 12/2026",
    }
    values.update(overrides)
    return sponsorship_create(actor=Actor.system("test"), organisation=organisation, data=SponsorshipInput(**values))
