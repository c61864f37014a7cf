"""Every CSV and XLSX Rangkul writes keeps formula-leading cells as text (one helper in core)."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from rangkul.core.spreadsheets import FORMULA_LEADS, safe_cell, safe_csv_writer
from rangkul.partners.importing.report import report_csv_text, report_xlsx_file
from rangkul.partners.models import ImportRowResult
from rangkul.payments.models import Channel, LineOutcome, SettlementFile, SettlementLine
from rangkul.payments.settlement import settlement_report_csv

ATTACKS = ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@given(st.text(min_size=1))
def test_a_text_cell_never_starts_with_a_formula_lead(text):
    cell = safe_cell(text)
    assert not cell.startswith(FORMULA_LEADS)
    assert cell in (text, "'" + text)


def test_numbers_and_plain_text_are_left_alone():
    assert safe_cell(-5000) == -5000 and safe_cell(12.5) == 12.5 and safe_cell(None) is None
    assert safe_cell("Sri Mulyani") == "Sri Mulyani"
    out = io.StringIO()
    safe_csv_writer(out, delimiter=";").writerow(["=1+1", 3, "ok"])
    assert out.getvalue() == "'=1+1;3;ok\r\n"


def _cells(text: str, delimiter: str = ",") -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter) for cell in row]


def test_import_reports_in_csv_and_xlsx_keep_attacks_as_text():
    results = [
        ImportRowResult(row_number=n, outcome="rejected", column="full_name", value=attack, message=attack)
        for n, attack in enumerate(ATTACKS, start=2)
    ]
    cells = _cells(report_csv_text(results), delimiter=";")
    assert not [cell for cell in cells if cell.startswith(FORMULA_LEADS)]
    path = report_xlsx_file(results)
    try:
        sheet = load_workbook(path).active
        values = [cell for row in sheet.iter_rows() for cell in row]
    finally:
        path.unlink()
    assert not [c.value for c in values if c.data_type == "f" or str(c.value or "").startswith(FORMULA_LEADS)]
    assert "'" + ATTACKS[0] in [c.value for c in values]


@pytest.mark.django_db
def test_settlement_reports_keep_attacks_as_text():
    file = SettlementFile.objects.create(
        channel=Channel.objects.get(code="sandbox"), sha256="1" * 64, filename="s.csv", created_at=timezone.now()
    )
    for n, attack in enumerate(ATTACKS, start=1):
        SettlementLine.objects.create(
            file=file, line_number=n, external_reference=attack, payment_code="@1", outcome=LineOutcome.UNMATCHED
        )
    cells = _cells(settlement_report_csv(file))
    assert not [cell for cell in cells if cell.startswith(FORMULA_LEADS)]
    assert "'" + ATTACKS[0] in cells
