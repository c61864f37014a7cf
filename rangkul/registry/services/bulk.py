"""Writes to the registry. Every channel (portal, back office, API, agents, imports) registers here.

All the rules of registration live in this module and in identity.py; callers
pass raw input and receive either a Worker or one ``ValidationFailed`` that
lists every problem by field.
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from rangkul.accounts.models import BranchOffice
from rangkul.audit.selectors import audit_events_for
from rangkul.audit.services import audit_record, audit_record_subjects
from rangkul.core.bulk import array_literal, insert_rows, keys_draw
from rangkul.core.crypto import lookup_hash, seal, unseal
from rangkul.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from rangkul.core.tasks import enqueue_on_commit
from rangkul.regions.models import Province, Regency, Village
from rangkul.registry import identity
from rangkul.registry.dukcapil import dukcapil_backend
from rangkul.registry.membership import membership_number_new
from rangkul.registry.models import (
    Channel,
    DuplicateReason,
    DuplicateStatus,
    Heir,
    Occupation,
    PossibleDuplicate,
    Relationship,
    Sex,
    Worker,
    WorkerStatus,
)
from rangkul.registry.tasks import welcomes_seal, worker_send_welcome, workers_send_welcome

logger = logging.getLogger("rangkul.registry")

# Lowest declared-income level for BPU members: Rp1,000,000 (PP 44/2015
# Lampiran II, amended by PP 82/2019 and PP 49/2023). The contributions app will
# own the full dated level table; until then this is the registry's floor.
MIN_DECLARED_INCOME_IDR = 1_000_000
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


OCCUPATIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "occupations.csv"


@transaction.atomic
def occupations_load(*, path: Path = OCCUPATIONS_FILE) -> int:
    """Create or update the occupation catalogue from its CSV file (the migration does the same once)."""
    count = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            Occupation.objects.update_or_create(
                code=row["code"].strip(),
                defaults={
                    "name": row["name"].strip(),
                    "name_en": row["name_en"].strip(),
                    "sector": row["sector"].strip(),
                    "is_active": True,
                },
            )
            count += 1
    return count


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
        errors.add("birth_date", identity.age_errors(data.birth_date, today=today))

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
    elif income < MIN_DECLARED_INCOME_IDR:
        errors.add(
            "declared_income_idr",
            [_("The declared income must be at least %(amount)s.") % {"amount": "Rp1.000.000"}],
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
    return Conflict(NIK_REGISTERED_MESSAGE, code="nik_registered", fields={"nik": [NIK_REGISTERED_MESSAGE]})


def _heir_create(*, worker: Worker, cleaned: Mapping[str, Any]) -> Heir:
    heir = _heir_new(worker_id=worker.pk, cleaned=cleaned)
    heir.save(force_insert=True)
    return heir


def _heir_new(*, worker_id: int, cleaned: Mapping[str, Any]) -> Heir:
    nik = cleaned["nik"]
    return Heir(
        worker_id=worker_id,
        full_name=cleaned["full_name"],
        relationship=cleaned["relationship"],
        birth_date=cleaned["birth_date"],
        nik_sealed=seal(nik, purpose="heir_nik") if nik else "",
        nik_hash=lookup_hash(nik, purpose="heir_nik") if nik else "",
        phone=cleaned["phone"],
    )


def _heir_audit(heir: Heir) -> dict[str, Any]:
    """An heir's fields for audit_record, which masks "heir_nik" and "phone" itself."""
    return {
        "full_name": heir.full_name,
        "relationship": heir.relationship,
        "birth_date": heir.birth_date.isoformat() if heir.birth_date else None,
        "heir_nik": unseal(heir.nik_sealed, purpose="heir_nik") if heir.nik_sealed else "",
        "phone": heir.phone,
    }


def _worker_audit(worker: Worker | NewWorker) -> dict[str, Any]:
    """The worker's fields for audit_record, which masks "nik" and "phone" itself."""
    return {
        "nik": worker.nik,
        "full_name": worker.full_name,
        "birth_date": worker.birth_date.isoformat(),
        "sex": worker.sex,
        "phone": worker.phone,
        "email": worker.email,
        "village_code": worker.village_id,
        "address": worker.address,
        "postal_code": worker.postal_code,
        "occupation": worker.occupation.code,
        "second_occupation": worker.second_occupation.code if worker.second_occupation else "",
        "declared_income_idr": worker.declared_income_idr,
        "jht": worker.jht,
        "payment_period_months": worker.payment_period_months,
        "branch": worker.branch.code if worker.branch else "",
    }


def duplicates_detect(*, worker: Worker, new: bool = False) -> list[PossibleDuplicate]:
    """Queue other records that may be the same person: same name + birth date + village, or same phone.

    ``new``: the record was inserted in this transaction, so no pair with it can be queued
    yet; the per-pair check is skipped (one statement per reason, none per candidate).
    """
    others = Worker.objects.exclude(pk=worker.pk).filter(status=WorkerStatus.ACTIVE)
    candidates = [
        (
            DuplicateReason.NAME_BIRTH_VILLAGE,
            others.filter(
                name_normalized=worker.name_normalized, birth_date=worker.birth_date, village_id=worker.village_id
            ),
        ),
        (DuplicateReason.PHONE, others.filter(phone=worker.phone)),
    ]
    pending: list[PossibleDuplicate] = []
    for reason, queryset in candidates:
        for other_id in queryset.order_by("registered_at").values_list("pk", flat=True)[:DUPLICATE_CANDIDATES]:
            if not new:
                pair = Q(worker=worker, other_id=other_id) | Q(worker_id=other_id, other=worker)
                if PossibleDuplicate.objects.filter(pair, reason=reason).exists():
                    continue  # already queued (or decided), whichever record came first
            pending.append(PossibleDuplicate(worker=worker, other_id=other_id, reason=reason))
    return PossibleDuplicate.objects.bulk_create(pending) if pending else []


