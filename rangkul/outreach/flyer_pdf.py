"""The printable A5 flyer of a referral code: what the programmes pay, the monthly price from the
simulator, and a QR code to the registration page carrying the code.

Every amount comes from ``rangkul.outreach.facts`` when the flyer is printed, so a reprint after
a rule change shows the new amounts. Written in Indonesian: the flyer is handed out in the field.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.utils import simpleSplit

from rangkul.core import pdf
from rangkul.core.money import format_rupiah
from rangkul.outreach.facts import Facts
from rangkul.outreach.models import ReferralCode
from rangkul.outreach.referrals import referral_link


def flyer_pdf(referral: ReferralCode, *, facts: Facts | None, language: str | None = None) -> bytes:
    with translation.override(language or settings.LANGUAGE_CODE):
        return pdf.pdf_build(
            pagesize=pdf.RECEIPT_SIZE,
            title=_("Rangkul flyer %(code)s") % {"code": referral.code},
            draw=lambda canvas: _draw(canvas, referral, facts),
        )


def _draw(canvas: pdf.Canvas, referral: ReferralCode, facts: Facts | None) -> None:
    width, height = pdf.RECEIPT_SIZE
    margin = 12 * pdf.mm
    text_width = width - 2 * margin
    band = 22 * pdf.mm
    canvas.setFillColor(pdf.BRAND)
    canvas.rect(0, height - band, width, band, stroke=0, fill=1)
    pdf.draw_text(canvas, margin, height - 10 * pdf.mm, "Rangkul", font=pdf.FONT_BOLD, size=20, color=pdf.WHITE)
    pdf.draw_text(canvas, margin, height - 17 * pdf.mm, _("Protection for informal workers"), size=10, color=pdf.WHITE)
    y = height - band - 10 * pdf.mm
    if facts is not None:
        pdf.draw_text(
            canvas,
            margin,
            y,
            _("From %(price)s a month") % {"price": format_rupiah(facts.price_idr)},
            font=pdf.FONT_BOLD,
            size=18,
            max_width=text_width,
        )
        y -= 6 * pdf.mm
        pdf.draw_text(
            canvas,
            margin,
            y,
            _("Work accident (JKK) and death (JKM); old-age savings (JHT) from %(price)s.")
            % {"price": format_rupiah(facts.price_with_jht_idr)},
            size=8,
            color=pdf.MUTED,
            max_width=text_width,
        )
        y -= 8 * pdf.mm
        for title, texts in facts.benefits:
            pdf.draw_text(canvas, margin, y, title, font=pdf.FONT_BOLD, size=10)
            y -= 4.5 * pdf.mm
            for benefit in texts:
                for line in simpleSplit("• " + pdf.pdf_text(benefit.text), pdf.FONT, 8, text_width):
                    pdf.draw_text(canvas, margin, y, line, size=8)
                    y -= 3.6 * pdf.mm
            y -= 2 * pdf.mm
    qr_size = 38 * pdf.mm
    bottom = margin
    pdf.draw_qr(canvas, referral_link(referral.code), x=margin, y=bottom, size=qr_size)
    x = margin + qr_size + 5 * pdf.mm
    right_width = width - margin - x
    pdf.draw_text(canvas, x, bottom + qr_size - 6 * pdf.mm, _("Register now"), font=pdf.FONT_BOLD, size=13)
    for i, line in enumerate(
        simpleSplit(pdf.pdf_text(_("Scan the code with your phone's camera, or open:")), pdf.FONT, 8, right_width)
    ):
        pdf.draw_text(canvas, x, bottom + qr_size - (12 + 3.6 * i) * pdf.mm, line, size=8)
    pdf.draw_text(
        canvas, x, bottom + 16 * pdf.mm, referral_link(referral.code), size=7, color=pdf.MUTED, max_width=right_width
    )
    pdf.draw_text(canvas, x, bottom + 9 * pdf.mm, _("Referral code"), size=8, color=pdf.MUTED)
    pdf.draw_text(canvas, x, bottom + 2 * pdf.mm, referral.code, font=pdf.FONT_BOLD, size=16, max_width=right_width)
    pdf.draw_text(
        canvas,
        width - margin,
        height - band - 4 * pdf.mm,
        referral.name,
        size=7,
        color=pdf.MUTED,
        align="right",
        max_width=text_width,
    )
