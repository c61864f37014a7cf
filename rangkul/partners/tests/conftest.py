from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any, cast

import pytest
from django.contrib.auth.models import Group

from conftest import PASSWORD
from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.audit.actors import Actor
from rangkul.partners.models import Organisation
from rangkul.partners.services import organisation_user_add
from rangkul.partners.tests.factories import OrganisationFactory
from rangkul.registry.models import Worker
from rangkul.registry.services import RegistrationInput, worker_register

HEADER = [
    "NIK",
    "Nama Lengkap",
    "Tanggal Lahir",
    "Jenis Kelamin",
    "Nomor HP",
    "Kode Desa",
    "Pekerjaan",
    "Penghasilan",
    "JHT",
]


def good_row(serial: int, **overrides: Any) -> list[str]:
    """A valid row: a man born 17/08/1990 in Semarang Tengah, with a distinct NIK and phone."""
    row = {
        "NIK": f"337401170890{serial:04d}",
        "Nama Lengkap": f"Budi Santoso {chr(65 + serial % 26)}",
        "Tanggal Lahir": "17/08/1990",
        "Jenis Kelamin": "L",
        "Nomor HP": f"0812{serial:08d}",
        "Kode Desa": "33.74.01.1001",
        "Pekerjaan": "pedagang",
        "Penghasilan": "1500000",
        "JHT": "ya",
    }
    row.update(overrides)
    return [row[h] for h in HEADER]


def write_csv(
    path: Path, rows: list[list[str]], *, header: list[str] = HEADER, delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def organisation(regions) -> Organisation:
    return cast(Organisation, OrganisationFactory(code="kopmaju", name="Koperasi Maju"))


@pytest.fixture
def registered(regions) -> Worker:
    return worker_register(
        actor=Actor.system("system"),
        data=RegistrationInput(
            nik="3374011708900099",
            full_name="Sudah Terdaftar",
            birth_date=dt.date(1990, 8, 17),
            sex="M",
            phone="081299999999",
            village_code="33.74.01.1001",
            occupation_code="pedagang",
            declared_income_idr=1_000_000,
            jht=False,
        ),
        channel="office",
    )


@pytest.fixture
def other_organisation(regions) -> Organisation:
    return cast(Organisation, OrganisationFactory(code="ojolbersatu", name="Komunitas Ojol Bersatu"))


@pytest.fixture
def partner(partner_admin, organisation):
    organisation_user_add(actor=Actor.system("system"), organisation=organisation, user=partner_admin)
    return partner_admin


@pytest.fixture
def other_partner(roles, other_organisation):
    user = UserFactory(username="other_partner", password=PASSWORD)
    user.groups.add(*Group.objects.filter(name=Role.PARTNER_ADMIN.value))
    organisation_user_add(actor=Actor.system("system"), organisation=other_organisation, user=user)
    return user
