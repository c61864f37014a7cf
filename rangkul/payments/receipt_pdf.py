"""The payment receipt as an A5 PDF (issue 5: "viewable in the portal and printable as PDF").

It says what the HTML receipt says, plus the amount of each month and program paid
and any money kept as credit. Times are Western Indonesian Time (WIB), whatever the
server's zone. The member is named by name and membership number, never by NIK.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib.utils import simpleSplit

from rangkul.core import pdf
from rangkul.core.money import format_rupiah
from rangkul.payments.models import Receipt

JAKARTA = ZoneInfo("Asia/Jakarta")


def jakarta_time(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return date_format(timezone.localtime(value, JAKARTA), "j F Y H:i") + " WIB"


def receipt_pdf(
    receipt: Receipt, *, lines: list[dict[str, Any]], credit_used_idr: int = 0, credit_kept_idr: int = 0
) -> bytes:
    """``lines``: the months and programs paid (``contributions_port.month_lines_for_entry``)."""
    payment = receipt.payment
    worker = payment.worker
    width, height = pdf.RECEIPT_SIZE
    margin = 14 * pdf.mm
    right = width - margin
    label_width = 42 * pdf.mm
    value_x = margin + label_width
    value_width = right - value_x
    bottom = margin + 8 * pdf.mm
    several_members = len({line["membership_number"] for line in lines}) > 1
    state = {"y": 0.0, "page": 1, "in_table": 0}
    program_x = margin + (62 if several_members else 40) * pdf.mm

    def header(canvas: pdf.Canvas) -> None:
        band = 16 * pdf.mm
        canvas.setFillColor(pdf.BRAND)
        canvas.rect(0, height - band, width, band, stroke=0, fill=1)
        pdf.draw_text(canvas, margin, height - 8 * pdf.mm, "Rangkul", font=pdf.FONT_BOLD, size=16, color=pdf.WHITE)
        pdf.draw_text(canvas, margin, height - 13 * pdf.mm, _("Workers' social security"), size=8, color=pdf.WHITE)
        pdf.draw_text(
            canvas,
            right,
            height - 8 * pdf.mm,
            _("Contribution receipt"),
            font=pdf.FONT_BOLD,
            size=12,
            color=pdf.WHITE,
            align="right",
        )
        pdf.draw_text(canvas, right, height - 13 * pdf.mm, receipt.number, size=8, color=pdf.WHITE, align="right")
        state["y"] = height - band - 9 * pdf.mm

    def footer(canvas: pdf.Canvas) -> None:
        canvas.setStrokeColor(pdf.MUTED)
        canvas.setLineWidth(0.3)
        canvas.line(margin, margin + 4 * pdf.mm, right, margin + 4 * pdf.mm)
        pdf.draw_text(canvas, margin, margin, "Rangkul · " + receipt.number, size=7, color=pdf.MUTED)
        page = _("Page %(page)s") % {"page": state["page"]}
        pdf.draw_text(canvas, right, margin, page, size=7, color=pdf.MUTED, align="right")

    def room(canvas: pdf.Canvas, needed: float) -> None:
        if state["y"] - needed >= bottom:
            return
        footer(canvas)
        canvas.showPage()
        state["page"] += 1
        header(canvas)
        if state["in_table"]:
            table_head(canvas)

    def table_head(canvas: pdf.Canvas) -> None:
        pdf.draw_text(canvas, margin, state["y"], _("Month"), size=8.5, color=pdf.MUTED)
        pdf.draw_text(canvas, program_x, state["y"], _("Program"), size=8.5, color=pdf.MUTED)
        pdf.draw_text(canvas, right, state["y"], _("Amount"), size=8.5, color=pdf.MUTED, align="right")
        state["y"] -= 13
        rule(canvas)

    def row(canvas: pdf.Canvas, label: str, value: Any, *, bold: bool = False) -> None:
        font = pdf.FONT_BOLD if bold else pdf.FONT
        wrapped = simpleSplit(pdf.pdf_text(value), font, 9.5, value_width) or [""]
        room(canvas, 13 * len(wrapped))
        pdf.draw_text(canvas, margin, state["y"], label, size=8.5, color=pdf.MUTED, max_width=label_width - 6)
        for part in wrapped:
            pdf.draw_text(canvas, value_x, state["y"], part, font=font, size=9.5)
            state["y"] -= 13

    def amount_row(canvas: pdf.Canvas, label: str, amount_idr: int, *, bold: bool = False) -> None:
        room(canvas, 14)
        font = pdf.FONT_BOLD if bold else pdf.FONT
        pdf.draw_text(canvas, margin, state["y"], label, font=font, size=9.5)
        pdf.draw_text(canvas, right, state["y"], format_rupiah(amount_idr), font=font, size=9.5, align="right")
        state["y"] -= 14

    def rule(canvas: pdf.Canvas) -> None:
        canvas.setStrokeColor(pdf.MUTED)
        canvas.setLineWidth(0.4)
        canvas.line(margin, state["y"] + 9, right, state["y"] + 9)
        state["y"] -= 2

    def draw(canvas: pdf.Canvas) -> None:
        header(canvas)
        row(canvas, _("Receipt number"), receipt.number, bold=True)
        row(canvas, _("Issued"), jakarta_time(receipt.issued_at))
        row(canvas, _("Paid at"), jakarta_time(payment.paid_at))
        row(canvas, _("Channel"), payment.channel.name)
        if payment.payment_code:
            row(canvas, _("Payment code"), payment.payment_code)
        row(canvas, _("Transaction"), payment.external_reference)
        if worker is not None:
            row(canvas, _("Member"), worker.full_name)
            row(canvas, _("Membership number"), worker.membership_number)

        state["y"] -= 8
        room(canvas, 40)
        pdf.draw_text(canvas, margin, state["y"], _("Months paid"), font=pdf.FONT_BOLD, size=10.5)
        state["y"] -= 16
        table_head(canvas)
        state["in_table"] = 1
        for line in lines:
            room(canvas, 13)
            month = date_format(line["period"].first_day, "F Y")
            if several_members:
                month = month + " · " + line["membership_number"]
            pdf.draw_text(canvas, margin, state["y"], month, size=9.5)
            pdf.draw_text(canvas, program_x, state["y"], line["program"], size=9.5)
            pdf.draw_text(canvas, right, state["y"], format_rupiah(line["amount_idr"]), size=9.5, align="right")
            state["y"] -= 13
        if not lines:
            pdf.draw_text(canvas, margin, state["y"], "—", size=9.5)
            state["y"] -= 13
        state["in_table"] = 0
        state["y"] -= 2
        rule(canvas)
        if credit_used_idr:
            amount_row(canvas, _("Taken from your credit"), credit_used_idr)
        if credit_kept_idr:
            amount_row(canvas, _("Kept as credit for your next months"), credit_kept_idr)
        amount_row(canvas, _("Amount paid"), payment.amount_idr, bold=True)

        state["y"] -= 10
        if credit_kept_idr:
            # Said only when there is a remainder: a member who paid exactly has no credit to wonder about.
            note = _("Any amount not used for whole months is kept as credit for your next months.")
            for part in simpleSplit(pdf.pdf_text(note), pdf.FONT, 8, right - margin):
                room(canvas, 11)
                pdf.draw_text(canvas, margin, state["y"], part, size=8, color=pdf.MUTED)
                state["y"] -= 11
        footer(canvas)

    title = _("Receipt %(number)s") % {"number": receipt.number}
    return pdf.pdf_build(pagesize=pdf.RECEIPT_SIZE, title=title, draw=draw)
