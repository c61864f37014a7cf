"""A seeded, reproducible synthetic population for benchmarks and demos.

Members are spread over the real region list weighted by province population, with
occupations and sectors, ages and sexes that agree with valid NIKs, declared-income levels
from the rule table, enrolment channels, and contribution histories that behave like people:
regular payers, late payers a month or two behind, prepayers, members who lapse after some months
(long ago or lately), sponsored cohorts that stop after three months, and people who never pay.
Each member's status and its history are stored as payments and refreshes would store them.
Everything is written through bulk paths (``COPY`` on PostgreSQL, batched inserts on SQLite);
the NIK is sealed and hashed exactly as the registry does it.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from stdnum import luhn

from rangkul.contributions.ledger import account_get, clearing_account, contribution_account
from rangkul.contributions.models import (
    ContributionMonth,
    JournalEntry,
    JournalLine,
    MemberStatus,
    MemberStatusChange,
)
from rangkul.contributions.quotes import contribution_quote
from rangkul.contributions.rules import rules_for_memo
from rangkul.contributions.schedule import member_status_and_review
from rangkul.core.bulk import insert_rows
from rangkul.core.crypto import lookup_hash, seal
from rangkul.core.periods import Period
from rangkul.regions.models import Village
from rangkul.registry.models import Occupation, Worker, programs_for

DATA = Path(__file__).parent / "data"
BATCH = 5_000
POPULATION_CHANNEL = "legacy"  # history migrated from the agency's previous system

# Behaviour shares; they add up to 1.
# Days of the month people pay on, and how long before the history starts they registered:
# a few values, so that identical histories share one status computation.
PAYMENT_DAYS = (3, 8, 12, 14, 20)
REGISTERED_DAYS_BEFORE = (0, 10, 20, 30, 45, 60)
BEHAVIOURS = [
    ("regular", 0.42),
    ("late", 0.08),
    ("prepayer", 0.15),
    ("lapser", 0.18),
    ("sponsored", 0.10),
    ("never", 0.07),
]
COMMON_OCCUPATIONS = {"pedagang", "pedagang_kaki_lima", "ojek_online", "petani", "buruh_harian_lepas"}
CHANNELS = [("portal", 0.35), ("agent", 0.20), ("import", 0.35), ("office", 0.10)]
INCOMES = [(1_000_000, 0.70), (1_500_000, 0.10), (2_000_000, 0.10), (3_000_000, 0.06), (5_000_000, 0.04)]
FIRST = ["Agus", "Budi", "Siti", "Sri", "Dewi", "Rina", "Joko", "Wahyu", "Nur", "Made", "Putu", "Yohanes", "Ani", "Eko"]
LAST = ["Santoso", "Wibowo", "Lestari", "Rahayu", "Hidayat", "Saputra", "Siregar", "Nainggolan", "Pratama", "Wati"]


def _weighted(rng: random.Random, choices: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


@dataclass
class Summary:
    members: int = 0
    paid_months: int = 0
    entries: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def as_dict(self) -> dict[str, Any]:
        return {
            "members": self.members,
            "paid_months": self.paid_months,
            "entries": self.entries,
            "statuses": dict(self.statuses),
        }


class _Places:
    """Villages grouped by province, drawn with the province's population share."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        by_province: dict[str, list[str]] = defaultdict(list)
        for code in Village.objects.values_list("code", flat=True).iterator(chunk_size=20_000):
            by_province[code[:2]].append(code)
        if not by_province:
            raise RuntimeError("No villages: run `python manage.py load_regions` first.")
        weights = {}
        with (DATA / "province_weights.csv").open() as stream:
            for row in csv.DictReader(line for line in stream if not line.startswith("#")):
                weights[row["code"]] = float(row["share"])
        self.provinces = sorted(by_province)
        self.villages = by_province
        default = min(weights.values()) if weights else 1.0
        self.cumulative = list(accumulate(weights.get(p, default) for p in self.provinces))

    def village(self) -> str:
        pick = bisect.bisect_left(self.cumulative, self.rng.random() * self.cumulative[-1])
        return self.rng.choice(self.villages[self.provinces[min(pick, len(self.provinces) - 1)]])


def nik_for(rng: random.Random, village: str, birth: dt.date, sex: str, used: set[str]) -> str:
    district = village[:8].replace(".", "")
    day = birth.day + (40 if sex == "F" else 0)
    stem = f"{district}{day:02d}{birth.month:02d}{birth.year % 100:02d}"
    serial = rng.randint(1, 9999)
    while f"{stem}{serial:04d}" in used:
        serial = serial % 9999 + 1
    nik = f"{stem}{serial:04d}"
    used.add(nik)
    return nik


