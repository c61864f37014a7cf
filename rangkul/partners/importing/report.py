"""The per-row report of an import: row, outcome, column, value (NIK masked), message."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from django.utils.translation import gettext

from rangkul.core.spreadsheets import safe_csv_writer, safe_row
from rangkul.partners.models import ImportRowResult


def _headers() -> list[str]:
    return [gettext("Row"), gettext("Outcome"), gettext("Column"), gettext("Value"), gettext("Message")]


def _line(result: ImportRowResult) -> list[str | int]:
    return [result.row_number, result.get_outcome_display(), result.column, result.value, result.message]


class _Echo:
    def write(self, value: str) -> str:
        return value


def report_csv_lines(results: Iterable[ImportRowResult]) -> Iterator[str]:
    """CSV text in pieces, UTF-8 BOM first so that Excel shows the Indonesian letters right."""
    writer = safe_csv_writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow(_headers())
    for result in results:
        yield writer.writerow(_line(result))


def report_csv_write(results: Iterable[ImportRowResult], handle: IO[str]) -> int:
    count = -1
    for count, line in enumerate(report_csv_lines(results)):  # noqa: B007 — the count is the result
        handle.write(line)
    return max(count, 0)


def report_xlsx_file(results: Iterable[ImportRowResult]) -> Path:
    """A write-only workbook on disk (constant memory); the caller streams and deletes it."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("Report"))
    sheet.append(safe_row(_headers()))
    for result in results:
        sheet.append(safe_row(_line(result)))
    handle = tempfile.NamedTemporaryFile(prefix="rangkul-report-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    workbook.save(handle.name)
    return Path(handle.name)


def report_csv_text(results: Iterable[ImportRowResult]) -> str:
    buffer = io.StringIO()
    report_csv_write(results, buffer)
    return buffer.getvalue()
