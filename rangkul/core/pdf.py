"""Small PDF documents (membership card, receipt) drawn with reportlab's canvas.

Text is set in the PDF standard fonts (Helvetica), which every PDF reader has and
which need no embedding; they cover the Latin alphabet Indonesian is written in
(WinAnsi encoding). Anything outside that encoding is transliterated, so a name
never turns into missing-glyph boxes. The documents are built with
``invariant=1``: the same input gives the same bytes (no creation time, no random
document id), so a reprint is identical and tests can compare output.

QR codes come from ``segno`` and are drawn as filled rectangles from its module
matrix: vector output, sharp at any print size, and no image library involved.
"""

from __future__ import annotations

import base64
import io
import re
import unicodedata
import zlib
from collections.abc import Callable
from typing import Any

import segno
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

__all__ = [
    "BRAND",
    "CARD_SIZE",
    "FONT",
    "FONT_BOLD",
    "INK",
    "MUTED",
    "RECEIPT_SIZE",
    "WHITE",
    "Canvas",
    "draw_qr",
    "draw_text",
    "fit_font_size",
    "group_for_reading",
    "mm",
    "page_streams",
    "page_text",
    "pdf_build",
    "pdf_text",
]

# ISO/IEC 7810 ID-1, the size of a bank card: fits a wallet and a card holder.
CARD_SIZE = (85.6 * mm, 54 * mm)
RECEIPT_SIZE = A5

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"

# The portal's colours (static/css/rangkul.css: --brand, --ink, --muted).
BRAND = HexColor("#0b6e4f")
INK = HexColor("#1b1f23")
MUTED = HexColor("#5b6470")
WHITE = white

# Characters the standard fonts' WinAnsi encoding cannot show, mapped to plain ones.
_REPLACEMENTS = {"\u2009": " ", "\u202f": " ", "\u00a0": " ", "\u2212": "-", "\u2011": "-"}


def pdf_text(value: Any) -> str:
    """``value`` as text the standard fonts can draw (WinAnsi); other letters lose their accents."""
    return "".join(_drawable(_REPLACEMENTS.get(ch, ch)) for ch in str(value))


def _drawable(ch: str) -> str:
    if _encodable(ch):
        return ch
    # "ş" → "s", "ﬁ" → "fi"; a letter with no Latin form becomes "?".
    plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return plain if plain and _encodable(plain) else "?"


def _encodable(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def group_for_reading(digits: str, size: int = 4) -> str:
    """``"12345678901"`` → ``"1234 5678 901"``: easier to read aloud and to copy by hand."""
    return " ".join(digits[i : i + size] for i in range(0, len(digits), size))


def fit_font_size(text: str, *, font: str, size: float, max_width: float, min_size: float = 5) -> float:
    """The largest size up to ``size`` at which ``text`` fits ``max_width`` (never below ``min_size``)."""
    width = stringWidth(pdf_text(text), font, size)
    if width <= max_width:
        return size
    return max(min_size, size * max_width / width)


def draw_text(
    canvas: Canvas,
    x: float,
    y: float,
    text: Any,
    *,
    font: str = FONT,
    size: float = 9,
    color: Color = INK,
    max_width: float | None = None,
    align: str = "left",
) -> None:
    """Draw one line; shrinks the font to ``max_width`` when given, so long names stay on the card."""
    value = pdf_text(text)
    if max_width is not None:
        size = fit_font_size(value, font=font, size=size, max_width=max_width)
    canvas.setFont(font, size)
    canvas.setFillColor(color)
    if align == "right":
        canvas.drawRightString(x, y, value)
    elif align == "center":
        canvas.drawCentredString(x, y, value)
    else:
        canvas.drawString(x, y, value)


def draw_qr(canvas: Canvas, data: str, *, x: float, y: float, size: float, error: str = "m", border: int = 2) -> None:
    """Draw a QR code for ``data`` with its lower-left corner at (x, y), ``size`` points square.

    Each row's runs of dark modules become one rectangle: fewer drawing operations,
    same picture. ``border`` is the quiet zone in modules, drawn white.
    """
    qr = segno.make(data, error=error)
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=border)]
    module = size / len(rows)
    canvas.saveState()
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(HexColor("#000000"))
    for r, row in enumerate(rows):
        top = y + size - (r + 1) * module
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            # A hair of overlap so readers do not see seams between adjacent rectangles.
            canvas.rect(x + start * module, top, (c - start) * module, module + 0.01, stroke=0, fill=1)
    canvas.restoreState()


def pdf_build(*, pagesize: tuple[float, float], title: str, draw: Callable[[Canvas], None]) -> bytes:
    """Run ``draw`` on a fresh canvas and return the finished PDF.

    ``draw`` may call ``canvas.showPage()`` to start further pages; the last page is
    closed here.
    """
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=pagesize, invariant=1, pageCompression=1)
    canvas.setTitle(pdf_text(title))
    canvas.setAuthor("Rangkul")
    canvas.setCreator("Rangkul")
    draw(canvas)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


_STREAM = re.compile(rb"<<(?P<dict>.*?)>>\s*stream\r?\n(?P<data>.*?)endstream", re.S)
_LITERAL = re.compile(rb"\((?P<s>(?:\\.|[^\\)])*)\)\s*Tj", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def page_streams(pdf: bytes) -> list[bytes]:
    """The decoded streams of a PDF made by ``pdf_build`` (page content and the like)."""
    streams = []
    for match in _STREAM.finditer(pdf):
        header, data = match["dict"], match["data"].strip()
        if b"/ASCII85Decode" in header:
            data = base64.a85decode(data.removesuffix(b"~>").strip(), adobe=False)
        if b"/FlateDecode" in header:
            data = zlib.decompress(data)
        streams.append(data)
    return streams


def page_text(pdf: bytes) -> str:
    """The text drawn on the pages of a PDF made by ``pdf_build``, one drawn line per line.

    Enough to check what a document says (tests, support); not a general PDF parser.
    """
    return "\n".join(
        _unescape(literal["s"]).decode("cp1252") for data in page_streams(pdf) for literal in _LITERAL.finditer(data)
    )


def _unescape(value: bytes) -> bytes:
    def replace(match: re.Match[bytes]) -> bytes:
        token = match.group(1)
        if token[:1].isdigit():
            return bytes([int(token, 8)])
        return _ESCAPES.get(token, token)

    return re.sub(rb"\\([0-7]{1,3}|.)", replace, value, flags=re.S)
