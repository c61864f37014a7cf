"""Rule files → rule rows, and the in-memory ``RuleBook`` every calculation reads.

A rule file is one version (``rules/*.toml``). Loading is idempotent: an
unchanged file is skipped, a changed file replaces an unlocked version, and a
locked version (one that has priced a bill) is never changed: the loader
refuses. New rules arrive as new files with a later ``effective_from``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.contributions.errors import ContributionErrorCode, NoRulesForMonth
from rangkul.contributions.models import RuleSet
from rangkul.core.errors import Conflict, ValidationFailed
from rangkul.core.money import apply_rate
from rangkul.core.periods import Period
from rangkul.registry.eligibility import RegistrationRules

RULES_DIR = Path(__file__).resolve().parent / "rules"

PROGRAM_BASES = {"income_level", "flat", "rate", "none"}
SECTORS = ("transport", "non_transport")


class RuleFileInvalid(ValidationFailed):
    default_code = ContributionErrorCode.RULE_FILE_INVALID


class RuleVersionLocked(Conflict):
    default_code = ContributionErrorCode.RULE_VERSION_LOCKED


# --- parsing --------------------------------------------------------------------------------


def _require(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise RuleFileInvalid(_("Rule file %(where)s lacks %(key)s.") % {"where": where, "key": key})
    return data[key]


def _decimal(value: Any, where: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise RuleFileInvalid(_("Rule file %(where)s has an invalid number.") % {"where": where}) from exc


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise RuleFileInvalid(_("Rule file %(where)s has an invalid date.") % {"where": where})


def _period(value: Any, where: str) -> Period:
    try:
        return Period.parse(str(value))
    except ValueError as exc:
        raise RuleFileInvalid(_("Rule file %(where)s has an invalid month.") % {"where": where}) from exc


def parse_rule_file(path: Path) -> dict[str, Any]:
    """Read and validate one rule file into plain values (no database access)."""
    raw = path.read_bytes()
    name = path.name
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RuleFileInvalid(_("Rule file %(where)s cannot be read.") % {"where": name}) from exc
    schedule = _require(data, "schedule", name)
    eligibility = _require(data, "eligibility", name)
    effective_from = _date(_require(data, "effective_from", name), name)
    effective_to = _date(data["effective_to"], name) if "effective_to" in data else None
    if effective_to is not None and effective_to < effective_from:
        raise RuleFileInvalid(_("Rule file %(where)s ends before it starts.") % {"where": name})
    ruleset: dict[str, Any] = {
        "version": str(_require(data, "version", name)),
        "effective_from": effective_from,
        "effective_to": effective_to,
        "citation": str(_require(data, "citation", name)).strip(),
        "source_file": name,
        "content_sha256": hashlib.sha256(raw).hexdigest(),
        "due_day": int(_require(schedule, "due_day", name)),
        "holiday_calendar": str(schedule.get("holiday_calendar", "ID")),
        "prepay_min_months": int(_require(schedule, "prepay_min_months", name)),
        "prepay_max_months": int(_require(schedule, "prepay_max_months", name)),
        "arrears_window_months": int(_require(schedule, "arrears_window_months", name)),
        "lapse_after_unpaid_months": int(_require(schedule, "lapse_after_unpaid_months", name)),
        "retroactive_cover": bool(schedule.get("retroactive_cover", False)),
        "registration_min_age": int(_require(eligibility, "registration_min_age", name)),
        "registration_max_age": int(_require(eligibility, "registration_max_age", name)),
    }
    if not 1 <= ruleset["due_day"] <= 28:
        raise RuleFileInvalid(_("Rule file %(where)s has a due day outside 1..28.") % {"where": name})
    if not 1 <= ruleset["prepay_min_months"] <= ruleset["prepay_max_months"]:
        raise RuleFileInvalid(_("Rule file %(where)s has invalid prepay lengths.") % {"where": name})

    programs = []
    for item in _require(data, "programs", name):
        basis = str(_require(item, "basis", name))
        if basis not in PROGRAM_BASES:
            raise RuleFileInvalid(_("Rule file %(where)s has an unknown program basis.") % {"where": name})
        programs.append(
            {
                "code": str(_require(item, "code", name)),
                "name": str(item.get("name", item["code"])),
                "available": bool(_require(item, "available", name)),
                "mandatory": bool(item.get("mandatory", False)),
                "basis": basis,
                "flat_idr": int(item["flat_idr"]) if "flat_idr" in item else None,
                "rate": _decimal(item["rate"], name) if "rate" in item else None,
                "citation": str(item.get("citation", "")),
            }
        )
    levels = [
        {"income_idr": int(_require(row, "income_idr", name)), "jkk_idr": int(_require(row, "jkk_idr", name))}
        for row in _require(_require(data, "income", name), "levels", name)
    ]
    if not levels:
        raise RuleFileInvalid(_("Rule file %(where)s has no income levels.") % {"where": name})
    discounts = []
    for item in data.get("discounts", []):
        sectors = [str(s) for s in item.get("sectors", SECTORS)]
        if any(s not in SECTORS for s in sectors):
            raise RuleFileInvalid(_("Rule file %(where)s names an unknown sector.") % {"where": name})
        from_period = _period(_require(item, "from_month", name), name)
        to_period = _period(_require(item, "to_month", name), name)
        if to_period < from_period:
            raise RuleFileInvalid(_("Rule file %(where)s has a discount that ends before it starts.") % {"where": name})
        discounts.append(
            {
                "code": str(_require(item, "code", name)),
                "rate": _decimal(_require(item, "rate", name), name),
                "programs": [str(p) for p in _require(item, "programs", name)],
                "sectors": sectors,
                "from_period": from_period,
                "to_period": to_period,
                "excluded_sponsor_kinds": [str(k) for k in item.get("excluded_sponsor_kinds", [])],
                "citation": str(item.get("citation", "")),
            }
        )
    benefits = []
    for item in data.get("benefits", []):
        values = {k: v for k, v in item.items() if k not in {"program", "code", "order", "citation"}}
        benefits.append(
            {
                "program": str(_require(item, "program", name)),
                "code": str(_require(item, "code", name)),
                "order": int(item.get("order", 0)),
                "values": values,
                "citation": str(item.get("citation", "")),
            }
        )
    return {"ruleset": ruleset, "programs": programs, "levels": levels, "discounts": discounts, "benefits": benefits}


# --- loading --------------------------------------------------------------------------------


def _known(model: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Only the fields the (possibly historical) model has: lets old migrations load newer files."""
    names = {f.name for f in model._meta.concrete_fields}
    return {k: v for k, v in values.items() if k in names}


