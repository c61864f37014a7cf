"""Reading partners' CSV and XLSX files, streaming, into typed rows.

Only the *shape* of the data is handled here (headers, encodings, delimiters,
dates, Yes/No words, thousands separators). Whether a row is a valid
registration is decided by the registry (rangkul.registry.services), never here.

One rule is strict on purpose: a NIK that a spreadsheet turned into a number
(a numeric cell, ``3374010101900001.0`` or ``3.37409E+15``) is rejected with a
message that says so. Spreadsheets keep only 15 significant digits, so the
last digit(s) of a 16-digit NIK are already lost; any "repair" would be a guess
that could register someone under another person's NIK.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from zipfile import BadZipFile

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Canonical field → accepted header spellings. Headers are compared after
# folding case, accents, spaces and punctuation, so "No. KTP", "no_ktp" and
# "NO KTP" are one header. The API's field names are always accepted.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "nik": ("nik", "no ktp", "nomor ktp", "nik ktp", "nomor_induk_kependudukan", "nomor induk kependudukan"),
    "full_name": ("full_name", "nama", "nama lengkap", "nama sesuai ktp", "name"),
    "birth_date": ("birth_date", "tgl lahir", "tanggal lahir", "tgl. lahir", "date of birth"),
    "sex": ("sex", "jenis kelamin", "jk", "gender", "l/p"),
    "phone": ("phone", "no hp", "nomor hp", "no. hp", "nomor handphone", "no telepon", "nomor telepon", "hp", "no wa"),
    "village_code": ("village_code", "kode desa", "kode desa/kelurahan", "kode kelurahan", "kode wilayah"),
    "occupation": ("occupation", "occupation_code", "pekerjaan", "kode pekerjaan", "jenis pekerjaan"),
    "declared_income_idr": (
        "declared_income_idr",
        "penghasilan",
        "penghasilan per bulan",
        "penghasilan bulanan",
        "pendapatan",
        "upah",
    ),
    "jht": ("jht", "ikut jht", "program jht", "jaminan hari tua"),
    "email": ("email", "e-mail", "surel"),
    "address": ("address", "alamat"),
    "postal_code": ("postal_code", "kode pos"),
}
REQUIRED_FIELDS = (
    "nik",
    "full_name",
    "birth_date",
    "sex",
    "phone",
    "village_code",
    "occupation",
    "declared_income_idr",
)
# The headers of the downloadable template, in order (Indonesian, as partners write them).
TEMPLATE_HEADERS = {
    "nik": "NIK",
    "full_name": "Nama Lengkap",
    "birth_date": "Tanggal Lahir",
    "sex": "Jenis Kelamin",
    "phone": "Nomor HP",
    "village_code": "Kode Desa",
    "occupation": "Pekerjaan",
    "declared_income_idr": "Penghasilan",
    "jht": "JHT",
    "email": "Email",
    "address": "Alamat",
    "postal_code": "Kode Pos",
}


def header_key(value: Any) -> str:
    """Fold a header for comparison: no case, accents, spaces or punctuation."""
    text = unicodedata.normalize("NFKD", str(value or ""))
    return "".join(ch for ch in text.casefold() if ch.isalnum())


_ALIAS_INDEX: dict[str, str] = {
    header_key(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases
}


DAMAGED = _("The file cannot be read from row %(line)s on: it is damaged or not a CSV/XLSX file.")


class ImportFileError(Exception):
    """The file as a whole cannot be read (not the fault of one row)."""

    def __init__(self, message: Promise | str) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class RawRow:
    number: int  # spreadsheet row number; the header is row 1
    values: dict[str, Any]  # canonical field → cell value (str for CSV; any for XLSX)


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


@dataclass
class Source:
    """An open file: its column mapping and an iterator over its data rows."""

    format: str
    columns: dict[str, str]  # canonical field → header as written in the file
    rows: Iterator[RawRow]
    estimated_rows: int


# ---------------------------------------------------------------- file reading

CSV_CHUNK = 1 << 20


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as such, else Windows-1252.

    One streaming pass with an incremental decoder: memory stays bounded whatever the file size.
    """
    with path.open("rb") as handle:
        head = handle.read(3)
        if head == codecs.BOM_UTF8:
            return "utf-8-sig"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(CSV_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CSV_CHUNK):
            count += chunk.count(b"\n")
    return count


def detect_delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _map_headers(headers: Iterable[Any]) -> tuple[dict[int, str], dict[str, str]]:
    by_index: dict[int, str] = {}
    columns: dict[str, str] = {}
    for index, header in enumerate(headers):
        name = _ALIAS_INDEX.get(header_key(header))
        if name and name not in columns:
            by_index[index] = name
            columns[name] = str(header).strip()
    missing = [name for name in REQUIRED_FIELDS if name not in columns]
    if missing:
        raise ImportFileError(
            _("The file has no column for: %(columns)s. Use the template's headers in the first row.")
            % {"columns": ", ".join(TEMPLATE_HEADERS[name] for name in missing)}
        )
    return by_index, columns


