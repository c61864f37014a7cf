"""A member's JHT statement: year by year, the contributions paid, the return and the balance.

The balance is the one a JHT claim would pay (rangkul/claims/benefits.py ``jht_statement``):
contributions plus each year's return. A year the agency has declared uses its declared rate,
with the citation; a year it has not declared yet (always the current one, until the
declaration) uses the rule file's estimate rate and is marked an estimate, on the page and on
the PDF. Months paid ahead of time are listed, not counted: they join the balance in their month.
A paid JHT claim paid out the whole balance up to its event date, so the statement starts again
after it and names it.

Members read their own statement; a staff member's reading is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.claims.benefits import JhtRates, JhtYear, jht_statement
from rangkul.claims.jht_rates import jht_rates
from rangkul.claims.models import Claim, ClaimProgram, ClaimStatus
from rangkul.claims.rules import claim_tables_for
from rangkul.contributions.selectors import program_months
from rangkul.core import pdf
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period
from rangkul.registry.models import Worker


@dataclass(frozen=True)
class StatementYear:
    year: int
    opening_idr: int
    contributions_idr: int
    months: int
    rate: Decimal
    return_idr: int
    closing_idr: int
    estimate: bool
    citation: str

    @property
    def rate_percent(self) -> str:
        return percent(self.rate)


def percent(rate: Decimal) -> str:
    """``Decimal("0.0551")`` → ``"5,51%"`` (Indonesian decimal comma)."""
    text = f"{(rate * 100).quantize(Decimal('0.01')).normalize():f}"
    return text.replace(".", ",") + "%"


@dataclass(frozen=True)
class PaidOut:
    number: str
    event_date: dt.date
    amount_idr: int


@dataclass(frozen=True)
class JhtStatement:
    worker: Worker
    as_of: dt.date
    years: list[StatementYear]
    balance_idr: int
    contributions_idr: int
    returns_idr: int
    estimate: bool
    estimate_rate: Decimal
    advance_months: int
    advance_idr: int
    paid_out: PaidOut | None
    citation: str

    @property
    def estimate_years(self) -> list[int]:
        return [row.year for row in self.years if row.estimate]


def _last_paid_claim(worker: Worker) -> PaidOut | None:
    claim = (
        Claim.objects.filter(worker=worker, program=ClaimProgram.JHT, status=ClaimStatus.PAID)
        .order_by("-event_date", "-pk")
        .first()
    )
    return PaidOut(claim.number, claim.event_date, claim.benefit_idr) if claim is not None else None


def jht_statement_for(*, worker: Worker, today: dt.date) -> JhtStatement:
    """The member's JHT statement as of ``today``, from the paid JHT months and the declared rates."""
    tables = claim_tables_for(today)
    rates: JhtRates = jht_rates(tables)
    paid_out = _last_paid_claim(worker)
    start = Period.of(paid_out.event_date) + 1 if paid_out is not None else None
    months = [
        m for m in program_months(worker_id=worker.pk, program=ClaimProgram.JHT) if start is None or m.period >= start
    ]
    current = Period.of(today)
    held = {m.period: m.amount_idr for m in months if m.period <= current}
    ahead = [m for m in months if m.period > current]
    rows: list[JhtYear] = jht_statement(rates, contributions=held, until=today, allow_estimate=True)
    years = [
        StatementYear(
            year=row.year,
            opening_idr=row.opening_idr,
            contributions_idr=row.contributions_idr,
            months=sum(1 for p in held if p.year == row.year),
            rate=row.rate,
            return_idr=row.return_idr,
            closing_idr=row.closing_idr,
            estimate=row.estimate,
            citation="" if row.estimate else rates.declared[row.year].citation,
        )
        for row in rows
    ]
    return JhtStatement(
        worker=worker,
        as_of=today,
        years=years,
        balance_idr=years[-1].closing_idr if years else 0,
        contributions_idr=sum(row.contributions_idr for row in years),
        returns_idr=sum(row.return_idr for row in years),
        estimate=any(row.estimate for row in years),
        estimate_rate=rates.estimate_rate,
        advance_months=len(ahead),
        advance_idr=sum(m.amount_idr for m in ahead),
        paid_out=paid_out,
        citation=tables.jht_citation,
    )


