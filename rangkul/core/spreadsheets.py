"""Cells for files people open in a spreadsheet: nothing Rangkul writes runs as a formula.

Every CSV and XLSX Rangkul writes (import reports, settlement reports, analytics exports) passes
its rows through ``safe_row``. A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return would be read by Excel, LibreOffice or Google Sheets as a formula (CSV/formula
injection: a partner's "name" of ``=HYPERLINK(...)`` running on a staff member's machine), so it
gets a leading apostrophe and stays text. Numbers are written as numbers: they are never formulas.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet will read it: a formula-leading text gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


class SafeCsvWriter:
    """``csv.writer`` whose every row goes through ``safe_row``."""

    def __init__(self, handle: IO[str] | Any, **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, values: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for values in rows:
            self.writerow(values)


def safe_csv_writer(handle: IO[str] | Any, **options: Any) -> SafeCsvWriter:
    return SafeCsvWriter(handle, **options)