def _is_blank(values: Iterable[Any]) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def _rows(records: Iterator[Any], by_index: Mapping[int, str]) -> Iterator[RawRow]:
    # The header is row 1; blank rows keep their number so messages point at the right row.
    for number, record in enumerate(records, start=2):
        if _is_blank(record):
            continue
        values: dict[str, Any] = {}
        for index, name in by_index.items():
            value = record[index] if index < len(record) else None
            values[name] = value.strip() if isinstance(value, str) else value
        yield RawRow(number=number, values=values)


def open_csv(path: Path) -> Source:
    encoding = detect_encoding(path)
    handle: IO[str] = path.open(encoding=encoding, errors="replace" if encoding == "cp1252" else "strict", newline="")
    first = ""
    # Skip blank lines before the header.
    while True:
        line = handle.readline()
        if not line:
            break
        if line.strip():
            first = line
            break
    if not first:
        handle.close()
        raise ImportFileError(_("The file is empty."))
    delimiter = detect_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter))
    by_index, columns = _map_headers(header)
    reader = csv.reader(handle, delimiter=delimiter)

    def records() -> Iterator[list[str]]:
        try:
            yield from reader
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ImportFileError(DAMAGED % {"line": reader.line_num + 1}) from exc
        finally:
            handle.close()

    return Source(
        format="csv", columns=columns, rows=_rows(records(), by_index), estimated_rows=max(0, _count_lines(path) - 1)
    )


def open_xlsx(path: Path) -> Source:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(_("This is not a readable XLSX file.")) from exc
    sheet = workbook.worksheets[0]
    records = sheet.iter_rows(values_only=True)
    header: tuple[Any, ...] | None = None
    for record in records:
        if not _is_blank(record):
            header = record
            break
    if header is None:
        workbook.close()
        raise ImportFileError(_("The file is empty."))
    by_index, columns = _map_headers(header)
    estimated = max(0, (sheet.max_row or 1) - 1)

    def rest() -> Iterator[tuple[Any, ...]]:
        line = 1
        try:
            for line, record in enumerate(records, start=2):  # noqa: B007 — line is reported on failure
                yield record
        except (BadZipFile, KeyError, ValueError, OSError) as exc:
            raise ImportFileError(DAMAGED % {"line": line + 1}) from exc
        finally:
            workbook.close()

    return Source(format="xlsx", columns=columns, rows=_rows(rest(), by_index), estimated_rows=estimated)


def sniff_format(path: Path, name: str = "") -> str:
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PK\x03\x04":
        return "xlsx"
    if (name or path.name).lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError(_("This is not a readable XLSX file."))
    if (name or path.name).lower().endswith(".xls"):
        raise ImportFileError(_("Old .xls files cannot be read; save the file as .xlsx or .csv."))
    return "csv"


def open_source(path: Path, name: str = "") -> Source:
    return open_xlsx(path) if sniff_format(path, name) == "xlsx" else open_csv(path)


# ---------------------------------------------------------------- values

NIK_AS_NUMBER = _(
    "The NIK was written as a number or in scientific notation by the spreadsheet, which loses digits; "
    "format the NIK column as text and type the NIK again."
)
_SCIENTIFIC = re.compile(r"^[+-]?\d+([.,]\d+)?[eE][+-]?\d+$")
_DECIMAL = re.compile(r"^\d+[.,]\d+$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SEX_WORDS = {
    "l": "M",
    "lk": "M",
    "lakilaki": "M",
    "laki": "M",
    "pria": "M",
    "m": "M",
    "male": "M",
    "p": "F",
    "pr": "F",
    "perempuan": "F",
    "wanita": "F",
    "f": "F",
    "female": "F",
}
_YES = {"ya", "y", "iya", "yes", "true", "1", "benar"}
_NO = {"tidak", "t", "tdk", "n", "no", "false", "0", "", "bukan"}
_THOUSANDS = re.compile(r"^\d{1,3}([.,]\d{3})+$")
_DECIMAL_ZERO = re.compile(r"^(\d+)[.,]0{1,2}$")
_THOUSANDS_CENTS = re.compile(r"^(\d{1,3}(?:\.\d{3})+),0{1,2}$")  # "1.500.000,00", Indonesian style


NIK_DIGITS = _("A NIK has exactly 16 digits.")
DATE_MISSING = _("Write the date of birth.")
DATE_WRONG = _("Write the date as DD/MM/YYYY, e.g. 17/08/1990.")
INCOME_WRONG = _("Write the income as a whole number of rupiah.")
BOOL_WRONG = _("Write ya or tidak.")
EXAMPLE_ROW = _("This is the example row from the template; delete it before uploading.")
TEMPLATE_EXAMPLE_NIK = "3374015708900001"
_DMY = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$")
_YMD = re.compile(r"^(\d{4})([/-])(\d{1,2})\2(\d{1,2})$")
_RP = re.compile(r"(?i)^rp\.?")