def _identity_not_verified() -> ValidationFailed:
    message = _("The civil registry (Dukcapil) could not confirm this identity.")
    return ValidationFailed(message, code="identity_not_verified", fields={"nik": [message]})


def _worker_new(
    *,
    cleaned: _Cleaned,
    nik_sealed: str,
    nik_hash: str,
    actor: Any,
    channel: str,
    phone_verified: bool,
    organisation_code: str,
    branch: BranchOffice | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The values of a new record whose data passed every rule (``Worker`` or ``NewWorker`` takes them)."""
    return {
        "nik_sealed": nik_sealed,
        "nik_hash": nik_hash,
        "full_name": cleaned.full_name,
        "name_normalized": identity.name_search_key(cleaned.full_name),
        "birth_date": cleaned.birth_date,
        "sex": cleaned.sex,
        "phone": cleaned.phone,
        "phone_verified_at": now if phone_verified else None,
        "email": cleaned.email,
        "village": cleaned.village,
        "address": cleaned.address,
        "postal_code": cleaned.postal_code,
        "occupation": cleaned.occupation,
        "second_occupation": cleaned.second_occupation,
        "declared_income_idr": cleaned.declared_income_idr,
        "jht": cleaned.jht,
        "payment_period_months": cleaned.payment_period_months,
        "branch": branch,
        "channel": channel,
        "registered_at": now,
        "registered_by": actor if getattr(actor, "is_authenticated", False) else None,
        # Organisation codes are compared case-insensitively everywhere (partners app); store them folded.
        "registered_by_organisation": organisation_code.strip().lower()[:40],
        "identity_warnings": list(cleaned.warnings),
    }


def _worker_insert(worker: Worker) -> None:
    """Save a new record with a fresh membership number, retrying the rare number collision."""
    for _attempt in range(MEMBERSHIP_NUMBER_ATTEMPTS):
        worker.pk = None
        worker.membership_number = membership_number_new()
        try:
            # A savepoint, so that a unique violation leaves the outer transaction usable.
            with transaction.atomic():
                worker.save(force_insert=True)
            return
        except IntegrityError:
            # A concurrent registration of the same NIK committed first: the unique
            # constraint on nik_hash is what makes "one NIK, one member" hold.
            if Worker.objects.filter(nik_hash=worker.nik_hash).exists():
                raise _nik_conflict() from None
            if not Worker.objects.filter(membership_number=worker.membership_number).exists():
                raise
    # pragma: no cover — 8 collisions in a space of 9×10⁹ numbers
    raise Conflict(_("Could not allocate a membership number; please try again."), code="number_exhausted")


def _registered_audit(
    worker: Worker | NewWorker,
    cleaned: _Cleaned,
    *,
    channel: str,
    phone_verified: bool,
    duplicates: int,
    reference: str,
) -> dict[str, Any]:
    """What the "registry.worker_registered" audit row records (audit_record masks NIK and phone)."""
    return {
        **_worker_audit(worker),
        "channel": channel,
        "phone_verified": phone_verified,
        "heirs": len(cleaned.heirs),
        "identity_warnings": list(cleaned.warnings),
        "possible_duplicates": duplicates,
        "dukcapil_reference": reference,
    }


def _welcome_after_commit(worker_id: int) -> None:
    enqueue_on_commit(worker_send_welcome, worker_id)


@transaction.atomic
def worker_register(
    *,
    actor: Any,
    data: RegistrationInput,
    channel: str,
    phone_verified: bool = False,
    branch: BranchOffice | None = None,
    organisation_code: str = "",
    welcome: bool = True,
) -> Worker:
    """Register one worker through any channel.

    Raises ValidationFailed (every field problem at once) or Conflict
    (code "nik_registered") when the NIK already belongs to a member.
    ``phone_verified`` is True only when the caller has just checked a
    one-time code sent to ``data.phone``. ``welcome=False`` skips the welcome
    SMS (demo data, or imports whose partner informs members itself).
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown registration channel {channel!r}")
    cleaned = _clean(data)
    nik_hash = lookup_hash(cleaned.nik)
    if Worker.objects.filter(nik_hash=nik_hash).exists():
        raise _nik_conflict()
    result = dukcapil_backend().verify(
        nik=cleaned.nik, full_name=cleaned.full_name, birth_date=cleaned.birth_date, sex=cleaned.sex
    )
    if not result.verified:
        raise _identity_not_verified()

    worker = Worker(
        **_worker_new(
            cleaned=cleaned,
            nik_sealed=seal(cleaned.nik, purpose="nik"),
            nik_hash=nik_hash,
            actor=actor,
            channel=channel,
            phone_verified=phone_verified,
            organisation_code=organisation_code,
            branch=branch or _DATABASE_LOOKUPS.default_branch(cleaned.village),
            now=timezone.now(),
        )
    )
    _worker_insert(worker)
    for heir in cleaned.heirs:
        _heir_create(worker=worker, cleaned=heir)
    duplicates = duplicates_detect(worker=worker, new=True)
    audit_record(
        actor=actor,
        action="registry.worker_registered",
        subject=worker,
        after=_registered_audit(
            worker,
            cleaned,
            channel=channel,
            phone_verified=phone_verified,
            duplicates=len(duplicates),
            reference=result.reference,
        ),
    )
    if welcome:
        _welcome_after_commit(worker.pk)
    return worker


@dataclass(slots=True, kw_only=True)
class NewWorker:
    """A member registered by ``workers_register_many``: the stored values, without a ``Worker`` instance.

    A batch writes its rows straight from these (ADR 0018): building a model
    instance per row cost more than writing it. The attribute names are
    ``Worker``'s, so the audit, welcome and duplicate helpers read either;
    ``nik`` is the plaintext the batch already holds (never unsealed again).
    """

    nik: str
    nik_sealed: str
    nik_hash: str
    full_name: str
    name_normalized: str
    birth_date: dt.date
    sex: str
    phone: str
    phone_verified_at: dt.datetime | None
    email: str
    village: Village
    address: str
    postal_code: str
    occupation: Occupation
    second_occupation: Occupation | None
    declared_income_idr: int
    jht: bool
    payment_period_months: int
    branch: BranchOffice | None
    channel: str
    registered_at: dt.datetime
    registered_by: Any
    registered_by_organisation: str
    identity_warnings: list[str]
    pk: int = 0
    membership_number: str = ""

    @property
    def village_id(self) -> str:
        return self.village.code

    def row(self) -> tuple[Any, ...]:
        """The values of ``WORKER_COLUMNS``, in order."""
        return (
            self.membership_number,
            self.nik_sealed,
            self.nik_hash,
            self.full_name,
            self.name_normalized,
            self.birth_date,
            self.sex,
            self.phone,
            self.phone_verified_at,
            self.email,
            self.village.code,
            self.address,
            self.postal_code,
            self.occupation.pk,
            self.second_occupation.pk if self.second_occupation else None,
            self.declared_income_idr,
            self.jht,
            self.payment_period_months,
            self.branch.pk if self.branch else None,
            self.channel,
            self.registered_at,
            self.registered_by.pk if self.registered_by else None,
            self.registered_by_organisation,
            self.identity_warnings,
            WorkerStatus.ACTIVE.value,
        )

    def as_model(self) -> Worker:
        """The unsaved ``Worker`` with these values (the row-by-row fallback saves it)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in {"pk", "nik"}}
        return Worker(**values)


# The columns a bulk registration writes for a member, in the order of ``NewWorker.row()``.
WORKER_COLUMNS = (
    "membership_number",
    "nik_sealed",
    "nik_hash",
    "full_name",
    "name_normalized",
    "birth_date",
    "sex",
    "phone",
    "phone_verified_at",
    "email",
    "village_id",
    "address",
    "postal_code",
    "occupation_id",
    "second_occupation_id",
    "declared_income_idr",
    "jht",
    "payment_period_months",
    "branch_id",
    "channel",
    "registered_at",
    "registered_by_id",
    "registered_by_organisation",
    "identity_warnings",
    "status",
)


@dataclass
class _Pending:
    """A row of a batch that passed every check and waits for its insert."""

    index: int
    cleaned: _Cleaned
    worker: NewWorker
    dukcapil_reference: str


@transaction.atomic
def workers_register_many(
    *,
    actor: Any,
    rows: Sequence[RegistrationInput],
    channel: str,
    phone_verified: bool = False,
    organisation_code: str = "",
    welcome: bool = False,
    lookups: BatchLookups | None = None,
) -> list[NewWorker | ApplicationError]:
    """Register a batch of workers (bulk imports): the outcome of ``worker_register`` for each row, in order.

    The rules are the same code (``_clean``, the identity helpers, the Dukcapil
    adapter once per row); only the database work is per batch: reference rows
    loaded once, one query for NIKs already registered, one INSERT for the
    workers (row by row only if a concurrent registration takes a NIK or a
    number meanwhile), heirs, possible duplicates and audit rows in bulk. A NIK
    that appears twice in the batch is a Conflict for the later row, exactly as
    registering the rows one after the other. Errors are returned, not raised,
    so that one bad row never undoes the others; everything is written in the
    caller's transaction. ``welcome=True`` queues one task for the batch's welcome
    messages with that transaction (ADR 0012). ``lookups``: the batch's reference
    rows, already read (an import shares them from batch to batch).
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown registration channel {channel!r}")
    lookups = lookups or BatchLookups(rows)
    outcomes: list[NewWorker | ApplicationError | None] = [None] * len(rows)
    accepted: list[tuple[int, _Cleaned, str, str]] = []
    for index, data in enumerate(rows):
        try:
            cleaned = _clean(data, lookups=lookups)
        except ValidationFailed as exc:
            outcomes[index] = exc
            continue
        accepted.append((index, cleaned, lookup_hash(cleaned.nik), seal(cleaned.nik, purpose="nik")))

    hashes = {nik_hash for _index, _cleaned, nik_hash, _sealed in accepted}
    # A fresh membership number for every accepted row, checked with the NIKs in one query.
    issued: set[str] = set()
    numbers = [_number_not_in(issued) for _row in accepted]
    taken, used = _registered_already(hashes, numbers)
    backend = dukcapil_backend()
    now = timezone.now()
    pending: list[_Pending] = []
    for (index, cleaned, nik_hash, nik_sealed), number in zip(accepted, numbers, strict=True):
        if nik_hash in taken:  # a member already, or an earlier row of this batch
            outcomes[index] = _nik_conflict()
            continue
        result = backend.verify(
            nik=cleaned.nik, full_name=cleaned.full_name, birth_date=cleaned.birth_date, sex=cleaned.sex
        )
        if not result.verified:
            outcomes[index] = _identity_not_verified()
            continue
        taken.add(nik_hash)
        worker = NewWorker(
            nik=cleaned.nik,
            membership_number="" if number in used else number,  # "": drawn again before the insert
            **_worker_new(
                cleaned=cleaned,
                nik_sealed=nik_sealed,
                nik_hash=nik_hash,
                actor=actor,
                channel=channel,
                phone_verified=phone_verified,
                organisation_code=organisation_code,
                branch=lookups.default_branch(cleaned.village),
                now=now,
            ),
        )
        pending.append(_Pending(index, cleaned, worker, result.reference))

    created = _workers_insert_many(pending, outcomes)
    Heir.objects.bulk_create(
        [_heir_new(worker_id=item.worker.pk, cleaned=heir) for item in created for heir in item.cleaned.heirs]
    )
    duplicates = _duplicates_detect_new([item.worker for item in created])
    PossibleDuplicate.objects.bulk_create([found for per_worker in duplicates for found in per_worker])
    audit_record_subjects(
        actor=actor,
        action="registry.worker_registered",
        subject_type=Worker._meta.label_lower,
        subjects=(
            (
                item.worker.pk,
                item.worker.membership_number,
                _registered_audit(
                    item.worker,
                    item.cleaned,
                    channel=channel,
                    phone_verified=phone_verified,
                    duplicates=len(found),
                    reference=item.dukcapil_reference,
                ),
            )
            for item, found in zip(created, duplicates, strict=True)
        ),
    )
    for item in created:
        outcomes[item.index] = item.worker
    if welcome and created:
        # One task for the batch, carrying its welcome messages sealed, queued with the batch's
        # transaction (in it when tasks live in the database, else after the commit): a rolled-back
        # batch texts nobody, and a committed batch always has its task.
        sealed = welcomes_seal([item.worker for item in created])
        enqueue_on_commit(workers_send_welcome, sealed=sealed, count=len(created))
    assert all(outcome is not None for outcome in outcomes)  # noqa: S101 — every row was decided above
    return [outcome for outcome in outcomes if outcome is not None]


def _workers_insert_many(
    pending: list[_Pending], outcomes: list[NewWorker | ApplicationError | None]
) -> list[_Pending]:
    """Insert the batch's new records with one statement; the rows that were saved, in order."""
    if not pending:
        return []
    workers = [item.worker for item in pending]
    try:
        _membership_numbers_assign(
            [worker for worker in workers if not worker.membership_number],
            issued={worker.membership_number for worker in workers if worker.membership_number},
        )
        # A savepoint: if a concurrent registration took one of these NIKs or numbers since the
        # checks, the unique constraints stop the whole insert and the batch falls back to
        # worker_register's row-by-row insert and retry. COPY on PostgreSQL (ADR 0012, 0018).
        with transaction.atomic():
            _workers_write(workers)
        return pending
    except IntegrityError:
        pass
    except Conflict as exc:
        for item in pending:
            outcomes[item.index] = exc
        return []
    saved = []
    for item in pending:
        model = item.worker.as_model()
        try:
            _worker_insert(model)
        except Conflict as exc:
            outcomes[item.index] = exc
            continue
        item.worker.pk, item.worker.membership_number = model.pk, model.membership_number
        saved.append(item)
    return saved


def _workers_write(workers: Sequence[NewWorker]) -> None:
    """Insert new records from their values and give each its key."""
    if connection.vendor == "postgresql":
        for worker, key in zip(workers, keys_draw(Worker, len(workers)), strict=True):
            worker.pk = key
        insert_rows(Worker, ("id", *WORKER_COLUMNS), [(worker.pk, *worker.row()) for worker in workers])
        return
    # Elsewhere (SQLite) the database numbers the rows; the unique NIK hash finds each one's key.
    insert_rows(Worker, WORKER_COLUMNS, [worker.row() for worker in workers])
    keys: dict[str, int] = {}
    hashes = [worker.nik_hash for worker in workers]
    for start in range(0, len(hashes), 500):
        chunk = hashes[start : start + 500]
        keys.update(Worker.objects.filter(nik_hash__in=chunk).values_list("nik_hash", "pk"))
    for worker in workers:
        worker.pk = keys[worker.nik_hash]


# Values of each column per statement in SQLite's check (two columns: well within its 32,766 parameters).
_CHECK_SLICE = 5000


def _registered_already(hashes: set[str], numbers: Sequence[str]) -> tuple[set[str], set[str]]:
    """Which of these NIK hashes are registered and which membership numbers are in use: one query."""
    if not hashes:
        return set(), set()
    found: list[tuple[str, str]] = []
    if connection.vendor == "postgresql":
        # One array per column: a thousand values bound as two parameters (each one literal, not a
        # list psycopg adapts value by value), each column probed on its index.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT nik_hash, membership_number FROM {Worker._meta.db_table} "  # noqa: S608
                "WHERE nik_hash = ANY(%s::varchar[]) OR membership_number = ANY(%s::varchar[])",
                [array_literal(hashes), array_literal(numbers)],
            )
            found = cursor.fetchall()
    else:
        # In slices, so that a large batch stays within SQLite's limit on a statement's parameters.
        ordered = list(hashes)
        for start in range(0, max(len(ordered), len(numbers)), _CHECK_SLICE):
            found += (
                Worker.objects.filter(
                    Q(nik_hash__in=ordered[start : start + _CHECK_SLICE])
                    | Q(membership_number__in=numbers[start : start + _CHECK_SLICE])
                )
                .order_by()
                .values_list("nik_hash", "membership_number")
            )
    wanted = set(numbers)
    return {h for h, _n in found if h in hashes}, {n for _h, n in found if n in wanted}


