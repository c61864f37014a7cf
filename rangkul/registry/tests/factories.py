from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from rangkul.audit.actors import Actor
from rangkul.registry.identity import nik_compose
from rangkul.registry.models import Worker
from rangkul.registry.services import HeirInput, RegistrationInput, worker_register

_serials = itertools.count(1)


def _letters(number: int) -> str:
    """A distinct made-up name part per number, so test workers are not possible duplicates."""
    word = ""
    while number:
        number, rest = divmod(number, 26)
        word += "abcdefghijklmnopqrstuvwxyz"[rest]
    return "W" + word


def make_nik(
    *, birth_date: dt.date = dt.date(1990, 5, 17), sex: str = "M", district: str = "33.74.01", serial: int | None = None
) -> str:
    return nik_compose(district_code=district, birth_date=birth_date, sex=sex, serial=serial or next(_serials))


def registration_input(**overrides: Any) -> RegistrationInput:
    birth_date = overrides.pop("birth_date", dt.date(1990, 5, 17))
    sex = overrides.pop("sex", "M")
    village_code = overrides.pop("village_code", "33.74.01.1001")
    serial = next(_serials)
    values: dict[str, Any] = {
        "nik": make_nik(birth_date=birth_date, sex=sex, district=village_code[:8], serial=serial),
        "full_name": f"Budi {_letters(serial)} Santoso",
        "birth_date": birth_date,
        "sex": sex,
        "phone": f"+62812{3000000 + serial:07d}",
        "village_code": village_code,
        "occupation_code": "pedagang",
        "declared_income_idr": 1_000_000,
        "jht": False,
    }
    values.update(overrides)
    return RegistrationInput(**values)


def worker_create(*, actor: Any = "test", channel: str = "office", referral_code: str = "", **overrides: Any) -> Worker:
    """A registered member; ``actor`` is an ``Actor``, a user or a label (read as ``Actor.of`` reads it)."""
    return worker_register(
        actor=Actor.of(actor), data=registration_input(**overrides), channel=channel, referral_code=referral_code
    )


def heir_input(**overrides: Any) -> HeirInput:
    values: dict[str, Any] = {"full_name": "Siti Aminah", "relationship": "spouse"}
    values.update(overrides)
    return HeirInput(**values)
