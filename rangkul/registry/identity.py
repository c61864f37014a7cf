"""Identity rules for registration: NIK, names, age, mobile numbers.

Each check returns the messages for one field (empty when valid) so that the
registration service can collect every problem into one ``ValidationFailed``.
Messages are English msgids, translated for the person who reads them; none
of them ever repeats the NIK.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from stdnum.id import nik as stdnum_nik

from rangkul.regions.selectors import regency_in_province_exists

# Codes of warnings stored on a worker (Worker.identity_warnings), with the text shown to staff.
WARNING_NIK_REGION_UNKNOWN = "nik_region_unknown"
WARNING_MESSAGES: dict[str, Promise] = {
    WARNING_NIK_REGION_UNKNOWN: _(
        "The region in the NIK (first four digits) is not in the region list; "
        "codes were split and renumbered over time, so check the KTP."
    ),
}

# A user-facing message: a lazy translation, or one already formatted with its placeholders.
Message = str | Promise

_SPACES = re.compile(r"\s+")
# A capital after the start of a name part: a space, hyphen or full stop. Not after an
# apostrophe: Indonesian names such as "Ni'matul" keep the letter after it small.
_WORD_START = re.compile(r"(^|[\s\-.])(\w)")


@dataclass(frozen=True)
class NikFacts:
    """What a structurally valid NIK says about its holder."""

    nik: str
    region_code: str  # "PP.RR" of the regency that first issued it
    day: int
    month: int
    year_two_digits: int
    sex: str  # "M" or "F"


@dataclass
class NikCheck:
    facts: NikFacts | None
    # Messages by field: "nik" for the number itself, "birth_date" / "sex" for a disagreement.
    fields: dict[str, list[Message]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Message]:
        return [message for messages in self.fields.values() for message in messages]


def nik_compact(value: str) -> str:
    # The common case, 16 ASCII digits, is already compact: stdnum would return it unchanged.
    if value and len(value) == 16 and value.isascii() and value.isdigit():
        return value
    return stdnum_nik.compact(value or "")


def _nik_birth_date_possible(number: str) -> bool:
    """``stdnum.id.nik.get_birth_date`` succeeds (19YY or 20YY), for a compact 16-digit NIK."""
    day, month, year = int(number[6:8]) % 40, int(number[8:10]), int(number[10:12])
    if not 1 <= month <= 12 or day < 1:
        return False
    return day <= calendar.monthrange(1900 + year, month)[1] or day <= calendar.monthrange(2000 + year, month)[1]


def nik_parse(value: str) -> NikFacts | None:
    """The facts encoded in a NIK, or None when it is not a NIK's shape.

    Format PP RR SS DD MM YY NNNN (DOMAIN.md): women's day of birth is +40, the
    serial is never 0000, there is no check digit. The birth date is checked
    as ``stdnum.id.nik`` checks it; its registration-place table is deliberately
    not used here because an unknown region is only a warning.
    """
    number = nik_compact(value)
    if len(number) != 16 or not number.isascii() or not number.isdigit():
        return None
    raw_day = int(number[6:8])
    if not (1 <= raw_day <= 31 or 41 <= raw_day <= 71) or number[12:] == "0000" or number[:2] == "00":
        return None
    if not _nik_birth_date_possible(number):
        return None
    return NikFacts(
        nik=number,
        region_code=f"{number[:2]}.{number[2:4]}",
        day=raw_day % 40,
        month=int(number[8:10]),
        year_two_digits=int(number[10:12]),
        sex="F" if raw_day > 40 else "M",
    )


def nik_compose(*, district_code: str, birth_date: dt.date, sex: str, serial: int) -> str:
    """A NIK of the right shape for a district ("33.74.01" or "337401"); for demo data and tests."""
    region = district_code.replace(".", "")
    day = birth_date.day + (40 if sex == "F" else 0)
    return f"{region}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"


def region_in_list(region_code: str) -> bool:
    """Whether a NIK's "PP.RR" prefix names a province and regency in the region list."""
    return regency_in_province_exists(region_code, region_code[:2])


def nik_check(
    value: str,
    *,
    birth_date: dt.date | None,
    sex: str,
    region_known: Callable[[str], bool] | None = None,
    parse: Callable[[str], NikFacts | None] = nik_parse,
) -> NikCheck:
    """Structure, then agreement with the given date of birth and sex, then the region prefix.

    ``region_known`` answers ``region_in_list`` from reference rows already loaded
    (bulk registration loads them once per batch); by default it asks the database.
    ``parse`` is ``nik_parse``, or its answers kept from an earlier pass over the same
    values (bulk registration parses each NIK once).
    """
    facts = parse(value)
    if facts is None:
        digits = nik_compact(value)
        if len(digits) != 16 or not digits.isdigit():
            return NikCheck(None, {"nik": [_("A NIK has exactly 16 digits.")]})
        return NikCheck(None, {"nik": [_("This is not a valid NIK: the date of birth or serial in it is impossible.")]})
    check = NikCheck(facts)
    if birth_date is not None and (
        birth_date.day != facts.day or birth_date.month != facts.month or birth_date.year % 100 != facts.year_two_digits
    ):
        check.fields["birth_date"] = [_("The date of birth does not match the NIK.")]
    if sex in {"M", "F"} and sex != facts.sex:
        check.fields["sex"] = [_("The sex does not match the NIK.")]
    if not (region_known or region_in_list)(facts.region_code):
        check.warnings.append(WARNING_NIK_REGION_UNKNOWN)
    return check