def _membership_numbers_assign(workers: Sequence[NewWorker], *, issued: set[str] | None = None) -> None:
    """Distinct new membership numbers, checked against the database with one query per attempt.

    ``issued``: numbers the batch already gave its other members (never drawn again).
    """
    if not workers:
        return
    numbers: set[str] = set(issued or ())
    for worker in workers:
        worker.membership_number = _number_not_in(numbers)
    for _attempt in range(MEMBERSHIP_NUMBER_ATTEMPTS):
        used = set(
            Worker.objects.filter(membership_number__in=[w.membership_number for w in workers]).values_list(
                "membership_number", flat=True
            )
        )
        if not used:
            return
        for worker in workers:
            if worker.membership_number in used:
                worker.membership_number = _number_not_in(numbers)
    # pragma: no cover — 8 collisions in a row in a space of 9×10⁹ numbers
    raise Conflict(_("Could not allocate a membership number; please try again."), code="number_exhausted")


def _number_not_in(numbers: set[str]) -> str:
    while (number := membership_number_new()) in numbers:
        pass
    numbers.add(number)
    return number


# The fields two records share to be queued as possible duplicates, by reason (every detection path).
_NAME_KEY = ("name_normalized", "birth_date", "village_id")
_PHONE_KEY = ("phone",)
_DUPLICATE_KEYS = ((DuplicateReason.NAME_BIRTH_VILLAGE, _NAME_KEY), (DuplicateReason.PHONE, _PHONE_KEY))