def rules_load(
    *,
    directory: Path = RULES_DIR,
    paths: Iterable[Path] | None = None,
    get_model: Callable[[str, str], Any] = global_apps.get_model,
) -> dict[str, list[str]]:
    """Load rule files; returns ``{"loaded": [...], "unchanged": [...]}`` by version.

    ``get_model`` lets a data migration pass its historical app registry.
    Raises ``RuleVersionLocked`` when a file would change a locked version.
    """
    ruleset_model = get_model("contributions", "RuleSet")
    children = {
        "programs": get_model("contributions", "ProgramRule"),
        "levels": get_model("contributions", "IncomeLevel"),
        "discounts": get_model("contributions", "DiscountRule"),
        "benefits": get_model("contributions", "BenefitRule"),
    }
    files = sorted(paths) if paths is not None else sorted(directory.glob("*.toml"))
    parsed = [parse_rule_file(p) for p in files]
    versions = [p["ruleset"]["version"] for p in parsed]
    if len(set(versions)) != len(versions):
        raise RuleFileInvalid(_("Two rule files declare the same version."))
    summary: dict[str, list[str]] = {"loaded": [], "unchanged": []}
    with transaction.atomic():
        for data in parsed:
            values = data["ruleset"]
            existing = ruleset_model.objects.select_for_update().filter(version=values["version"]).first()
            if existing is not None and existing.content_sha256 == values["content_sha256"]:
                summary["unchanged"].append(values["version"])
                continue
            if existing is not None and existing.is_locked:
                raise RuleVersionLocked(
                    _(
                        "Rule version %(version)s has already been used and cannot be changed; "
                        "add a new rule file with a new version instead."
                    )
                    % {"version": values["version"]}
                )
            fields = _known(ruleset_model, {**values, "loaded_at": timezone.now()})
            if existing is None:
                ruleset = ruleset_model.objects.create(**fields)
            else:
                ruleset = existing
                for key, value in fields.items():
                    setattr(ruleset, key, value)
                ruleset.save()
                for model in children.values():
                    model.objects.filter(ruleset=ruleset).delete()
            for key, model in children.items():
                model.objects.bulk_create([model(ruleset=ruleset, **_known(model, row)) for row in data[key]])
            summary["loaded"].append(values["version"])
    rulebook_cache_clear()
    return summary


