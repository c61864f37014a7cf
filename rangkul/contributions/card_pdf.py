"""The membership card as a bank-card-sized PDF (issue 4: "a printable PDF").

What is printed is what a card holder may show to anyone: name, membership number,
programs, occupation, regency and the registration date. Never the NIK, the phone
number or the address. The QR code carries the same text as the card page's QR
code: the membership number only.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from rangkul.core import pdf
from rangkul.registry.models import Worker


def card_qr_data(worker: Worker) -> str:
    """The QR code's text on the card page and the PDF: the membership number, nothing personal."""
    return f"KPJ:{worker.membership_number}"


def membership_card_pdf(worker: Worker) -> bytes:
    width, height = pdf.CARD_SIZE
    margin = 3 * pdf.mm
    qr_size = 22 * pdf.mm
    band = 11 * pdf.mm
    column = width - 3 * margin - qr_size
    regency = worker.village.district.regency.name
    since = date_format(timezone.localdate(worker.registered_at), "j F Y")

    def draw(canvas: pdf.Canvas) -> None:
        canvas.setFillColor(pdf.BRAND)
        canvas.rect(0, height - band, width, band, stroke=0, fill=1)
        pdf.draw_text(canvas, margin, height - 5.6 * pdf.mm, "Rangkul", font=pdf.FONT_BOLD, size=13, color=pdf.WHITE)
        pdf.draw_text(
            canvas,
            margin,
            height - 9 * pdf.mm,
            _("Workers' social security"),
            size=6,
            max_width=column,
            color=pdf.WHITE,
        )
        pdf.draw_text(
            canvas,
            width - margin,
            height - 5.6 * pdf.mm,
            " + ".join(worker.programs),
            font=pdf.FONT_BOLD,
            size=8,
            align="right",
            color=pdf.WHITE,
        )
        pdf.draw_text(
            canvas, width - margin, height - 9 * pdf.mm, _("Membership card"), size=6, align="right", color=pdf.WHITE
        )

        y = height - band - 5.5 * pdf.mm
        pdf.draw_text(canvas, margin, y, worker.full_name, font=pdf.FONT_BOLD, size=10.5, max_width=column)
        y -= 4.6 * pdf.mm
        pdf.draw_text(canvas, margin, y, _("Membership number"), size=5.5, color=pdf.MUTED)
        y -= 4.4 * pdf.mm
        pdf.draw_text(
            canvas,
            margin,
            y,
            pdf.group_for_reading(worker.membership_number),
            font=pdf.FONT_BOLD,
            size=12,
            max_width=column,
        )
        for label, value in (
            (_("Occupation"), worker.occupation.name),
            (_("Region"), regency),
            (_("Member since"), since),
        ):
            y -= 3.9 * pdf.mm
            pdf.draw_text(canvas, margin, y, label, size=5.5, color=pdf.MUTED)
            y -= 2.9 * pdf.mm
            pdf.draw_text(canvas, margin, y, value, size=7.5, max_width=column)

        qr_x = width - margin - qr_size
        qr_y = margin + 3 * pdf.mm
        pdf.draw_qr(canvas, card_qr_data(worker), x=qr_x, y=qr_y, size=qr_size)
        # The number as printed digits under the code, for whoever has no scanner.
        pdf.draw_text(canvas, qr_x + qr_size / 2 - 0.1, margin, worker.membership_number, size=6, align="center")
        canvas.setStrokeColor(pdf.MUTED)
        canvas.setLineWidth(0.3)
        canvas.roundRect(0.4, 0.4, width - 0.8, height - 0.8, 2 * pdf.mm, stroke=1, fill=0)

    title = _("Membership card") + " " + worker.membership_number
    return pdf.pdf_build(pagesize=pdf.CARD_SIZE, title=title, draw=draw)