def _duplicates_detect_new(workers: Sequence[NewWorker]) -> list[list[PossibleDuplicate]]:
    """``duplicates_detect`` for records just inserted in this order, with one query per reason.

    Each record is compared, as when registering one after the other, with the
    active records before it: those already in the database and the earlier
    ones of this batch, the oldest DUPLICATE_CANDIDATES of each. A new record
    has no queued pair yet, so every match is a new PossibleDuplicate (unsaved).
    """
    if not workers:
        return []
    name_keys = {(w.name_normalized, w.birth_date, w.village_id) for w in workers}
    phone_keys = {(w.phone,) for w in workers}
    if connection.vendor == "postgresql":
        batch = [w.pk for w in workers]
        by_name = _oldest_per_key_pg(_NAME_KEY, name_keys, batch)
        by_phone = _oldest_per_key_pg(_PHONE_KEY, phone_keys, batch)
    else:
        batch_set = {w.pk for w in workers}
        by_name = _oldest_per_key_joined(_NAME_KEY, name_keys, batch_set)
        by_phone = _oldest_per_key_joined(_PHONE_KEY, phone_keys, batch_set)
    found: list[list[PossibleDuplicate]] = []
    for worker in workers:
        mine: list[PossibleDuplicate] = []
        name_key = (worker.name_normalized, worker.birth_date, worker.village_id)
        for reason, earlier, key in (
            (DuplicateReason.NAME_BIRTH_VILLAGE, by_name, name_key),
            (DuplicateReason.PHONE, by_phone, (worker.phone,)),
        ):
            candidates = earlier.setdefault(key, [])
            mine.extend(PossibleDuplicate(worker_id=worker.pk, other_id=pk, reason=reason) for _at, pk in candidates)
            # Later records of the batch see this one too; only the oldest few can ever be chosen.
            bisect.insort(candidates, (worker.registered_at, worker.pk))
            del candidates[DUPLICATE_CANDIDATES:]
        found.append(mine)
    return found


