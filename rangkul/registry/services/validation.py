"""Registration input and its rules: every check a new or changed record passes, by field."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from rangkul.accounts.models import BranchOffice
from rangkul.core.errors import Conflict, ValidationFailed
from rangkul.core.money import format_rupiah
from rangkul.regions.models import Province, Regency, Village
from rangkul.registry import eligibility, identity
from rangkul.registry.errors import RegistryErrorCode
from rangkul.registry.models import (
    Occupation,
    Relationship,
    Sex,
)

# Not a regulatory limit: a sanity bound that keeps typing mistakes (and absurd
# API values) out of the database.
MAX_DECLARED_INCOME_IDR = 1_000_000_000
MAX_HEIRS = 20
MEMBERSHIP_NUMBER_ATTEMPTS = 8
# Possible duplicates queued per reason for a new record: the oldest matching records.
DUPLICATE_CANDIDATES = 20

NIK_REGISTERED_MESSAGE = _("NIK already registered")


@dataclass
class HeirInput:
    full_name: str
    relationship: str
    birth_date: dt.date | None = None
    nik: str = ""
    phone: str = ""


@dataclass
class RegistrationInput:
    nik: str
    full_name: str
    birth_date: dt.date | None
    sex: str
    phone: str
    village_code: str
    occupation_code: str
    declared_income_idr: int
    jht: bool
    second_occupation_code: str = ""
    payment_period_months: int = 1
    email: str = ""
    address: str = ""
    postal_code: str = ""
    heirs: list[HeirInput] = field(default_factory=list)


@dataclass
class _Cleaned:
    nik: str
    full_name: str
    birth_date: dt.date
    sex: str
    phone: str
    village: Village
    occupation: Occupation
    second_occupation: Occupation | None
    declared_income_idr: int
    jht: bool
    payment_period_months: int
    email: str
    address: str
    postal_code: str
    heirs: list[dict[str, Any]]
    warnings: list[str]


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[Promise | str]] = {}

    def add(self, name: str, messages: Sequence[Promise | str]) -> None:
        if messages:
            self.fields.setdefault(name, []).extend(messages)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed(_("Some fields are not valid."), fields=self.fields)


def _unstorable(value: object) -> bool:
    """Text the database cannot hold (NUL, lone surrogates) or that no form could produce."""
    if not isinstance(value, str):
        return value is not None
    if value.isascii() and value.isprintable():  # the usual case: no control character, valid UTF-8
        return False
    if any(ch == "\x00" or (ord(ch) < 32 and ch not in "\t\n\r") for ch in value):
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


_TEXT_FIELDS = {
    # RegistrationInput attribute → the field name reported to the caller
    "nik": "nik",
    "full_name": "full_name",
    "sex": "sex",
    "phone": "phone",
    "village_code": "village_code",
    "occupation_code": "occupation",
    "second_occupation_code": "second_occupation",
    "email": "email",
    "address": "address",
    "postal_code": "postal_code",
}
_HEIR_TEXT_FIELDS = ("full_name", "relationship", "nik", "phone")


def _sanitise(obj: Any, names: Mapping[str, str], *, prefix: str, errors: _Errors) -> Any:
    """A copy of ``obj`` with unusable text blanked, and an error for each such field."""
    replacements = {}
    for attribute, field_name in names.items():
        if _unstorable(getattr(obj, attribute)):
            errors.add(f"{prefix}{field_name}", [_("This text contains characters that are not allowed.")])
            replacements[attribute] = ""
    return dataclasses.replace(obj, **replacements) if replacements else obj


class _Lookups:
    """Reference rows the rules need: villages, active occupations, NIK region prefixes, branches.

    This base class asks the database each time (one registration); ``BatchLookups``
    answers the same questions from rows loaded once for a batch. Either way the
    rules in ``_clean`` are the same code.
    """

    def village(self, code: str) -> Village | None:
        return Village.objects.filter(code=code).first()

    def occupation(self, code: str) -> Occupation | None:
        return Occupation.objects.filter(code=code, is_active=True).first() if code else None

    def region_known(self, region_code: str) -> bool:
        return identity.region_in_list(region_code)

    def default_branch(self, village: Village) -> BranchOffice | None:
        return BranchOffice.objects.filter(regency_id=village.regency_code, is_active=True).order_by("code").first()

    def nik_parse(self, value: str) -> identity.NikFacts | None:
        return identity.nik_parse(value)

    def today(self) -> dt.date:
        return timezone.localdate()

    def rules(self) -> eligibility.RegistrationRules:
        """Age limits and lowest income of the rule version in force today."""
        return eligibility.registration_rules(self.today())


_DATABASE_LOOKUPS = _Lookups()
_SEXES = frozenset(Sex.values)


class BatchLookups(_Lookups):
    """The same answers for a batch of registrations, from one query per kind of reference row.

    ``earlier``: the lookups of the previous batch of the same import, whose rows are
    reused; only references not asked for yet are read (an import's villages and NIK
    regions repeat from batch to batch); an occupation withdrawn during the import is
    still accepted until it ends.
    """

    def __init__(self, rows: Sequence[RegistrationInput], *, earlier: BatchLookups | None = None) -> None:
        if earlier is None:
            self.villages: dict[str, Village] = {}
            self.occupations = {o.code: o for o in Occupation.objects.filter(is_active=True)}
            self.provinces: set[str] = set()
            self.regencies: set[str] = set()
            self.branches: dict[str, BranchOffice] = {}
            self._asked: dict[str, set[str]] = {"villages": set(), "regions": set(), "branches": set()}
        else:
            self.villages, self.occupations = earlier.villages, earlier.occupations
            self.provinces, self.regencies, self.branches = earlier.provinces, earlier.regencies, earlier.branches
            self._asked = earlier._asked
        # The day the batch is checked (age limits): asked once, not once per row.
        self._today = timezone.localdate()
        self._rules: eligibility.RegistrationRules | None = None
        asked = self._asked
        village_codes = {code for data in rows if (code := _lookup_key(data.village_code))} - asked["villages"]
        if village_codes:
            self.villages.update((v.code, v) for v in Village.objects.filter(code__in=village_codes))
            asked["villages"] |= village_codes
        # Each NIK is parsed once for the batch: here for its region, and _clean reuses the answer.
        self.niks = {
            data.nik: identity.nik_parse(data.nik)
            for data in rows
            if isinstance(data.nik, str) and not _unstorable(data.nik)
        }
        prefixes = {facts.region_code for facts in self.niks.values() if facts} - asked["regions"]
        if prefixes:
            provinces = {p[:2] for p in prefixes}
            self.provinces.update(Province.objects.filter(code__in=provinces).values_list("code", flat=True))
            self.regencies.update(Regency.objects.filter(code__in=prefixes).values_list("code", flat=True))
            asked["regions"] |= prefixes
        regencies = {self.villages[code].regency_code for code in village_codes if code in self.villages}
        regencies -= asked["branches"]
        if regencies:
            for office in BranchOffice.objects.filter(regency_id__in=regencies, is_active=True).order_by("code"):
                self.branches.setdefault(office.regency_id, office)
            asked["branches"] |= regencies

    def village(self, code: str) -> Village | None:
        return self.villages.get(code)

    def occupation(self, code: str) -> Occupation | None:
        return self.occupations.get(code)

    def region_known(self, region_code: str) -> bool:
        return region_code[:2] in self.provinces and region_code in self.regencies

    def default_branch(self, village: Village) -> BranchOffice | None:
        return self.branches.get(village.regency_code)

    def nik_parse(self, value: str) -> identity.NikFacts | None:
        return self.niks[value] if value in self.niks else identity.nik_parse(value)

    def today(self) -> dt.date:
        return self._today

    def rules(self) -> eligibility.RegistrationRules:
        if self._rules is None:
            self._rules = eligibility.registration_rules(self._today)
        return self._rules


def _lookup_key(value: object) -> str:
    """A code as the rules look it up, or "" when it cannot name a row (the rules then report it)."""
    return value.strip() if isinstance(value, str) and not _unstorable(value) else ""


def _clean_heir(heir: HeirInput, *, prefix: str, errors: _Errors, today: dt.date) -> dict[str, Any]:
    heir = _sanitise(heir, {name: name for name in _HEIR_TEXT_FIELDS}, prefix=prefix, errors=errors)
    full_name = identity.name_normalize(heir.full_name)
    errors.add(f"{prefix}full_name", identity.name_errors(heir.full_name))
    if heir.relationship not in Relationship.values:
        errors.add(f"{prefix}relationship", [_("Choose the heir's relationship from the list.")])
    if heir.birth_date is not None and heir.birth_date > today:
        errors.add(f"{prefix}birth_date", [_("The date of birth cannot be in the future.")])
    nik = ""
    if (heir.nik or "").strip():
        check = identity.nik_check(heir.nik, birth_date=heir.birth_date, sex="")
        for name, messages in check.fields.items():
            errors.add(f"{prefix}{name}", messages)
        nik = check.facts.nik if check.facts else ""
    phone = ""
    if (heir.phone or "").strip():
        phone, phone_messages = identity.phone_errors(heir.phone)
        errors.add(f"{prefix}phone", phone_messages)
    return {
        "full_name": full_name,
        "relationship": heir.relationship,
        "birth_date": heir.birth_date,
        "nik": nik,
        "phone": phone,
    }


def _clean(data: RegistrationInput, *, check_age: bool = True, lookups: _Lookups = _DATABASE_LOOKUPS) -> _Cleaned:
    """Every registration rule, all problems collected by field."""
    errors = _Errors()
    today = lookups.today()
    data = _sanitise(data, _TEXT_FIELDS, prefix="", errors=errors)

    if data.sex not in _SEXES:
        errors.add("sex", [_("Choose male (M) or female (F).")])
    if data.birth_date is None:
        errors.add("birth_date", [_("Write the date of birth.")])
    elif check_age:
        limits = lookups.rules()
        errors.add(
            "birth_date",
            identity.age_errors(data.birth_date, today=today, min_age=limits.min_age, max_age=limits.max_age),
        )

    check = identity.nik_check(
        data.nik,
        birth_date=data.birth_date,
        sex=data.sex,
        region_known=lookups.region_known,
        parse=lookups.nik_parse,
    )
    for name, messages in check.fields.items():
        errors.add(name, messages)
    nik = check.facts.nik if check.facts else ""

    errors.add("full_name", identity.name_errors(data.full_name))
    phone, phone_messages = identity.phone_errors(data.phone)
    errors.add("phone", phone_messages)

    village = lookups.village((data.village_code or "").strip())
    if village is None:
        errors.add("village_code", [_("This village is not in the region list.")])

    occupation = lookups.occupation((data.occupation_code or "").strip())
    if occupation is None:
        errors.add("occupation", [_("Choose an occupation from the list.")])
    second = None
    if (data.second_occupation_code or "").strip():
        second = lookups.occupation(data.second_occupation_code.strip())
        if second is None:
            errors.add("second_occupation", [_("Choose an occupation from the list.")])
        elif occupation is not None and second.pk == occupation.pk:
            errors.add("second_occupation", [_("The second occupation must differ from the first.")])

    income = data.declared_income_idr
    if not isinstance(income, int) or isinstance(income, bool):
        errors.add("declared_income_idr", [_("Write the income as a whole number of rupiah.")])
    elif income < (lowest := lookups.rules().lowest_income_idr):
        errors.add(
            "declared_income_idr",
            [_("The declared income must be at least %(amount)s.") % {"amount": format_rupiah(lowest)}],
        )
    elif income > MAX_DECLARED_INCOME_IDR:
        errors.add("declared_income_idr", [_("This income is too large; check the number.")])

    if not isinstance(data.jht, bool):
        errors.add("jht", [_("Must be true or false.")])
    period = data.payment_period_months
    if not isinstance(period, int) or isinstance(period, bool) or not 1 <= period <= 12:
        errors.add("payment_period_months", [_("Choose a payment period from 1 to 12 months.")])

    email = (data.email or "").strip()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors.add("email", [_("This email address is not valid.")])
        if len(email) > 254:
            errors.add("email", [_("This email address is too long.")])
    address = " ".join((data.address or "").split())
    if len(address) > 255:
        errors.add("address", [_("The address is too long (at most 255 characters).")])
    postal_code = (data.postal_code or "").strip()
    if postal_code and (len(postal_code) != 5 or not postal_code.isascii() or not postal_code.isdigit()):
        errors.add("postal_code", [_("A postal code has 5 digits.")])

    heirs = []
    if len(data.heirs) > MAX_HEIRS:
        errors.add("heirs", [_("At most %(count)s heirs can be recorded.") % {"count": MAX_HEIRS}])
    else:
        for index, heir in enumerate(data.heirs):
            heirs.append(_clean_heir(heir, prefix=f"heirs.{index}.", errors=errors, today=today))

    errors.raise_if_any()
    assert data.birth_date is not None and village is not None and occupation is not None  # noqa: S101 — checked above
    return _Cleaned(
        nik=nik,
        full_name=identity.name_normalize(data.full_name),
        birth_date=data.birth_date,
        sex=data.sex,
        phone=phone,
        village=village,
        occupation=occupation,
        second_occupation=second,
        declared_income_idr=int(income),
        jht=bool(data.jht),
        payment_period_months=int(period),
        email=email,
        address=address,
        postal_code=postal_code,
        heirs=heirs,
        warnings=check.warnings,
    )


def _nik_conflict() -> Conflict:
    # Says only that the NIK is taken: nothing about who holds it.
    return Conflict(
        NIK_REGISTERED_MESSAGE, code=RegistryErrorCode.NIK_REGISTERED, fields={"nik": [NIK_REGISTERED_MESSAGE]}
    )


def _identity_not_verified() -> ValidationFailed:
    message = _("The civil registry (Dukcapil) could not confirm this identity.")
    return ValidationFailed(message, code=RegistryErrorCode.IDENTITY_NOT_VERIFIED, fields={"nik": [message]})


def registration_problems(data: RegistrationInput, *, lookups: BatchLookups) -> dict[str, list[str]]:
    """Every registration rule ``data`` breaks, by field, writing nothing (an import's full report of a row)."""
    try:
        _clean(data, lookups=lookups)
    except ValidationFailed as exc:
        return {name: [str(message) for message in messages] for name, messages in exc.fields.items()}
    return {}