# The helpers below run once per cell of files with a million rows: each has a fast
# path for the common, clean value before the slower, more forgiving one.


def _text(value: Any) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_nik(value: Any) -> tuple[str, Promise | None]:
    if isinstance(value, bool):
        return "", NIK_DIGITS
    if isinstance(value, (int, float)):
        return "", NIK_AS_NUMBER
    text = _text(value)
    if text.isdigit():
        return text, None
    text = text.lstrip("'")  # a leading apostrophe is how spreadsheets are told "text"
    compact = text.replace(" ", "")
    if _SCIENTIFIC.match(compact) or _DECIMAL.match(compact):
        return "", NIK_AS_NUMBER
    return text, None


def excel_serial_to_date(serial: float) -> dt.date:
    # Excel's day 60 is the non-existent 29 February 1900, hence the 1899-12-30 epoch for later dates.
    return _EXCEL_EPOCH + dt.timedelta(days=int(serial))


def _calendar_date(year: str, month: str, day: str) -> tuple[dt.date | None, Promise | None]:
    try:
        return dt.date(int(year), int(month), int(day)), None
    except ValueError:
        return None, DATE_WRONG


def parse_date(value: Any) -> tuple[dt.date | None, Promise | None]:
    if value is None or value == "":
        return None, DATE_MISSING
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 100_000:
            return excel_serial_to_date(value), None
        return None, DATE_WRONG
    text = _text(value)
    if text.isdigit() and 1 <= len(text) <= 5:
        return excel_serial_to_date(int(text)), None
    text = text.split(" ")[0].split("T")[0]  # "1990-08-17 00:00:00" from a spreadsheet export
    match = _DMY.match(text)
    if match:
        return _calendar_date(match.group(4), match.group(3), match.group(1))
    match = _YMD.match(text)
    if match:
        return _calendar_date(match.group(1), match.group(3), match.group(4))
    return None, DATE_WRONG


def parse_sex(value: Any) -> str:
    """M or F for the usual spellings; anything else is passed on for the registry to refuse."""
    text = _text(value)
    found = _SEX_WORDS.get(text.lower())
    return found or _SEX_WORDS.get(header_key(text), text)


def parse_phone(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # A numeric cell lost the leading 0 (812…) or the + (62812…); both are unambiguous.
        digits = str(int(value))
        return "+" + digits if digits.startswith("62") else "0" + digits if digits.startswith("8") else digits
    return _text(value).lstrip("'")


def parse_village(value: Any) -> str:
    text = _text(value)
    if len(text) == 10 and text.isdigit():
        return f"{text[:2]}.{text[2:4]}.{text[4:6]}.{text[6:]}"
    return text


def parse_income(value: Any) -> tuple[int | None, Promise | None]:
    if isinstance(value, bool) or value is None:
        return None, INCOME_WRONG
    if isinstance(value, int):
        return value, None
    if isinstance(value, float):
        return (int(value), None) if value.is_integer() else (None, INCOME_WRONG)
    text = _text(value)
    if text.isdigit():
        return int(text), None
    text = _RP.sub("", text).replace(" ", "")
    if text.isdigit():
        return int(text), None
    if _THOUSANDS.match(text):
        return int(text.replace(".", "").replace(",", "")), None
    match = _DECIMAL_ZERO.match(text) or _THOUSANDS_CENTS.match(text)
    if match:
        return int(match.group(1).replace(".", "")), None
    return None, INCOME_WRONG


def parse_bool(value: Any) -> tuple[bool | None, Promise | None]:
    if isinstance(value, bool):
        return value, None
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value), None
    text = _text(value).lower()
    if text in _YES:
        return True, None
    if text in _NO:
        return False, None
    key = header_key(text)
    if key in _YES:
        return True, None
    if key in _NO:
        return False, None
    return None, BOOL_WRONG


def parse_row(raw: RawRow, *, occupations: Mapping[str, str]) -> ParsedRow:
    """Typed values for RegistrationInput, or the problems that stop the row before the registry."""
    values = raw.values
    get = values.get
    problems: list[Problem] = []

    nik, problem = parse_nik(get("nik"))
    if problem:
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
    code = occupations.get(occupation) or occupations.get(header_key(occupation), occupation)
    data = {
        "nik": nik,
        "birth_date": birth_date,
        "declared_income_idr": income,
        "jht": jht,
        "occupation_code": code,
        "full_name": _text(get("full_name")),
        "sex": parse_sex(get("sex")),
        "phone": parse_phone(get("phone")),
        "village_code": parse_village(get("village_code")),
        "email": _text(get("email")),
        "address": _text(get("address")),
        "postal_code": _text(get("postal_code")),
    }
    return ParsedRow(number=raw.number, data=data, problems=problems)


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
