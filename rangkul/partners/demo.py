"""The demo partner for ``seed_demo``: a market traders' cooperative with one finished import.

The import goes through the real path (``import_job_create`` and ``import_job_run``)
with a small spreadsheet written here, so the partner admin's pages show members,
an import with its per-row report (one row is rejected on purpose) and the
template. The file's content is fixed (no dates relative to today), so a second
run finds the same file and imports nothing twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from rangkul.audit.actors import Actor
from rangkul.core.bulk import collector_relaxed
from rangkul.core.processes import forked
from rangkul.partners.importing.parse import TEMPLATE_HEADERS
from rangkul.partners.models import ImportJob, Organisation, OrganisationKind
from rangkul.partners.services import (
    import_job_create,
    import_job_run,
    organisation_create,
    organisation_user_add,
)
from rangkul.regions.models import Village
from rangkul.registry.identity import nik_compose

ACTOR = Actor.system("seed_demo")
CODE = "kopasar-johar"
NAME = "Koperasi Pedagang Pasar Johar (demo)"
REGENCY = "33.74"
FILE_NAME = "anggota-koperasi-pasar-johar.csv"
MEMBERS = 24
FIRST = ["Sri", "Siti", "Warsini", "Sumarni", "Tumini", "Agus", "Slamet", "Bambang", "Joko", "Paijo", "Ngatini", "Yuli"]
FAMILY = ["Wahyuni", "Rahayu", "Lestari", "Santoso", "Purnomo", "Hartono", "Suryani", "Utami", "Pratama", "Wibowo"]
OCCUPATIONS = ["pedagang", "pedagang", "pedagang_kaki_lima", "penjual_makanan", "penjahit", "tukang_parkir"]
INCOMES = ["1000000", "1000000", "1500000", "2000000"]


def _rows(villages: list[str]) -> list[dict[str, str]]:
    rng = random.Random(CODE)  # noqa: S311 — demo data, reproducible on purpose
    rows: list[dict[str, str]] = []
    for index in range(MEMBERS):
        sex = "F" if index % 3 else "M"
        first = rng.choice(FIRST[:7] if sex == "F" else FIRST[5:])
        birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randint(0, 35 * 365))
        village = rng.choice(villages)
        nik = nik_compose(district_code=village[:8], birth_date=birth, sex=sex, serial=9000 + index)
        rows.append(
            {
                "nik": nik,
                "full_name": f"{first} {rng.choice(FAMILY)}",
                "birth_date": birth.strftime("%d/%m/%Y"),
                "sex": "P" if sex == "F" else "L",
                "phone": f"0857{rng.randint(10**7, 10**8 - 1)}",
                "village_code": village,
                "occupation": rng.choice(OCCUPATIONS),
                "declared_income_idr": rng.choice(INCOMES),
                "jht": "ya" if rng.random() < 0.3 else "tidak",
                "email": "",
                "address": f"Pasar Johar Blok {chr(65 + index % 6)} No. {index + 1}",
                "postal_code": "",
            }
        )
    # One row a clerk typed wrongly (a NIK one digit short), so the report has something to show.
    rows[-1]["nik"] = rows[-1]["nik"][:15]
    return rows


def demo_partner_file(villages: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(TEMPLATE_HEADERS.values())
    for row in _rows(villages):
        writer.writerow(row[name] for name in TEMPLATE_HEADERS)
    return buffer.getvalue().encode("utf-8")


def seed_demo_partner(*, admin: Any, branch: Any) -> dict[str, int]:
    """The demo cooperative, ``admin`` acting for it, and its imported members (again: nothing new)."""
    villages = sorted(Village.objects.filter(code__startswith=f"{REGENCY}.").values_list("code", flat=True))[:40]
    if not villages:
        return {"partner_members": 0}
    with transaction.atomic():
        organisation = Organisation.objects.filter(code=CODE).first() or organisation_create(
            actor=ACTOR,
            code=CODE,
            name=NAME,
            kind=OrganisationKind.COOPERATIVE,
            region_code=REGENCY,
            contact_name="Ibu Warsini",
            contact_phone="+62247654321",
            branch=branch,
        )
        organisation_user_add(actor=ACTOR, organisation=organisation, user=admin)
        job, _created = import_job_create(
            actor=Actor.for_user(admin),
            organisation=organisation,
            upload=ContentFile(demo_partner_file(villages), name=FILE_NAME),
            name=FILE_NAME,
        )
    with collector_relaxed():
        job = import_job_run(job_id=job.pk, parts_runner=forked)
    return {"partner_members": ImportJob.objects.get(pk=job.pk).imported}
