"""Demo workers for ``seed_demo``: realistic, reproducible, registered through the real service.

Mostly Kota Semarang (33.74, the demo branch's city), some elsewhere in Java,
Bali, Sulawesi and Papua. NIKs agree with each person's date of birth and sex
and carry the district of their village. A fixed random seed makes the same
people every time, so running it again registers nobody twice.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.core.errors import Conflict
from rangkul.regions.models import Village
from rangkul.registry.identity import nik_compose
from rangkul.registry.models import Channel, Occupation, PossibleDuplicate, Worker
from rangkul.registry.services import HeirInput, RegistrationInput, worker_register

ACTOR = Actor.system("seed_demo")
HOME_REGENCY = "33.74"
OTHER_REGENCIES = ["33.22", "33.21", "33.24", "31.71", "32.73", "35.78", "34.71", "51.71", "73.71", "94.01", "91.71"]
HOME_SHARE = 0.75

MEN = [
    "Agus", "Budi", "Joko", "Slamet", "Bambang", "Teguh", "Eko", "Dwi", "Rudi", "Hendra", "Wahyu", "Arif", "Yusuf",
    "Ahmad", "Muhammad", "Rizky", "Fajar", "Dedi", "Sugeng", "Heru", "Imam", "Suparno", "Tri", "Yoga", "Bayu",
]  # fmt: skip
WOMEN = [
    "Sri", "Siti", "Dewi", "Wulan", "Rina", "Ani", "Endang", "Sumiati", "Lestari", "Nur", "Puji", "Fitri", "Indah",
    "Ratna", "Yuni", "Tri", "Eka", "Ayu", "Kartini", "Suparmi", "Nining", "Retno", "Diah", "Lina", "Maya",
]  # fmt: skip
FAMILY = [
    "Santoso", "Wibowo", "Susanto", "Prasetyo", "Hidayat", "Setiawan", "Kurniawan", "Rahayu", "Lestari", "Wahyuni",
    "Saputra", "Nugroho", "Purnomo", "Suryani", "Hartono", "Gunawan", "Utami", "Pratama", "Handayani", "Sutrisno",
    "Maharani", "Firmansyah", "Ramadhan", "Siregar", "Simanjuntak", "Wijaya", "Pangestu", "Kusuma",
]  # fmt: skip
# Weights follow the shape of the BPU membership: traders and drivers first.
OCCUPATION_WEIGHTS = {
    "pedagang": 14, "pedagang_kaki_lima": 8, "ojek_online": 12, "ojek_pangkalan": 5, "sopir": 5, "kurir": 5,
    "petani": 7, "buruh_tani": 5, "nelayan": 3, "peternak": 2, "pengrajin": 3, "buruh_harian_lepas": 8,
    "tukang_bangunan": 5, "tukang_parkir": 3, "asisten_rumah_tangga": 4, "penjahit": 3, "penjual_makanan": 6,
    "seniman": 1, "montir": 2, "pekerja_lepas_digital": 2, "pedagang_online": 3, "tukang_becak": 1,
}  # fmt: skip
CHANNEL_WEIGHTS = {Channel.PORTAL: 50, Channel.OFFICE: 25, Channel.AGENT: 15, Channel.API: 10}
# Telkomsel, Indosat, XL and Tri prefixes (without the leading 0).
MOBILE_PREFIXES = ["812", "813", "821", "822", "852", "853", "856", "857", "858", "877", "878", "895", "896"]
INCOMES = [1_000_000] * 12 + [1_500_000] * 3 + [2_000_000] * 3 + [2_500_000, 3_000_000, 5_000_000]


def _villages(rng: random.Random) -> tuple[list[str], list[str]]:
    home = list(Village.objects.filter(code__startswith=f"{HOME_REGENCY}.").values_list("code", flat=True))
    others: list[str] = []
    for regency in OTHER_REGENCIES:
        codes = list(Village.objects.filter(code__startswith=f"{regency}.").values_list("code", flat=True)[:200])
        others.extend(rng.sample(codes, min(len(codes), 8)))
    if not home and not others:
        others = list(Village.objects.values_list("code", flat=True)[:50])
    return home, others


def _birth_date(rng: random.Random, today: dt.date) -> dt.date:
    # Ages 19–62: working age, safely under the registration limit.
    age_days = rng.randint(19 * 365 + 5, 62 * 365)
    return today - dt.timedelta(days=age_days)


def _person(rng: random.Random, today: dt.date, village: str, occupations: list[str]) -> dict[str, Any]:
    sex = rng.choice("MF")
    first = rng.choice(MEN if sex == "M" else WOMEN)
    name = f"{first} {rng.choice(FAMILY)}" if rng.random() < 0.85 else first
    birth = _birth_date(rng, today)
    codes = list(OCCUPATION_WEIGHTS)
    weights = [OCCUPATION_WEIGHTS[c] for c in codes]
    occupation = rng.choices(codes, weights)[0] if set(codes) <= set(occupations) else rng.choice(occupations)
    heirs = []
    if rng.random() < 0.6:
        spouse_sex = "F" if sex == "M" else "M"
        spouse = f"{rng.choice(WOMEN if spouse_sex == 'F' else MEN)} {name.split()[-1]}"
        heirs.append(HeirInput(full_name=spouse, relationship="spouse"))
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            child_birth = birth + dt.timedelta(days=rng.randint(20 * 365, 35 * 365))
            if child_birth < today:
                heirs.append(
                    HeirInput(
                        full_name=f"{rng.choice(MEN + WOMEN)} {name.split()[-1]}",
                        relationship="child",
                        birth_date=child_birth,
                    )
                )
    elif rng.random() < 0.5:
        heirs.append(HeirInput(full_name=f"{rng.choice(WOMEN)} {rng.choice(FAMILY)}", relationship="parent"))
    return {
        "sex": sex,
        "name": name,
        "birth": birth,
        "village": village,
        "occupation": occupation,
        "second": rng.choice(["", "", "", "", "petani", "pedagang_online", "buruh_harian_lepas"]),
        "heirs": heirs,
    }


def seed_demo_workers(count: int = 300, *, seed: int = 2026) -> dict[str, int]:
    """Register ``count`` demo workers (fewer if run again: existing NIKs are skipped)."""
    rng = random.Random(seed)  # noqa: S311 — demo data, reproducible on purpose
    today = timezone.localdate()
    home, others = _villages(rng)
    occupations = list(Occupation.objects.filter(is_active=True).values_list("code", flat=True))
    if not (home or others) or not occupations:
        return {"workers": 0, "existing": 0, "possible_duplicates": 0}
    created = existing = 0
    phones: list[str] = []
    people: list[dict[str, Any]] = []
    for index in range(count):
        pool = home if home and (rng.random() < HOME_SHARE or not others) else others
        village = rng.choice(pool)
        person = _person(rng, today, village, occupations)
        # A few people register twice (a new NIK after a typo, or a family sharing a phone):
        # the possible-duplicates queue then has something to review.
        if people and index % 40 == 17:
            earlier = rng.choice(people)
            person.update(sex=earlier["sex"], name=earlier["name"], birth=earlier["birth"], village=earlier["village"])
        phone = f"+62{rng.choice(MOBILE_PREFIXES)}{rng.randint(10**7, 10**8 - 1)}"
        if phones and index % 50 == 33:
            phone = rng.choice(phones)
        phones.append(phone)
        people.append(person)
        serial = rng.randint(1, 9999)
        nik = nik_compose(
            district_code=person["village"][:8], birth_date=person["birth"], sex=person["sex"], serial=serial
        )
        channel = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
        data = RegistrationInput(
            nik=nik,
            full_name=person["name"],
            birth_date=person["birth"],
            sex=person["sex"],
            phone=phone,
            village_code=person["village"],
            occupation_code=person["occupation"],
            second_occupation_code=person["second"] if person["second"] != person["occupation"] else "",
            declared_income_idr=rng.choice(INCOMES),
            jht=rng.random() < 0.35,
            payment_period_months=rng.choice([1, 1, 1, 3, 3, 6, 12]),
            heirs=person["heirs"],
        )
        registered_at = timezone.now() - dt.timedelta(days=rng.randint(0, 540), minutes=rng.randint(0, 1440))
        try:
            with transaction.atomic():
                worker = worker_register(
                    actor=ACTOR,
                    data=data,
                    channel=channel,
                    phone_verified=channel == Channel.PORTAL,
                    welcome=False,
                )
                # Spread registrations over the last eighteen months so dashboards have a history.
                Worker.objects.filter(pk=worker.pk).update(registered_at=registered_at)
        except Conflict:
            existing += 1
            continue
        created += 1
    return {"workers": created, "existing": existing, "possible_duplicates": PossibleDuplicate.objects.count()}


def demo_worker_login_phone() -> str:
    """A demo worker's phone, in the local form, that no other member shares: to show the worker's log-in."""
    candidates = Worker.objects.filter(channel=Channel.PORTAL, village__code__startswith="33.74.").order_by("pk")
    for worker in candidates[:50]:
        if not Worker.objects.filter(phone=worker.phone).exclude(pk=worker.pk).exists():
            return "0" + worker.phone.removeprefix("+62")
    return ""
