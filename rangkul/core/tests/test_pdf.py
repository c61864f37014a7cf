from __future__ import annotations

import re

import pytest
import segno
from hypothesis import given
from hypothesis import strategies as st

from rangkul.core import pdf

RECT = re.compile(rb"n ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re f\*")


def _document(draw) -> bytes:
    return pdf.pdf_build(pagesize=pdf.CARD_SIZE, title="Kartu", draw=draw)


def test_a_document_is_a_pdf_of_the_requested_size_and_the_same_bytes_every_time():
    def draw(canvas):
        pdf.draw_text(canvas, 10, 10, "Nomor kepesertaan")

    first = _document(draw)
    assert first.startswith(b"%PDF-")
    assert first == _document(draw)  # invariant: no timestamps, no random id
    assert b"/MediaBox [ 0 0 242.6457 153.0709 ]" in first  # 85.6 × 54 mm
    a5 = pdf.pdf_build(pagesize=pdf.RECEIPT_SIZE, title="Kuitansi", draw=draw)
    assert b"/MediaBox [ 0 0 419.5276 595.2756 ]" in a5


def test_page_text_reads_back_what_was_drawn_including_pdf_escapes():
    lines = ["Kuitansi (iuran) \\ RK-2026-00000001", "Rp16.800 · Januari", "José Ñoño"]

    def draw(canvas):
        for n, line in enumerate(lines):
            pdf.draw_text(canvas, 10, 100 - n * 12, line)

    assert pdf.page_text(_document(draw)).splitlines() == lines


def test_text_outside_the_standard_fonts_is_transliterated_not_dropped():
    assert pdf.pdf_text("Ṣiti Ǹur") == "Siti Nur"
    assert pdf.pdf_text("Ayu 東") == "Ayu ?"
    assert pdf.pdf_text("Rp\u202f16.800 \u2212 x") == "Rp 16.800 - x"
    assert pdf.pdf_text("Dewi Ñ é – “ok”") == "Dewi Ñ é – “ok”"  # WinAnsi has these


@given(st.text(max_size=40))
def test_any_text_becomes_drawable(value):
    pdf.pdf_text(value).encode("cp1252")


def test_membership_numbers_are_grouped_for_reading():
    assert pdf.group_for_reading("12345678901") == "1234 5678 901"
    assert pdf.group_for_reading("12345678") == "1234 5678"


def test_long_text_shrinks_to_the_width_but_not_below_the_minimum():
    assert pdf.fit_font_size("Ani", font=pdf.FONT, size=10, max_width=200) == 10
    shrunk = pdf.fit_font_size("A" * 60, font=pdf.FONT, size=10, max_width=100)
    assert 5 <= shrunk < 10
    assert pdf.fit_font_size("A" * 500, font=pdf.FONT, size=10, max_width=100) == 5


@pytest.mark.parametrize("data", ["KPJ:12345678901", "KPJ:98765432109"])
def test_qr_code_rectangles_reproduce_segnos_module_matrix(data):
    size, border = 100.0, 2

    def draw(canvas):
        pdf.draw_qr(canvas, data, x=0, y=0, size=size, border=border)

    [content] = pdf.page_streams(_document(draw))
    expected = [list(row) for row in segno.make(data, error="m").matrix_iter(scale=1, border=border)]
    count = len(expected)
    module = size / count
    drawn = [[False] * count for _ in range(count)]
    rects = [tuple(float(v) for v in m.groups()) for m in RECT.finditer(content)]
    assert rects[0] == (0, 0, size, size)  # the white quiet zone behind the code
    for x, y, width, _height in rects[1:]:
        row = count - 1 - round(y / module)
        first = round(x / module)
        for column in range(first, first + round(width / module)):
            drawn[row][column] = True
    assert drawn == [[bool(v) for v in row] for row in expected]