def jht_statement_read(*, actor: Actor, worker: Worker, today: dt.date, form: str) -> JhtStatement:
    """A staff member reads a member's statement (page or PDF): built, and the reading audited."""
    statement = jht_statement_for(worker=worker, today=today)
    audit_record(
        actor=actor,
        action="claims.jht_statement_view",
        subject=worker,
        subject_label=worker.membership_number,
        after={"format": form, "as_of": today.isoformat(), "balance_idr": statement.balance_idr},
    )
    return statement


def jht_statement_pdf(statement: JhtStatement) -> bytes:
    """The statement as an A4 PDF; the same statement gives the same bytes (``pdf_build``)."""
    worker = statement.worker
    width, height = A4
    margin = 16 * pdf.mm
    right = width - margin
    # Columns: year, contributions, rate, return, balance (amounts right-aligned at their x).
    col_paid, col_rate, col_return, col_balance = margin + 62 * pdf.mm, margin + 95 * pdf.mm, right - 38 * pdf.mm, right
    day = date_format(statement.as_of, "j F Y")

    def draw(canvas: pdf.Canvas) -> None:
        band = 18 * pdf.mm
        canvas.setFillColor(pdf.BRAND)
        canvas.rect(0, height - band, width, band, stroke=0, fill=1)
        pdf.draw_text(canvas, margin, height - 9 * pdf.mm, "Rangkul", font=pdf.FONT_BOLD, size=16, color=pdf.WHITE)
        pdf.draw_text(canvas, margin, height - 14 * pdf.mm, _("Workers' social security"), size=8, color=pdf.WHITE)
        pdf.draw_text(
            canvas,
            right,
            height - 9 * pdf.mm,
            _("JHT statement"),
            font=pdf.FONT_BOLD,
            size=13,
            color=pdf.WHITE,
            align="right",
        )
        pdf.draw_text(
            canvas,
            right,
            height - 14 * pdf.mm,
            _("As of %(date)s") % {"date": day},
            size=8,
            color=pdf.WHITE,
            align="right",
        )
        y = height - band - 10 * pdf.mm

        def row(label: str, value: str) -> None:
            nonlocal y
            pdf.draw_text(canvas, margin, y, label, size=9, color=pdf.MUTED, max_width=45 * pdf.mm)
            pdf.draw_text(
                canvas,
                margin + 48 * pdf.mm,
                y,
                value,
                font=pdf.FONT_BOLD,
                size=10,
                max_width=right - margin - 48 * pdf.mm,
            )
            y -= 14

        def paragraph(text: str, *, size: float = 8.5) -> None:
            nonlocal y
            for part in simpleSplit(pdf.pdf_text(text), pdf.FONT, size, right - margin):
                pdf.draw_text(canvas, margin, y, part, size=size, color=pdf.MUTED)
                y -= size + 3.5

        row(_("Member"), worker.full_name)
        row(_("Membership number"), worker.membership_number)
        row(_("NIK"), worker.nik_masked)
        row(
            _("JHT balance"),
            format_rupiah(statement.balance_idr) + (" (" + _("estimate") + ")" if statement.estimate else ""),
        )
        y -= 6
        headers = [
            (margin, _("Year"), "left"),
            (col_paid, _("Contributions paid"), "right"),
            (col_rate, _("Return rate"), "right"),
            (col_return, _("Return"), "right"),
            (col_balance, _("Balance at the end"), "right"),
        ]
        for x, label, align in headers:
            pdf.draw_text(canvas, x, y, label, font=pdf.FONT_BOLD, size=8.5, align=align)
        canvas.setStrokeColor(pdf.MUTED)
        canvas.setLineWidth(0.4)
        canvas.line(margin, y - 4, right, y - 4)
        y -= 16
        for line in statement.years:
            if y < margin + 40 * pdf.mm:
                canvas.showPage()
                y = height - margin
            rate = line.rate_percent + (" " + _("(estimate)") if line.estimate else "")
            year = str(line.year) + (
                " " + _("(to %(date)s)") % {"date": day} if line.year == statement.as_of.year else ""
            )
            pdf.draw_text(canvas, margin, y, year, size=9)
            pdf.draw_text(canvas, col_paid, y, format_rupiah(line.contributions_idr), size=9, align="right")
            pdf.draw_text(canvas, col_rate, y, rate, size=9, align="right")
            pdf.draw_text(canvas, col_return, y, format_rupiah(line.return_idr), size=9, align="right")
            pdf.draw_text(canvas, col_balance, y, format_rupiah(line.closing_idr), size=9, align="right")
            y -= 13
        canvas.line(margin, y + 8, right, y + 8)
        y -= 4
        pdf.draw_text(canvas, margin, y, _("Total"), font=pdf.FONT_BOLD, size=9.5)
        pdf.draw_text(
            canvas, col_paid, y, format_rupiah(statement.contributions_idr), font=pdf.FONT_BOLD, size=9.5, align="right"
        )
        pdf.draw_text(
            canvas, col_return, y, format_rupiah(statement.returns_idr), font=pdf.FONT_BOLD, size=9.5, align="right"
        )
        pdf.draw_text(
            canvas, col_balance, y, format_rupiah(statement.balance_idr), font=pdf.FONT_BOLD, size=9.5, align="right"
        )
        y -= 22
        for text in statement_notes(statement):
            paragraph(text)
            y -= 3
        for line in statement.years:
            if line.citation:
                paragraph(_("Return %(year)s: %(citation)s") % {"year": line.year, "citation": line.citation}, size=7.5)
        paragraph(statement.citation, size=7.5)
        pdf.draw_text(canvas, margin, margin, f"Rangkul · {worker.membership_number} · {day}", size=7, color=pdf.MUTED)

    title = _("JHT statement %(number)s") % {"number": worker.membership_number}
    return pdf.pdf_build(pagesize=A4, title=title, draw=draw)


