"""The receipt of one paid instalment of a claim, as an A5 PDF.

Built with the project's PDF helpers (rangkul/core/pdf.py): the standard fonts and
``invariant=1``, so the same payout gives the same bytes at every download. It names the
member by name, membership number and the masked NIK, and the account by its last four
digits: never a full NIK or account number. Times are Western Indonesian Time (WIB).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib.utils import simpleSplit

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.claims.models import Payout
from rangkul.claims.scholarship import payable_lines
from rangkul.core import pdf
from rangkul.core.money import format_rupiah

JAKARTA = ZoneInfo("Asia/Jakarta")


def _benefit_labels() -> dict[str, str]:
    return {
        "jkm_lump_sum": _("JKM lump sum"),
        "jkm_periodic": _("JKM periodic benefit (paid at once)"),
        "jkm_funeral": _("Funeral costs"),
        "jkk_death": _("JKK death benefit"),
        "jkk_periodic": _("JKK periodic benefit (paid at once)"),
        "jkk_funeral": _("Funeral costs"),
        "stmb_full": _("Temporary inability to work"),
        "stmb_reduced": _("Temporary inability to work (reduced)"),
        "total_disability": _("Total permanent disability"),
        "partial_disability": _("Partial permanent disability"),
        "scholarship": _("Scholarship"),
        "jht_contributions": _("JHT contributions"),
        "jht_returns": _("JHT returns"),
        "contribution_refund": _("Contributions refunded (months after the death)"),
    }


def receipt_number(payout: Payout) -> str:
    return f"{payout.claim.number}-{payout.instalment}"


def _wib(value: dt.datetime | None) -> str:
    return date_format(timezone.localtime(value, JAKARTA), "j F Y H:i") + " WIB" if value else "-"


def payout_receipt_pdf(payout: Payout) -> bytes:
    """The receipt of a sent payout: who was paid, for which claim, how much, line by line."""
    claim = payout.claim
    worker = claim.worker
    width, height = pdf.RECEIPT_SIZE
    margin = 14 * pdf.mm
    right = width - margin
    value_x = margin + 42 * pdf.mm
    value_width = right - value_x
    labels = _benefit_labels()
    number = receipt_number(payout)

    def draw(canvas: pdf.Canvas) -> None:
        band = 16 * pdf.mm
        canvas.setFillColor(pdf.BRAND)
        canvas.rect(0, height - band, width, band, stroke=0, fill=1)
        pdf.draw_text(canvas, margin, height - 8 * pdf.mm, "Rangkul", font=pdf.FONT_BOLD, size=16, color=pdf.WHITE)
        pdf.draw_text(canvas, margin, height - 13 * pdf.mm, _("Workers' social security"), size=8, color=pdf.WHITE)
        title = _("Claim payment receipt")
        pdf.draw_text(
            canvas, right, height - 8 * pdf.mm, title, font=pdf.FONT_BOLD, size=12, color=pdf.WHITE, align="right"
        )
        pdf.draw_text(canvas, right, height - 13 * pdf.mm, number, size=8, color=pdf.WHITE, align="right")
        y = height - band - 9 * pdf.mm

        def row(label: str, value: Any, *, bold: bool = False) -> None:
            nonlocal y
            font = pdf.FONT_BOLD if bold else pdf.FONT
            pdf.draw_text(canvas, margin, y, label, size=8.5, color=pdf.MUTED, max_width=40 * pdf.mm)
            for part in simpleSplit(pdf.pdf_text(value), font, 9.5, value_width) or [""]:
                pdf.draw_text(canvas, value_x, y, part, font=font, size=9.5)
                y -= 13

        row(_("Receipt number"), number, bold=True)
        row(_("Claim number"), claim.number, bold=True)
        row(_("Program"), f"{claim.get_program_display()} · {claim.get_event_display()}")
        row(_("Event date"), date_format(claim.event_date, "j F Y"))
        row(_("Member"), worker.full_name)
        row(_("Membership number"), worker.membership_number)
        row(_("NIK"), worker.nik_masked)
        row(_("Paid to"), claim.claimant_name)
        row(_("Account"), f"{claim.bank_code} {claim.bank_account_masked}".strip())
        row(_("Instalment"), str(payout.instalment))
        row(_("Paid at"), _wib(payout.resolved_at))
        row(_("Transfer reference"), payout.external_reference)

        y -= 6
        canvas.setStrokeColor(pdf.MUTED)
        canvas.setLineWidth(0.4)
        canvas.line(margin, y + 9, right, y + 9)
        y -= 4
        for line in payable_lines(claim, payout.instalment):
            label = labels.get(str(line["benefit"]), str(line["benefit"]))
            pdf.draw_text(canvas, margin, y, label, size=9.5, max_width=right - margin - 30 * pdf.mm)
            amount = format_rupiah(int(line["amount_idr"]))
            pdf.draw_text(canvas, right, y, amount, size=9.5, align="right")
            y -= 13
        canvas.line(margin, y + 9, right, y + 9)
        y -= 4
        pdf.draw_text(canvas, margin, y, _("Amount paid"), font=pdf.FONT_BOLD, size=10)
        pdf.draw_text(canvas, right, y, format_rupiah(payout.amount_idr), font=pdf.FONT_BOLD, size=10, align="right")
        y -= 20
        note = _("Keep this receipt. Questions: your BPJS Ketenagakerjaan branch office, with the claim number.")
        for part in simpleSplit(pdf.pdf_text(note), pdf.FONT, 8, right - margin):
            pdf.draw_text(canvas, margin, y, part, size=8, color=pdf.MUTED)
            y -= 11
        pdf.draw_text(canvas, margin, margin, "Rangkul · " + number, size=7, color=pdf.MUTED)

    return pdf.pdf_build(pagesize=pdf.RECEIPT_SIZE, title=_("Receipt %(number)s") % {"number": number}, draw=draw)


def payout_receipt_response(*, actor: Actor, payout: Payout) -> HttpResponse:
    """The receipt as a download for a reader the caller already authorised; each download is audited."""
    body = payout_receipt_pdf(payout)
    audit_record(
        actor=actor,
        action="claim.receipt_download",
        subject=payout.claim,
        subject_label=payout.claim.number,
        after={"instalment": payout.instalment},
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="kuitansi-{receipt_number(payout)}.pdf"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