# --- the in-memory rule book ------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramSpec:
    code: str
    name: str
    available: bool
    mandatory: bool
    basis: str
    flat_idr: int | None
    rate: Decimal | None


@dataclass(frozen=True)
class DiscountSpec:
    code: str
    rate: Decimal
    programs: frozenset[str]
    sectors: frozenset[str]
    from_period: Period
    to_period: Period
    excluded_sponsor_kinds: frozenset[str]
    citation: str

    def applies(self, *, program: str, sector: str, period: Period, sponsor_kind: str | None) -> bool:
        return (
            program in self.programs
            and sector in self.sectors
            and self.from_period <= period <= self.to_period
            and (sponsor_kind or "") not in self.excluded_sponsor_kinds
        )

    def amount_on(self, gross_idr: int) -> int:
        """The discount on a month's gross contribution: the rate, rounded once, never above the gross."""
        return min(gross_idr, apply_rate(gross_idr, self.rate))


@dataclass(frozen=True)
class BenefitSpec:
    program: str
    code: str
    values: dict[str, Any]
    citation: str


@dataclass(frozen=True)
class RuleBook:
    """An immutable snapshot of one rule version: what every pure rule function reads."""

    id: int
    version: str
    effective_from: dt.date
    effective_to: dt.date | None
    citation: str
    is_locked: bool
    due_day: int
    holiday_calendar: str
    prepay_min_months: int
    prepay_max_months: int
    arrears_window_months: int
    lapse_after_unpaid_months: int
    retroactive_cover: bool
    registration_min_age: int
    registration_max_age: int
    programs: dict[str, ProgramSpec] = field(default_factory=dict)
    income_levels: tuple[tuple[int, int], ...] = ()
    discounts: tuple[DiscountSpec, ...] = ()
    benefits: tuple[BenefitSpec, ...] = ()

    def discount_for(
        self, *, program: str, sector: str, period: Period, sponsor_kind: str | None
    ) -> DiscountSpec | None:
        """The first discount of this version that applies to the month, if any (the one discount rule)."""
        for rule in self.discounts:
            if rule.applies(program=program, sector=sector, period=period, sponsor_kind=sponsor_kind):
                return rule
        return None

    def covers(self, period: Period) -> bool:
        first = period.first_day
        return self.effective_from <= first and (self.effective_to is None or first <= self.effective_to)

    @property
    def lowest_income_idr(self) -> int:
        return self.income_levels[0][0]

    @property
    def prepay_lengths(self) -> range:
        return range(self.prepay_min_months, self.prepay_max_months + 1)

    def level_for(self, declared_income_idr: int) -> tuple[int, int] | None:
        """The highest level not above the declared income: ``(income_idr, jkk_idr)``."""
        chosen = None
        for level in self.income_levels:
            if level[0] <= declared_income_idr:
                chosen = level
            else:
                break
        return chosen