# Mobile prefixes in use by Indonesian operators (Telkomsel, Indosat, XL, Smartfren, Tri).
MOBILE_PREFIXES = (
    "811",
    "812",
    "813",
    "821",
    "822",
    "852",
    "853",
    "856",
    "857",
    "858",
    "817",
    "818",
    "819",
    "859",
    "877",
    "878",
    "881",
    "882",
    "895",
    "896",
    "897",
    "898",
    "899",
)


def phone_for(rng: random.Random) -> str:
    return f"+62{rng.choice(MOBILE_PREFIXES)}{rng.randint(10**7, 10**8 - 1)}"


def _membership_number(index: int, seed: int) -> str:
    body = str(9_000_000_000 + seed * 10_000_000 + index)[-10:]
    return body + luhn.calc_check_digit(body)


def _paid_periods(rng: random.Random, behaviour: str, months: list[Period]) -> list[list[Period]]:
    """The payments a member made, each a list of months paid together."""
    if behaviour == "never":
        return []
    if behaviour == "regular":
        start = rng.randrange(0, 3)
        return [[p] for p in months[start:]]
    if behaviour == "prepayer":
        size = rng.choice([3, 6, 12])
        chunks = [months[i : i + size] for i in range(0, len(months), size)]
        return [c for c in chunks if c]
    if behaviour == "late":
        # Paid every month until one or two months ago: in arrears today, still able to catch up.
        start = rng.randrange(0, 3)
        return [[p] for p in months[start : len(months) - rng.randint(1, 2)]]
    if behaviour == "lapser":
        # Stopped after a few months, at any point of the year: long ended, or ended lately.
        keep = rng.randint(1, max(1, len(months) - 4))
        return [[p] for p in months[:keep]]
    # sponsored: a local government paid the first three months for the cohort, then it stopped
    return [months[:3]]