def _oldest_per_key_joined(
    fields: tuple[str, ...], keys: set[tuple[Any, ...]], batch: set[int]
) -> dict[tuple[Any, ...], list[tuple[dt.datetime, int]]]:
    """``_oldest_per_key_pg`` elsewhere (SQLite): the keys as a VALUES list joined on the index.

    Filtering by each column's list of values matched every combination of them;
    joining the exact keys probes the index once per key. The batch's own records
    are left out here, and only the oldest DUPLICATE_CANDIDATES per key kept.
    """
    table = Worker._meta.db_table
    column_of = {f.attname: f.column for f in Worker._meta.concrete_fields}
    oldest: dict[tuple[Any, ...], list[tuple[dt.datetime, int]]] = {}
    ordered = list(keys)
    names = ", ".join(f"k{index}" for index in range(len(fields)))
    match = " AND ".join(f"w.{column_of[name]} = k.k{index}" for index, name in enumerate(fields))
    chunk_size = 900 // len(fields)  # within every SQLite's limit on parameters
    registered_at = Worker._meta.get_field("registered_at")
    key_fields = [f for name in fields for f in Worker._meta.concrete_fields if f.attname == name]
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), chunk_size):
            chunk = ordered[start : start + chunk_size]
            values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(chunk))
            sql = (
                f"WITH k({names}) AS (VALUES {values}) "  # noqa: S608
                f"SELECT {', '.join(f'k.k{index}' for index in range(len(fields)))}, w.registered_at, w.id "
                # CROSS JOIN: SQLite then keeps the keys as the outer loop and probes the index per key.
                f"FROM k CROSS JOIN {table} w ON {match} WHERE w.status = %s"
            )
            params = [
                field.get_db_prep_value(value, connection)
                for key in chunk
                for field, value in zip(key_fields, key, strict=True)
            ]
            cursor.execute(sql, [*params, WorkerStatus.ACTIVE.value])
            for *found_key, at, pk in cursor.fetchall():
                if pk in batch:
                    continue
                at = registered_at.to_python(at)
                if timezone.is_naive(at):
                    at = timezone.make_aware(at, dt.UTC)
                oldest.setdefault(tuple(found_key), []).append((at, pk))
    for candidates in oldest.values():
        candidates.sort()
        del candidates[DUPLICATE_CANDIDATES:]
    # The keys come back as the database holds them (a date as text): index by the batch's own keys.
    by_text = {tuple(str(value) for value in key): key for key in keys}
    return {by_text.get(tuple(str(value) for value in key), key): found for key, found in oldest.items()}


_PG_KEY_TYPES = {"name_normalized": "varchar", "birth_date": "date", "village_id": "varchar", "phone": "varchar"}