_CACHE: dict[tuple[int, str, bool, dt.date | None], RuleBook] = {}


def rulebook_cache_clear() -> None:
    _CACHE.clear()


def rulebook_from_row(ruleset: Any) -> RuleBook:
    key = (ruleset.pk, ruleset.content_sha256, ruleset.is_locked, ruleset.effective_to)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    book = RuleBook(
        id=ruleset.pk,
        version=ruleset.version,
        effective_from=ruleset.effective_from,
        effective_to=ruleset.effective_to,
        citation=ruleset.citation,
        is_locked=ruleset.is_locked,
        due_day=ruleset.due_day,
        holiday_calendar=ruleset.holiday_calendar,
        prepay_min_months=ruleset.prepay_min_months,
        prepay_max_months=ruleset.prepay_max_months,
        arrears_window_months=ruleset.arrears_window_months,
        lapse_after_unpaid_months=ruleset.lapse_after_unpaid_months,
        retroactive_cover=ruleset.retroactive_cover,
        registration_min_age=ruleset.registration_min_age,
        registration_max_age=ruleset.registration_max_age,
        programs={
            p.code: ProgramSpec(p.code, p.name, p.available, p.mandatory, p.basis, p.flat_idr, p.rate)
            for p in ruleset.programs.all()
        },
        income_levels=tuple((lv.income_idr, lv.jkk_idr) for lv in ruleset.income_levels.order_by("income_idr")),
        discounts=tuple(
            DiscountSpec(
                code=d.code,
                rate=d.rate,
                programs=frozenset(d.programs),
                sectors=frozenset(d.sectors),
                from_period=d.from_period,
                to_period=d.to_period,
                excluded_sponsor_kinds=frozenset(d.excluded_sponsor_kinds),
                citation=d.citation,
            )
            for d in ruleset.discounts.order_by("from_period", "code")
        ),
        benefits=tuple(BenefitSpec(b.program, b.code, dict(b.values), b.citation) for b in ruleset.benefits.all()),
    )
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[key] = book
    return book


def rulesets_covering(day: dt.date) -> QuerySet[RuleSet]:
    return RuleSet.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=day), effective_from__lte=day
    ).order_by("-effective_from")


def rulebook_for(period: Period) -> RuleBook:
    """The rule version effective for a contribution month (the latest one that covers it)."""
    ruleset = rulesets_covering(period.first_day).first()
    if ruleset is None:
        raise NoRulesForMonth(
            _("There are no contribution rules for %(month)s.") % {"month": str(period)},
            fields={"month": [_("No contribution rules cover this month.")]},
        )
    return rulebook_from_row(ruleset)


def registration_rules_on(day: dt.date) -> RegistrationRules:
    """Who may register on ``day``, from the rule version in force that month (the registry's source)."""
    book = rulebook_for(Period.of(day))
    return RegistrationRules(
        min_age=book.registration_min_age,
        max_age=book.registration_max_age,
        lowest_income_idr=book.lowest_income_idr,
    )


_RUN_MEMO: ContextVar[dict[Period, RuleBook] | None] = ContextVar("rules_run_memo", default=None)


@contextmanager
def rules_memo_for_run() -> Iterator[None]:
    """Within a bulk run, every ``rules_for_memo()`` shares one memo: each month's version is read once.

    For runs over many members inside one transaction (the hand-over texts), where each
    member's billing would otherwise look the same months' rule versions up again.
    """
    token = _RUN_MEMO.set({})
    try:
        yield
    finally:
        _RUN_MEMO.reset(token)


def rules_for_memo() -> Callable[[Period], RuleBook]:
    """A ``rulebook_for`` that remembers each month's answer (for loops over many months)."""
    shared = _RUN_MEMO.get()
    memo: dict[Period, RuleBook] = shared if shared is not None else {}

    def rules_for(period: Period) -> RuleBook:
        if period not in memo:
            memo[period] = rulebook_for(period)
        return memo[period]

    return rules_for
