"""One cell's value as partners write it: NIKs, dates, sex, phone numbers, money, yes/no.

Only the *shape* of the data is handled here. Whether a row is a valid
registration is decided by the registry (rangkul.registry.services), never here.

One rule is strict on purpose: a NIK that a spreadsheet turned into a number
(a numeric cell, ``3374010101900001.0`` or ``3.37409E+15``) is rejected with a
message that says so. Spreadsheets keep only 15 significant digits, so the
last digit(s) of a 16-digit NIK are already lost; any "repair" would be a guess
that could register someone under another person's NIK.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from rangkul.partners.importing.read import header_key

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
DATE_WRONG = _("Write the date as DD/MM/YYYY, e.g. 17/08/1990, or as 17 Agustus 1990.")
INCOME_WRONG = _("Write the income in rupiah, e.g. 1500000, Rp1.500.000 or 1,5 juta.")
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
    return _date_in_words(_text(value))


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("januari", "jan", "january"),
            ("februari", "feb", "pebruari", "peb", "february"),
            ("maret", "mar", "march"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "jun", "june"),
            ("juli", "jul", "july"),
            ("agustus", "agu", "agt", "ags", "aug", "august", "agust"),
            ("september", "sep", "sept"),
            ("oktober", "okt", "oct", "october"),
            ("november", "nov", "nopember", "nop"),
            ("desember", "des", "dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_DATE_WORDS = re.compile(r"^(\d{1,2})[\s.\-/]*([A-Za-z]+)\.?[\s.\-/,]*(\d{4})$")


def _date_in_words(text: str) -> tuple[dt.date | None, Promise | None]:
    """ "10 Maret 1969", "10-Mar-1969", "10 March 1969"."""
    match = _DATE_WORDS.match(text.strip())
    month = _MONTHS.get(match.group(2).casefold()) if match else None
    if match is None or month is None:
        return None, DATE_WRONG
    return _calendar_date(match.group(3), str(month), match.group(1))


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
    return _income_in_words(text)


_SCALES = {"juta": 1_000_000, "jt": 1_000_000, "ribu": 1_000, "rb": 1_000, "k": 1_000}
_IN_WORDS = re.compile(r"(?i)^(\d+(?:[.,]\d+)?)(juta|jt|ribu|rb|k)\.?$")
_DASH_END = re.compile(r"[,.]?-+$")


def _income_in_words(text: str) -> tuple[int | None, Promise | None]:
    """ "1,5 juta", "1.5jt", "750 ribu", "Rp1.500.000,-" (spaces and "Rp" already gone)."""
    text = _DASH_END.sub("", text.lower())  # "1.500.000,-": the dash says "no cents"
    if text.isdigit():
        return int(text), None
    if _THOUSANDS.match(text):
        return int(text.replace(".", "").replace(",", "")), None
    match = _THOUSANDS_CENTS.match(text)
    if match:
        return int(match.group(1).replace(".", "")), None
    match = _IN_WORDS.match(text)
    if match:
        number, scale = match.group(1).replace(",", "."), _SCALES[match.group(2).lower()]
        whole, _dot, fraction = number.partition(".")
        amount = int(whole) * scale + (int(fraction) * scale // 10 ** len(fraction) if fraction else 0)
        return amount, None
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