def statement_notes(statement: JhtStatement) -> list[str]:
    """The plain-language notes under the table (page and PDF say the same)."""
    notes = [
        _(
            "Your JHT balance is the contributions you paid for JHT plus the return the agency declares each year. "
            "The return of a year counts for the months the money was held."
        )
    ]
    if statement.estimate:
        notes.append(
            _(
                "Years marked estimate (%(years)s) use an estimated rate of %(rate)s, because the agency has not "
                "declared that year's return yet. The balance changes when it is declared."
            )
            % {"years": ", ".join(str(y) for y in statement.estimate_years), "rate": percent(statement.estimate_rate)}
        )
    if statement.advance_months:
        notes.append(
            _("You also paid %(months)s month(s) ahead (%(amount)s); they join the balance in their month.")
            % {"months": statement.advance_months, "amount": format_rupiah(statement.advance_idr)}
        )
    if statement.paid_out is not None:
        notes.append(
            _(
                "Your JHT balance up to %(date)s was paid out with claim %(number)s (%(amount)s); "
                "this statement counts what you paid after it."
            )
            % {
                "date": date_format(statement.paid_out.event_date, "j F Y"),
                "number": statement.paid_out.number,
                "amount": format_rupiah(statement.paid_out.amount_idr),
            }
        )
    return notes


def jht_statement_response(statement: JhtStatement) -> HttpResponse:
    response = HttpResponse(jht_statement_pdf(statement), content_type="application/pdf")
    name = f"saldo-jht-{statement.worker.membership_number}-{statement.as_of.isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