def generate(*, members: int, months: int = 12, seed: int = 2026, today: dt.date | None = None) -> Summary:
    """Add ``members`` synthetic members with up to ``months`` months of history."""
    rng = random.Random(seed)  # noqa: S311 — demo data, reproducible on purpose
    today = today or timezone.localdate()
    places = _Places(rng)
    occupations = list(Occupation.objects.filter(is_active=True).values_list("code", "sector", "id"))
    if not occupations:
        raise RuntimeError("No occupations: run migrations first.")
    occupation_weights = [3.0 if code in COMMON_OCCUPATIONS else 1.0 for code, _s, _i in occupations]
    history = [Period.of(today) - (months - 1) + i for i in range(months)]
    rules_for = rules_for_memo()
    quote_cache: dict[tuple[int, bool, str, Period, str | None], Any] = {}
    # Histories repeat (same months, same payment days), so each distinct one is simulated once.
    status_cache: dict[tuple[dt.date, tuple[tuple[Period, dt.date], ...]], Any] = {}
    accounts = {code: account_get(code).pk for code in [clearing_account(POPULATION_CHANNEL)]}
    for program in programs_for(jht=True):
        accounts[contribution_account(program)] = account_get(contribution_account(program)).pk
    used: set[str] = set()
    summary = Summary()
    now = timezone.now()
    first_index = Worker.objects.count()

    def price(income: int, jht: bool, sector: str, period: Period, sponsor: str | None) -> Any:
        key = (income, jht, sector, period, sponsor)
        if key not in quote_cache:
            quote_cache[key] = contribution_quote(
                declared_income_idr=income, jht=jht, sector=sector, month=period, sponsor_kind=sponsor
            )
        return quote_cache[key]

    for start in range(0, members, BATCH):
        count = min(BATCH, members - start)
        workers = []
        plans = []
        for offset in range(count):
            index = first_index + start + offset
            sex = "F" if rng.random() < 0.45 else "M"
            birth = dt.date(today.year - rng.randint(18, 64), rng.randint(1, 12), rng.randint(1, 28))
            village = places.village()
            nik = nik_for(rng, village, birth, sex, used)
            _code, sector, occupation_id = rng.choices(occupations, weights=occupation_weights)[0]
            behaviour = _weighted(rng, BEHAVIOURS)
            registered_on = history[0].first_day - dt.timedelta(days=rng.choice(REGISTERED_DAYS_BEFORE))
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            workers.append(
                Worker(
                    membership_number=_membership_number(index, seed),
                    nik_sealed=seal(nik),
                    nik_hash=lookup_hash(nik),
                    full_name=name,
                    name_normalized=name.upper(),
                    birth_date=birth,
                    sex=sex,
                    phone=phone_for(rng),
                    phone_verified_at=now,
                    village_id=village,
                    occupation_id=occupation_id,
                    declared_income_idr=_weighted(rng, INCOMES),
                    jht=rng.random() < 0.25,
                    payment_period_months=1 if behaviour != "prepayer" else 3,
                    channel=_weighted(rng, CHANNELS),
                    registered_at=dt.datetime.combine(registered_on, dt.time(9), tzinfo=dt.UTC),
                    identity_warnings=[],
                )
            )
            plans.append((behaviour, sector, _paid_periods(rng, behaviour, history)))
        with transaction.atomic():
            Worker.objects.bulk_create(workers, batch_size=BATCH)
            created = {w.membership_number: w.pk for w in workers}
            if any(pk is None for pk in created.values()):  # SQLite before 3.35 returns no ids
                created = dict(
                    Worker.objects.filter(membership_number__in=list(created)).values_list("membership_number", "pk")
                )
            entries = [
                JournalEntry(
                    occurred_at=now, kind="history_import", reference=f"pop:{w.membership_number}", memo="synthetic"
                )
                for w, (_b, _s, payments) in zip(workers, plans, strict=True)
                if payments
            ]
            JournalEntry.objects.bulk_create(entries, batch_size=BATCH)
            entry_ids = dict(
                JournalEntry.objects.filter(
                    kind="history_import", reference__in=[e.reference for e in entries]
                ).values_list("reference", "pk")
            )
            month_rows, line_rows, statuses, changes = [], [], [], []
            for worker, (behaviour, sector, payments) in zip(workers, plans, strict=True):
                worker_id = created[worker.membership_number]
                sponsor = "regional_budget" if behaviour == "sponsored" else None
                paid_on: dict[Period, dt.date] = {}
                totals: dict[str, int] = defaultdict(int)
                entry_id = entry_ids.get(f"pop:{worker.membership_number}")
                for chunk in payments:
                    paid_day = min(chunk[0].day(rng.choice(PAYMENT_DAYS)), today)
                    for period in chunk:
                        quote = price(worker.declared_income_idr, worker.jht, sector, period, sponsor)
                        covered_from = period.first_day if paid_day <= period.day(15) else paid_day
                        for line in quote.lines:
                            month_rows.append(
                                (
                                    worker_id,
                                    period.first_day,
                                    line.program,
                                    line.amount_idr,
                                    line.discount_idr,
                                    dt.datetime.combine(paid_day, dt.time(10), tzinfo=dt.UTC),
                                    covered_from,
                                    entry_id,
                                )
                            )
                            totals[line.program] += line.amount_idr
                        paid_on[period] = paid_day
                if entry_id is not None:
                    line_rows.append(
                        (
                            entry_id,
                            accounts[clearing_account(POPULATION_CHANNEL)],
                            worker_id,
                            None,
                            "",
                            sum(totals.values()),
                            0,
                        )
                    )
                    for program, amount in totals.items():
                        line_rows.append(
                            (entry_id, accounts[contribution_account(program)], worker_id, None, program, 0, amount)
                        )
                status_key = (timezone.localdate(worker.registered_at), tuple(sorted(paid_on.items())))
                cached = status_cache.get(status_key)
                if cached is None:
                    cached = status_cache[status_key] = member_status_and_review(
                        registered_on=status_key[0], paid=paid_on, today=today, rules_for=rules_for
                    )
                info, review_on = cached
                summary.statuses[info.status] += 1
                # The history a member's payments and refreshes would have written, change by change.
                changes += [(worker_id, change.status, change.since, now) for change in info.history]
                statuses.append(
                    MemberStatus(  # type: ignore[misc]  # PeriodField takes a Period
                        worker_id=worker_id,
                        status=info.status,
                        since=info.since,
                        paid_through=info.paid_through,
                        arrears_months=len(info.arrears),
                        pay_arrears_by=info.pay_arrears_by,
                        next_review_on=review_on,
                    )
                )
            insert_rows(
                ContributionMonth,
                ["worker_id", "period", "program", "amount_idr", "discount_idr", "paid_at", "covered_from", "entry_id"],
                month_rows,
            )
            insert_rows(
                JournalLine,
                ["entry_id", "account_id", "worker_id", "period", "program", "debit_idr", "credit_idr"],
                line_rows,
            )
            MemberStatus.objects.bulk_create(statuses, batch_size=BATCH)
            insert_rows(MemberStatusChange, ["worker_id", "status", "since", "recorded_at"], changes)
        summary.members += count
        summary.paid_months += len(month_rows)
        summary.entries += len(entries)
    return summary