def _oldest_per_key_pg(
    fields: tuple[str, ...], keys: set[tuple[Any, ...]], batch: list[int]
) -> dict[tuple[Any, ...], list[tuple[dt.datetime, int]]]:
    """The oldest DUPLICATE_CANDIDATES active records per key, PostgreSQL: one index probe per key (a lateral join).

    Filtering the table by each column's list of values let the planner scan the whole
    table once the lists were long (a batch's keys), which grows with the registry.
    """
    table = Worker._meta.db_table
    column_of = {f.attname: f.column for f in Worker._meta.concrete_fields}
    columns = [column_of[name] for name in fields]
    key_list = ", ".join(f"%s::{_PG_KEY_TYPES[name]}[]" for name in fields)
    names = ", ".join(f"k{index}" for index in range(len(fields)))
    match = " AND ".join(f"w.{column} = k.k{index}" for index, column in enumerate(columns))
    sql = (
        f"SELECT {', '.join(f'k.k{index}' for index in range(len(fields)))}, o.registered_at, o.id "  # noqa: S608
        f"FROM unnest({key_list}) AS k({names}) "
        f"CROSS JOIN LATERAL (SELECT w.registered_at, w.id FROM {table} w "
        f"WHERE {match} AND w.status = %s AND NOT (w.id = ANY(%s::bigint[])) "
        f"ORDER BY w.registered_at, w.id LIMIT %s) o"
    )
    ordered = list(keys)
    # Each column's keys as one array literal (core.bulk.array_literal), as are the batch's own ids.
    params: list[Any] = [array_literal([key[index] for key in ordered]) for index in range(len(fields))]
    params += [WorkerStatus.ACTIVE.value, array_literal(batch), DUPLICATE_CANDIDATES]
    oldest: dict[tuple[Any, ...], list[tuple[dt.datetime, int]]] = {}
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            # The planner prices a thousand probes as one big query and JIT-compiles it, which
            # costs far more than the work (ADR 0018). Off for this transaction only.
            cursor.execute("SET LOCAL jit TO off")
        cursor.execute(sql, params)
        for *key, registered_at, pk in cursor.fetchall():
            oldest.setdefault(tuple(key), []).append((registered_at, pk))
    for candidates in oldest.values():
        candidates.sort()
    return oldest


def duplicates_queue_among(workers: QuerySet[Worker]) -> int:
    """Queue the possible duplicates of ``workers`` that their registration could not see (PostgreSQL).

    The same rule as registration (``duplicates_detect``): for each active record, the
    oldest DUPLICATE_CANDIDATES earlier active records with the same name, date of birth
    and village, or the same phone. Registration finds them all, except between records
    written at the same moment by two transactions (an import's parts, ADR 0019): each
    pair then has both records in ``workers``, so only keys that two of them share are
    searched. Pairs already queued (or decided) are left as they are. Returns how many
    were queued.
    """
    if connection.vendor != "postgresql":
        raise NotImplementedError("parallel imports, and this sweep, run on PostgreSQL only")
    table = Worker._meta.db_table
    duplicates = PossibleDuplicate._meta.db_table
    ids_sql, ids_params = workers.order_by().values("pk").query.sql_with_params()
    column_of = {f.attname: f.column for f in Worker._meta.concrete_fields}
    queued = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit TO off")  # one probe per shared key, priced as one big query
        for reason, fields in _DUPLICATE_KEYS:
            columns = [column_of[name] for name in fields]
            same = " AND ".join(f"o.{column} = m.{column}" for column in columns)
            sql = (
                # One pass over the given records counts, per key, how many of them share it; only
                # those records are then probed (one index search each). No join between two sets,
                # whose sizes the planner cannot know before the tables are analysed.
                f"WITH mine AS (SELECT w.id, w.registered_at, {', '.join(f'w.{c}' for c in columns)}, "  # noqa: S608
                f"count(*) OVER (PARTITION BY {', '.join(f'w.{c}' for c in columns)}) AS sharing "
                f"FROM {table} w WHERE w.status = %s AND w.id IN ({ids_sql})) "
                f"INSERT INTO {duplicates} (worker_id, other_id, reason, status, created_at, note) "
                f"SELECT m.id, o.id, %s, %s, now(), '' FROM mine m "
                f"CROSS JOIN LATERAL (SELECT o.id FROM {table} o WHERE {same} AND o.status = %s "
                f"AND (o.registered_at, o.id) < (m.registered_at, m.id) ORDER BY o.registered_at, o.id LIMIT %s) o "
                # Already queued the other way round: the later of two transactions saw the earlier one.
                f"WHERE m.sharing > 1 AND NOT EXISTS (SELECT 1 FROM {duplicates} d "
                f"WHERE d.worker_id = o.id AND d.other_id = m.id AND d.reason = %s) "
                f"ON CONFLICT (worker_id, other_id, reason) DO NOTHING"
            )
            active = WorkerStatus.ACTIVE.value
            cursor.execute(
                sql,
                [
                    *(active, *ids_params, reason.value, DuplicateStatus.OPEN.value),
                    *(active, DUPLICATE_CANDIDATES, reason.value),
                ],
            )
            queued += max(cursor.rowcount, 0)
    return queued


# Fields a back-office edit (or the worker) may change, with their RegistrationInput names.
UPDATABLE_FIELDS = {
    "full_name",
    "birth_date",
    "sex",
    "phone",
    "email",
    "village_code",
    "address",
    "postal_code",
    "occupation_code",
    "second_occupation_code",
    "declared_income_idr",
    "jht",
    "payment_period_months",
}


def _worker_current(worker: Worker) -> dict[str, Any]:
    """The worker's values as ``RegistrationInput`` fields, the base that an update changes."""
    return {
        "nik": worker.nik,
        "full_name": worker.full_name,
        "birth_date": worker.birth_date,
        "sex": worker.sex,
        "phone": worker.phone,
        "village_code": worker.village_id,
        "occupation_code": worker.occupation.code,
        "second_occupation_code": worker.second_occupation.code if worker.second_occupation else "",
        "declared_income_idr": worker.declared_income_idr,
        "jht": worker.jht,
        "payment_period_months": worker.payment_period_months,
        "email": worker.email,
        "address": worker.address,
        "postal_code": worker.postal_code,
    }


