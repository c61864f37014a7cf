"""The JHT returns the agency declares each year: loaded with their citation, read for balances.

The claims' rule file carries only an *estimate* rate (rules/claims-*.toml): good for a
projection, never for money. A JHT balance that a claim pays uses the declared rate of every
year it spans; a year with none makes the benefit an estimate, which cannot be approved or paid
until the agency's rate is loaded (``manage.py load_jht_rates PATH``, a CSV with ``year``,
``rate`` and ``citation``) and the claim is recalculated.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.claims.benefits import DeclaredRate, JhtRates, jht_lines
from rangkul.claims.errors import ClaimInputInvalid, ClaimWrongStatus, NotAllowed
from rangkul.claims.models import Claim, ClaimProgram, ClaimStatus, JhtDeclaredRate
from rangkul.claims.rules import ClaimTables, claim_tables_for
from rangkul.contributions.selectors import program_months
from rangkul.core.periods import Period

COLUMNS = ("year", "rate", "citation")


def jht_rates(tables: ClaimTables) -> JhtRates:
    """The declared rates loaded so far, with the rule file's estimate rate for the other years."""
    declared = {r.year: DeclaredRate(r.rate, r.citation) for r in JhtDeclaredRate.objects.all()}
    return JhtRates(declared=declared, estimate_rate=tables.jht_estimate_rate)


def has_estimate(lines: Sequence[Any]) -> bool:
    return any(bool(line.get("estimate")) for line in lines)


@dataclass(frozen=True)
class RateRow:
    line: int
    year: int
    rate: Decimal
    citation: str


def _rate(raw: str) -> Decimal:
    """``0.0551``, ``0,0551`` or ``5.51%`` → ``Decimal("0.0551")``."""
    text = raw.strip().replace(",", ".")
    percent = text.endswith("%")
    value = Decimal(text.rstrip("%").strip())
    return value / 100 if percent else value


def rates_parse(text: str) -> tuple[list[RateRow], list[dict[str, Any]]]:
    """Rows and per-line errors of a rates CSV (``year,rate,citation``; every row needs a citation)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if any(column not in header for column in COLUMNS):
        return [], [{"line": 1, "message": _("The header must name the columns: year, rate, citation.")}]
    rows: list[RateRow] = []
    errors: list[dict[str, Any]] = []
    seen: set[int] = set()
    for number, raw in enumerate(reader, start=2):
        record = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        try:
            year = int(record["year"])
            rate = _rate(record["rate"])
        except (ValueError, InvalidOperation):
            errors.append({"line": number, "message": _("The year or the rate is not a number.")})
            continue
        if not 1990 <= year <= 2100 or not Decimal(0) <= rate < 1:
            errors.append(
                {"line": number, "message": _("A year from 1990 to 2100 and a rate below one (for example 0.055).")}
            )
        elif not record["citation"]:
            errors.append({"line": number, "message": _("Every rate needs the citation of the text declaring it.")})
        elif year in seen:
            errors.append({"line": number, "message": _("The year %(year)s appears twice.") % {"year": year}})
        else:
            seen.add(year)
            rows.append(RateRow(number, year, rate.quantize(Decimal("0.000001")), record["citation"][:300]))
    return rows, errors


@transaction.atomic
def jht_rates_load(*, actor: Actor, rows: Sequence[RateRow], source: str, replace: bool = False) -> dict[str, int]:
    """Load declared rates, all or nothing; a changed rate for a year already loaded needs ``replace``."""
    existing = {r.year: r for r in JhtDeclaredRate.objects.select_for_update().filter(year__in=[r.year for r in rows])}
    changed = [r for r in rows if r.year in existing and existing[r.year].rate != r.rate]
    if changed and not replace:
        raise ClaimInputInvalid(
            _("A declared rate is already loaded for %(years)s with another value; load again with --replace.")
            % {"years": ", ".join(str(r.year) for r in changed)}
        )
    summary = {"rows": len(rows), "loaded": 0, "updated": 0, "unchanged": 0}
    now = timezone.now()
    for row in rows:
        before = existing.get(row.year)
        if before is not None and before.rate == row.rate and before.citation == row.citation:
            summary["unchanged"] += 1
            continue
        JhtDeclaredRate.objects.update_or_create(
            year=row.year,
            defaults={"rate": row.rate, "citation": row.citation, "source": source[:200], "loaded_at": now},
        )
        summary["updated" if before is not None else "loaded"] += 1
        audit_record(
            actor=actor,
            action="claims.jht_rate_load",
            subject_type="claims.jhtdeclaredrate",
            subject_id=str(row.year),
            subject_label=f"JHT {row.year}",
            before={"rate": str(before.rate), "citation": before.citation} if before is not None else None,
            after={"rate": str(row.rate), "citation": row.citation, "source": source[:200]},
        )
    return summary


@transaction.atomic
def claim_jht_recalculate(*, actor: Actor, claim: Claim, note: str) -> Claim:
    """Recompute a submitted JHT claim's balance with the declared rates now loaded (no estimate left)."""
    if not actor.has_perm("accounts.process_claims"):
        raise NotAllowed(_("You may not do this with claims."))
    note = note.strip()
    if not note:
        raise ClaimInputInvalid(_("Give the reason for this step."), fields={"note": [_("Required.")]})
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.program != ClaimProgram.JHT or claim.status != ClaimStatus.SUBMITTED or not claim.eligible:
        raise ClaimWrongStatus(_("Only a submitted, eligible JHT claim is recalculated."))
    tables = claim_tables_for(claim.event_date)
    months = program_months(worker_id=claim.worker_id, program=ClaimProgram.JHT)
    contributions = {m.period: m.amount_idr for m in months if m.period <= Period.of(claim.event_date)}
    lines = jht_lines(tables, jht_rates(tables), contributions=contributions, until=claim.event_date)
    before = claim.benefit_idr
    claim.lines = [line.as_dict() for line in lines]
    claim.benefit_idr = sum(line.amount_idr for line in lines)
    claim.save(update_fields=["lines", "benefit_idr"])
    audit_record(
        actor=actor,
        action="claim.jht_recalculate",
        subject=claim,
        subject_label=claim.number,
        before={"benefit_idr": before},
        after={"benefit_idr": claim.benefit_idr},
        reason=note,
    )
    return claim
