"""A partner's row as typed values for the registry, and the checks made once per file.

Reading files is in ``read`` (encodings, header row, sheet, unsafe files), one
cell's value in ``values`` and village names in ``places``; this module puts a
row together and reports every problem of it at once.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from rangkul.partners.importing.places import PlaceIndex
from rangkul.partners.importing.read import (
    CONTROL_REMOVED,
    DAMAGED,
    HEADER_ALIASES,
    REQUIRED_FIELDS,
    TEMPLATE_HEADERS,
    ImportFileError,
    RawRow,
    Source,
    clean_text,
    detect_delimiter,
    detect_encoding,
    header_key,
    open_csv,
    open_source,
    open_xlsx,
    sniff_format,
    xlsx_check,
)
from rangkul.partners.importing.values import (
    BOOL_WRONG,
    DATE_MISSING,
    DATE_WRONG,
    EXAMPLE_ROW,
    INCOME_WRONG,
    NIK_AS_NUMBER,
    NIK_DIGITS,
    TEMPLATE_EXAMPLE_NIK,
    _text,
    excel_serial_to_date,
    parse_bool,
    parse_date,
    parse_income,
    parse_nik,
    parse_phone,
    parse_sex,
    parse_village,
)

__all__ = [
    "BOOL_WRONG",
    "CONTROL_REMOVED",
    "DAMAGED",
    "DATE_MISSING",
    "DATE_WRONG",
    "EXAMPLE_ROW",
    "HEADER_ALIASES",
    "INCOME_WRONG",
    "NIK_AS_NUMBER",
    "NIK_DIGITS",
    "REQUIRED_FIELDS",
    "TEMPLATE_HEADERS",
    "ImportFileError",
    "ParsedRow",
    "Problem",
    "RawRow",
    "Source",
    "clean_text",
    "detect_delimiter",
    "detect_encoding",
    "excel_serial_to_date",
    "header_key",
    "open_csv",
    "open_source",
    "open_xlsx",
    "parse_bool",
    "parse_date",
    "parse_income",
    "parse_nik",
    "parse_phone",
    "parse_row",
    "parse_sex",
    "parse_village",
    "sniff_format",
    "xlsx_check",
]


@dataclass
class Problem:
    field: str
    value: str
    message: Promise | str


@dataclass
class ParsedRow:
    number: int
    data: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)


NIK_HIDDEN = _("The NIK contains invisible characters; type it again.")
OCCUPATION_UNKNOWN = _("This occupation is not in the list. Write one of: %(names)s.")
OCCUPATION_VAGUE = _("“%(value)s” does not say what the work is. Write one of: %(names)s.")

# Occupations as people (and the KTP) write them → the catalogue's code. Folded like headers.
OCCUPATION_ALIASES = {
    header_key(alias): code
    for code, aliases in {
        "petani": ("Petani/Pekebun", "Pekebun", "Bertani", "Tani"),
        "buruh_tani": ("Buruh Tani/Perkebunan", "Buruh Perkebunan", "Buruh Kebun"),
        "nelayan": ("Nelayan/Perikanan", "Perikanan"),
        "peternak": ("Peternakan",),
        "pedagang": ("Dagang", "Berdagang", "Jualan", "Penjual"),
        "pedagang_kaki_lima": ("PKL",),
        "ojek_online": ("Ojol", "Driver Ojol", "Ojek Online", "Gojek", "Grab", "Driver Online"),
        "ojek_pangkalan": ("Ojek", "Tukang Ojek"),
        "sopir": ("Supir", "Pengemudi", "Driver"),
        "buruh_harian_lepas": ("Buruh", "Buruh Harian", "BHL", "Serabutan"),
        "tukang_bangunan": ("Tukang Batu", "Tukang Kayu", "Kuli Bangunan", "Tukang"),
        "asisten_rumah_tangga": ("Pembantu Rumah Tangga", "PRT", "ART"),
        "montir": ("Mekanik", "Bengkel"),
        "penjual_makanan": ("Warung", "Pedagang Makanan"),
    }.items()
    for alias in aliases
}
# Words from the KTP that name no trade: the row is explained, not guessed.
OCCUPATION_VAGUE_WORDS = {
    header_key(word)
    for word in ("Wiraswasta", "Karyawan Swasta", "Swasta", "Pekerja Mandiri", "Usaha Sendiri", "Lainnya")
}


def _occupation(value: str, occupations: Mapping[str, str]) -> tuple[str, Promise | str | None]:
    if not occupations:
        return value, None  # no catalogue given: the registry alone decides
    if not value:
        return "", OCCUPATION_UNKNOWN % {"names": occupations.get("", "")}
    code = occupations.get(value)
    if code:
        return code, None
    key = header_key(value)
    code = occupations.get(key) or OCCUPATION_ALIASES.get(key)
    if code:
        return code, None
    names = occupations.get("", "")
    if key in OCCUPATION_VAGUE_WORDS:
        return "", OCCUPATION_VAGUE % {"value": value[:40], "names": names}
    return "", OCCUPATION_UNKNOWN % {"names": names}


def _village(get: Any, places: PlaceIndex | None) -> tuple[str, Promise | str | None, str]:
    """The village code, a problem, and the column the problem belongs to."""
    code = parse_village(get("village_code"))
    if code or places is None:
        return code, None, "village_code"
    name = _text(get("village_name"))
    if not name:
        return "", _("Write the village (Kelurahan/Desa) or its code."), "village_name"
    found, problem = places.resolve(name, _text(get("district_name")), _text(get("regency_name")))
    return found, problem, "village_name"


def parse_row(raw: RawRow, *, occupations: Mapping[str, str], places: PlaceIndex | None = None) -> ParsedRow:
    """Typed values for RegistrationInput, with every problem the cells themselves show.

    ``occupations``: folded label → catalogue code, and "" → the valid names (for messages).
    ``places``: village names of the partner's region, when the file names villages.
    """
    values = raw.values
    get = values.get
    problems: list[Problem] = []
    notes: list[Problem] = []

    nik, problem = parse_nik(get("nik"))
    if "nik" in raw.cleaned:
        problems.append(Problem("nik", nik, NIK_HIDDEN))
    elif problem:
        problems.append(Problem("nik", _text(get("nik")), problem))
    elif nik == TEMPLATE_EXAMPLE_NIK:
        # The template's example person is made up: never register them by accident.
        problems.append(Problem("nik", nik, EXAMPLE_ROW))
    birth_date, problem = parse_date(get("birth_date"))
    if problem:
        problems.append(Problem("birth_date", _text(get("birth_date")), problem))
    income, problem = parse_income(get("declared_income_idr"))
    if problem:
        problems.append(Problem("declared_income_idr", _text(get("declared_income_idr")), problem))
    jht, problem = parse_bool(get("jht"))
    if problem:
        problems.append(Problem("jht", _text(get("jht")), problem))
    occupation = _text(get("occupation"))
    code, unknown = _occupation(occupation, occupations)
    if unknown:
        problems.append(Problem("occupation", occupation, unknown))
    village, unplaced, column = _village(get, places)
    if unplaced:
        problems.append(Problem(column, _text(get(column)), unplaced))
    for name in raw.cleaned:
        if name != "nik":
            notes.append(Problem(name, "", CONTROL_REMOVED))
    data = {
        "nik": nik,
        "birth_date": birth_date,
        "declared_income_idr": income,
        "jht": jht,
        "occupation_code": code,
        "full_name": _text(get("full_name")),
        "sex": parse_sex(get("sex")),
        "phone": parse_phone(get("phone")),
        "village_code": village,
        "email": _text(get("email")),
        "address": _text(get("address")),
        "postal_code": _text(get("postal_code")),
    }
    return ParsedRow(number=raw.number, data=data, problems=problems, notes=notes)


# ---------------------------------------------------------------- the file as a whole

NIK_SHORTENED = _(
    "This file is refused: %(share)s of the NIKs in rows %(first)s–%(last)s end in 0 or were numbers, which is "
    "what a spreadsheet does to a 16-digit NIK in a number-formatted column (it keeps 15 digits and rounds the "
    "last to 0). Registering them would put people under wrong numbers. Format the NIK column as Text, type or "
    "paste the NIKs again from the KTPs, and upload the file again."
)
# At least this many NIKs before the share of shortened ones says anything.
NIK_CHECK_MIN = 5


def niks_shortened(rows: Iterable[RawRow]) -> ImportFileError | None:
    """A file-level refusal when most NIKs look shortened by a spreadsheet, else None.

    One NIK in ten ends in 0 by chance; most of them do only when a spreadsheet rounded the
    16th digit. NIKs that are still numbers (numeric cells, 3.37401E+15) count as shortened too.
    """
    seen = shortened = 0
    first = last = 0
    for raw in rows:
        value = raw.values.get("nik")
        if value is None or value == "":
            continue
        seen += 1
        first = first or raw.number
        last = raw.number
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            shortened += 1
            continue
        nik, problem = parse_nik(value)
        if problem is NIK_AS_NUMBER or (len(nik) == 16 and nik.endswith("0")):
            shortened += 1
    if seen >= NIK_CHECK_MIN and shortened * 2 > seen:
        return ImportFileError(NIK_SHORTENED % {"share": f"{shortened * 100 // seen}%", "first": first, "last": last})
    return None


# ---------------------------------------------------------------- template

TEMPLATE_EXAMPLE = {
    "nik": TEMPLATE_EXAMPLE_NIK,
    "full_name": "Siti Rahayu",
    "birth_date": "17/08/1990",
    "sex": "P",
    "phone": "081234567890",
    "village_code": "33.74.01.1001",
    "occupation": "pedagang",
    "declared_income_idr": "1500000",
    "jht": "ya",
    "email": "",
    "address": "Jl. Pemuda 12",
    "postal_code": "50132",
}


def template_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(TEMPLATE_HEADERS.values())
    writer.writerow(TEMPLATE_EXAMPLE[name] for name in TEMPLATE_HEADERS)
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 — a new workbook always has one sheet
    sheet.title = "Peserta"
    sheet.append(list(TEMPLATE_HEADERS.values()))
    sheet.append([TEMPLATE_EXAMPLE[name] for name in TEMPLATE_HEADERS])
    # Text format on every column, so that NIKs and phone numbers keep all their digits.
    for column in sheet.iter_cols(min_row=1, max_row=1000):
        for cell in column:
            cell.number_format = "@"
    for letter in "ABCDEFGHIJKL":
        sheet.column_dimensions[letter].width = 20
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