def worker_update_check(*, worker: Worker, changes: Mapping[str, Any]) -> None:
    """``worker_update``'s rules on ``changes`` without writing: raises ValidationFailed with every problem.

    A form that has errors of its own calls this with the values it could read, so that
    staff see all problems in one round instead of one layer at a time.
    """
    known = {key: value for key, value in changes.items() if key in UPDATABLE_FIELDS}
    _clean(RegistrationInput(**{**_worker_current(worker), **known}), check_age=False)


@transaction.atomic
def worker_update(*, actor: Any, worker: Worker, changes: Mapping[str, Any], reason: str) -> Worker:
    """Change a worker's data with a mandatory reason; the NIK itself is never edited here.

    The same rules as registration apply (date of birth and sex must still agree
    with the NIK), except the age limit, which holds only at registration.
    A changed mobile number is no longer verified.
    """
    errors = _Errors()
    reason = " ".join((reason or "").split())
    if not reason:
        errors.add("reason", [_("Say why the data is changed.")])
    unknown = sorted(set(changes) - UPDATABLE_FIELDS)
    for name in unknown:
        errors.add(name, [_("This field cannot be changed here.")])
    errors.raise_if_any()

    worker = (
        Worker.objects.select_for_update(of=("self",))
        .select_related("occupation", "second_occupation", "branch")
        .get(pk=worker.pk)
    )
    current = _worker_current(worker)
    merged = RegistrationInput(**{**current, **dict(changes)})
    cleaned = _clean(merged, check_age=False)
    before = _worker_audit(worker)
    phone_changed = cleaned.phone != worker.phone
    worker.full_name = cleaned.full_name
    worker.name_normalized = identity.name_search_key(cleaned.full_name)
    worker.birth_date = cleaned.birth_date
    worker.sex = cleaned.sex
    worker.phone = cleaned.phone
    if phone_changed:
        worker.phone_verified_at = None
    worker.email = cleaned.email
    worker.village = cleaned.village
    worker.address = cleaned.address
    worker.postal_code = cleaned.postal_code
    worker.occupation = cleaned.occupation
    worker.second_occupation = cleaned.second_occupation
    worker.declared_income_idr = cleaned.declared_income_idr
    worker.jht = cleaned.jht
    worker.payment_period_months = cleaned.payment_period_months
    worker.save()
    after = _worker_audit(worker)
    changed = {key for key in after if after[key] != before[key]}
    if changed:
        audit_record(
            actor=actor,
            action="registry.worker_updated",
            subject=worker,
            before={key: before[key] for key in sorted(changed)},
            after={key: after[key] for key in sorted(changed)},
            reason=reason,
        )
        if changed & {"full_name", "birth_date", "village_code", "phone"}:
            duplicates_detect(worker=worker)
    return worker


@transaction.atomic
def worker_change_phone(*, actor: Any, worker: Worker, phone: str) -> Worker:
    """Set a new, verified mobile number. The caller has checked the one-time code sent to it."""
    normalized, messages = identity.phone_errors(phone)
    if messages:
        raise ValidationFailed(_("Some fields are not valid."), fields={"phone": messages})
    worker = Worker.objects.select_for_update().get(pk=worker.pk)
    before = {"phone": worker.phone}
    worker.phone = normalized
    worker.phone_verified_at = timezone.now()
    worker.save(update_fields=["phone", "phone_verified_at"])
    audit_record(
        actor=actor,
        action="registry.worker_phone_changed",
        subject=worker,
        before=before,
        after={"phone": normalized, "phone_verified": True},
    )
    if before["phone"] != normalized:
        duplicates_detect(worker=worker)
    return worker


def _heir_clean_one(data: HeirInput) -> dict[str, Any]:
    errors = _Errors()
    cleaned = _clean_heir(data, prefix="", errors=errors, today=timezone.localdate())
    errors.raise_if_any()
    return cleaned


def _heir_of(worker: Worker, heir: Heir) -> Heir:
    found = Heir.objects.select_for_update().filter(pk=heir.pk, worker_id=worker.pk).first()
    if found is None:
        raise NotFound(_("This heir was not found."))
    return found


@transaction.atomic
def heir_add(*, actor: Any, worker: Worker, data: HeirInput) -> Heir:
    cleaned = _heir_clean_one(data)
    if Heir.objects.filter(worker_id=worker.pk).count() >= MAX_HEIRS:
        raise ValidationFailed(_("At most %(count)s heirs can be recorded.") % {"count": MAX_HEIRS})
    heir = _heir_create(worker=worker, cleaned=cleaned)
    audit_record(actor=actor, action="registry.heir_added", subject=worker, after=_heir_audit(heir))
    return heir


@transaction.atomic
def heir_update(*, actor: Any, worker: Worker, heir: Heir, data: HeirInput) -> Heir:
    """Replace an heir's data. An empty NIK in ``data`` keeps the NIK already recorded."""
    heir = _heir_of(worker, heir)
    cleaned = _heir_clean_one(data)
    before = _heir_audit(heir)
    heir.full_name = cleaned["full_name"]
    heir.relationship = cleaned["relationship"]
    heir.birth_date = cleaned["birth_date"]
    heir.phone = cleaned["phone"]
    if cleaned["nik"]:
        heir.nik_sealed = seal(cleaned["nik"], purpose="heir_nik")
        heir.nik_hash = lookup_hash(cleaned["nik"], purpose="heir_nik")
    heir.save()
    audit_record(actor=actor, action="registry.heir_updated", subject=worker, before=before, after=_heir_audit(heir))
    return heir


@transaction.atomic
def heir_remove(*, actor: Any, worker: Worker, heir: Heir) -> None:
    heir = _heir_of(worker, heir)
    before = _heir_audit(heir)
    heir.delete()
    audit_record(actor=actor, action="registry.heir_removed", subject=worker, before=before)