def name_normalize(value: str) -> str:
    """Collapse spaces and capitalise each word; letters are never transliterated."""
    collapsed = _SPACES.sub(" ", value or "").strip()
    return _WORD_START.sub(lambda m: m.group(1) + m.group(2).upper(), collapsed.lower())


def name_search_key(value: str) -> str:
    """The case-folded form stored in ``name_normalized`` and used for search and dedup."""
    return _SPACES.sub(" ", value or "").strip().casefold()


def name_errors(value: str) -> list[Message]:
    name = name_normalize(value)
    if not name:
        return [_("Write the full name as on the KTP.")]
    if len(name) > 150:
        return [_("The name is too long (at most 150 characters).")]
    if any(ch.isdigit() for ch in name):
        return [_("A name cannot contain digits.")]
    return []


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def age_errors(birth_date: dt.date, *, today: dt.date, min_age: int, max_age: int) -> list[Message]:
    """Under ``max_age`` and at least ``min_age`` at registration (the rule book's limits, ``eligibility``)."""
    if birth_date > today:
        return [_("The date of birth cannot be in the future.")]
    age = age_on(birth_date, today)
    if age >= max_age:
        return [_("Registration is open to people under %(limit)s years old.") % {"limit": max_age}]
    if age < min_age:
        return [_("Registration is open from %(limit)s years old.") % {"limit": min_age}]
    return []


class PhoneInvalid(ValueError):
    def __init__(self, message: Promise) -> None:
        super().__init__(str(message))
        self.message = message


# The fast path for the usual ways of writing an Indonesian mobile number (0812…, +62812…, 62812…,
# with spaces or hyphens). It accepts a number only when ``phonenumbers`` would, with the same
# E.164 result, using the library's own metadata for Indonesia; anything else goes through
# ``phonenumbers`` itself. tests/test_phone_fast.py checks the two agree (Hypothesis).
_PHONE_USUAL = re.compile(r"(\+62|62|0)(8\d{6,15})")
_PHONE_MAX_INPUT = 250  # phonenumbers refuses longer input as "not a phone number"


def _desc(desc: phonenumbers.PhoneNumberDesc | None) -> tuple[frozenset[int], re.Pattern[str]] | None:
    if desc is None or desc.national_number_pattern is None:
        return None
    return frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern)


def _id_number_types() -> tuple[Any, Any, list[Any]]:
    meta = phonenumbers.PhoneMetadata.metadata_for_region("ID")
    assert meta is not None and meta.national_prefix_for_parsing == "0"  # noqa: S101 — what the fast path assumes
    assert not meta.same_mobile_and_fixed_line_pattern and not meta.national_prefix_transform_rule  # noqa: S101
    # Types phonenumbers tries before MOBILE (a number matching any of them is not a mobile number).
    others = [
        meta.premium_rate,
        meta.toll_free,
        meta.shared_cost,
        meta.voip,
        meta.personal_number,
        meta.pager,
        meta.uan,
        meta.voicemail,
        meta.fixed_line,
    ]
    return _desc(meta.general_desc), _desc(meta.mobile), [d for d in map(_desc, others) if d is not None]


_ID_GENERAL, _ID_MOBILE, _ID_NOT_MOBILE = _id_number_types()


def _matches(national: str, desc: tuple[frozenset[int], re.Pattern[str]]) -> bool:
    lengths, pattern = desc
    return (not lengths or len(national) in lengths) and pattern.fullmatch(national) is not None


def _phone_fast(raw: str) -> str | None:
    """E.164 for a usual Indonesian mobile number, or None: then ask phonenumbers."""
    if len(raw) > _PHONE_MAX_INPUT:
        return None
    digits = raw.replace(" ", "").replace("-", "")
    match = _PHONE_USUAL.fullmatch(digits)
    if match is None:
        return None
    prefix, national = match.groups()
    # "62…" without "+" is read as a national number when it looks like one (phonenumbers' rule).
    if prefix == "62" and _ID_GENERAL[1].fullmatch(digits):
        return None
    if not _matches(national, _ID_GENERAL) or not _matches(national, _ID_MOBILE):
        return None
    if any(_matches(national, desc) for desc in _ID_NOT_MOBILE):
        return None
    return "+62" + national


def phone_normalize(value: str) -> str:
    """An Indonesian mobile number in E.164 (``+6281234567890``), or PhoneInvalid."""
    raw = (value or "").strip()
    if not raw:
        raise PhoneInvalid(_("Write a mobile number."))
    fast = _phone_fast(raw)
    if fast is not None:
        return fast
    return _phone_normalize_slow(raw)


def _phone_normalize_slow(raw: str) -> str:
    """``phonenumbers``' answer for a stripped, non-empty input."""
    try:
        number = phonenumbers.parse(raw, "ID")
    except phonenumbers.NumberParseException as exc:
        raise PhoneInvalid(_("This is not a phone number.")) from exc
    if number.country_code != 62 or not phonenumbers.is_valid_number(number):
        raise PhoneInvalid(_("Write an Indonesian mobile number, e.g. 0812 3456 7890."))
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise PhoneInvalid(_("This is not a mobile number; a verification code is sent by SMS."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_errors(value: str) -> tuple[str, list[Message]]:
    try:
        return phone_normalize(value), []
    except PhoneInvalid as exc:
        return "", [exc.message]