@transaction.atomic
def worker_reveal_nik(*, actor: Any, worker: Worker) -> str:
    """The full NIK, for staff allowed to see it; every reveal leaves an audit row."""
    if not getattr(actor, "has_perm", None) or not actor.has_perm("accounts.reveal_nik"):
        raise PermissionDenied(_("You are not allowed to see full NIKs."))
    nik = worker.nik
    audit_record(actor=actor, action="registry.worker_nik_revealed", subject=worker)
    return nik


def _duplicate_open(duplicate: PossibleDuplicate) -> PossibleDuplicate:
    locked = (
        PossibleDuplicate.objects.select_for_update(of=("self",)).select_related("worker", "other").get(pk=duplicate.pk)
    )
    if locked.status != DuplicateStatus.OPEN:
        raise Conflict(_("This possible duplicate was already resolved."), code="duplicate_resolved")
    return locked


@transaction.atomic
def duplicate_dismiss(*, actor: Any, duplicate: PossibleDuplicate, note: str = "") -> PossibleDuplicate:
    """Two different people after all: close the case, keep both records."""
    duplicate = _duplicate_open(duplicate)
    duplicate.status = DuplicateStatus.DISMISSED
    duplicate.note = note.strip()
    duplicate.resolved_by = actor if getattr(actor, "is_authenticated", False) else None
    duplicate.resolved_at = timezone.now()
    duplicate.save()
    audit_record(
        actor=actor,
        action="registry.duplicate_dismissed",
        subject=duplicate.worker,
        after={"other": duplicate.other.membership_number, "reason": duplicate.reason},
        reason=duplicate.note,
    )
    return duplicate


@transaction.atomic
def duplicate_merge(*, actor: Any, duplicate: PossibleDuplicate, note: str) -> PossibleDuplicate:
    """One person with two records: the newer record is marked merged into the older one.

    Nothing is deleted; payments and history stay on the record they belong to
    and can be followed through ``merged_into``.
    """
    note = note.strip()
    if not note:
        raise ValidationFailed(_("Some fields are not valid."), fields={"note": [_("Say why the records are merged.")]})
    duplicate = _duplicate_open(duplicate)
    older, newer = duplicate.merge_order()
    if older.status != WorkerStatus.ACTIVE or newer.status != WorkerStatus.ACTIVE:
        raise Conflict(_("One of these records was already merged."), code="already_merged")
    Worker.objects.filter(pk=newer.pk).update(status=WorkerStatus.MERGED, merged_into=older)
    duplicate.status = DuplicateStatus.MERGED
    duplicate.note = note
    duplicate.resolved_by = actor if getattr(actor, "is_authenticated", False) else None
    duplicate.resolved_at = timezone.now()
    duplicate.save()
    audit_record(
        actor=actor,
        action="registry.worker_merged",
        subject=newer,
        before={"status": WorkerStatus.ACTIVE},
        after={"status": WorkerStatus.MERGED, "merged_into": older.membership_number},
        reason=note,
    )
    return duplicate


@transaction.atomic
def worker_export_data(*, actor: Any, worker: Worker) -> dict[str, Any]:
    """Everything Rangkul holds about one person, for the access right of UU 27/2022.

    Includes the person's own NIK in full (it is their data), their heirs and
    the processing history from the audit log. The export itself is audited.
    """
    worker = Worker.objects.select_related(
        "village__district__regency__province", "occupation", "second_occupation", "branch"
    ).get(pk=worker.pk)
    village = worker.village
    history = [
        {
            "at": event.occurred_at.isoformat(),
            "action": event.action,
            "by": event.actor_label,
            "before": event.before,
            "after": event.after,
            "reason": event.reason,
        }
        for event in audit_events_for(subject_type=worker._meta.label_lower, subject_id=str(worker.pk)).order_by(
            "occurred_at", "pk"
        )
    ]
    data = {
        "exported_at": timezone.now().isoformat(),
        "membership_number": worker.membership_number,
        "nik": worker.nik,
        "full_name": worker.full_name,
        "birth_date": worker.birth_date.isoformat(),
        "sex": worker.sex,
        "phone": worker.phone,
        "phone_verified_at": worker.phone_verified_at.isoformat() if worker.phone_verified_at else None,
        "email": worker.email,
        "address": worker.address,
        "postal_code": worker.postal_code,
        "village": {
            "code": village.code,
            "name": village.name,
            "district": village.district.name,
            "regency": village.district.regency.name,
            "province": village.district.regency.province.name,
        },
        "occupation": {"code": worker.occupation.code, "name": worker.occupation.name},
        "second_occupation": (
            {"code": worker.second_occupation.code, "name": worker.second_occupation.name}
            if worker.second_occupation
            else None
        ),
        "declared_income_idr": worker.declared_income_idr,
        "programs": ["JKK", "JKM", *(["JHT"] if worker.jht else [])],
        "payment_period_months": worker.payment_period_months,
        "branch": worker.branch.name if worker.branch else None,
        "channel": worker.channel,
        "registered_at": worker.registered_at.isoformat(),
        "status": worker.status,
        "heirs": [
            {
                "full_name": heir.full_name,
                "relationship": heir.relationship,
                "birth_date": heir.birth_date.isoformat() if heir.birth_date else None,
                "nik": heir.nik_masked,
                "phone": heir.phone,
            }
            for heir in worker.heirs.order_by("id")
        ],
        "history": history,
    }
    audit_record(actor=actor, action="registry.worker_data_exported", subject=worker)
    return data


def registration_problems(data: RegistrationInput, *, lookups: BatchLookups) -> dict[str, list[str]]:
    """Every registration rule ``data`` breaks, by field, writing nothing (an import's full report of a row)."""
    try:
        _clean(data, lookups=lookups)
    except ValidationFailed as exc:
        return {name: [str(message) for message in messages] for name, messages in exc.fields.items()}
    return {}
